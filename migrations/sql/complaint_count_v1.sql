-- Counts of complaints by (local day, H3 cell, category, SKPD, kelurahan, status, public), kept equal to the
-- complaint table by statement-level triggers in the writing transaction: a submission, a status change, a
-- re-route, a merge or an import of a million rows changes the counts in the same commit, with one grouped
-- upsert per statement (and one into the monthly counts). The layers read these counts instead of a million
-- points (issue 13).
-- Keys are upserted in key order, so two concurrent statements lock shared rows in the same order (no deadlock).
CREATE OR REPLACE FUNCTION peta_count_complaints() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT tz FROM layer_grid);
BEGIN
  -- Each branch: the statement's change as +1/-1 per key (keys whose rows moved nowhere drop out), added to the
  -- counts; and the cells of every row whose counted columns changed appended to cell_change (appending locks
  -- no row, so writers in one cell never wait for each other; a tile's version is the newest change among its
  -- cells, layers/mvt.py).
  IF TG_OP = 'INSERT' THEN
    WITH change AS (SELECT (created_at AT TIME ZONE zone)::date AS day, h3_cell AS cell,
                           category_id, skpd_id, kelurahan_id, status, public, 1 AS d FROM new_rows),
    delta AS (SELECT day, cell, category_id, skpd_id, kelurahan_id, status, public, sum(d) AS n FROM change
               GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0),
    counted AS (
      INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT * FROM delta ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n),
    by_month AS (
      INSERT INTO complaint_count_month AS cm (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
        FROM delta GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (cell, month, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cm.n + EXCLUDED.n)
    INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM change;
  ELSIF TG_OP = 'UPDATE' THEN
    WITH change AS (SELECT (created_at AT TIME ZONE zone)::date AS day, h3_cell AS cell,
                           category_id, skpd_id, kelurahan_id, status, public, 1 AS d FROM new_rows
                    UNION ALL
                    SELECT (created_at AT TIME ZONE zone)::date AS day, h3_cell AS cell,
                           category_id, skpd_id, kelurahan_id, status, public, -1 FROM old_rows),
    delta AS (SELECT day, cell, category_id, skpd_id, kelurahan_id, status, public, sum(d) AS n FROM change
               GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0),
    counted AS (
      INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT * FROM delta ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n),
    by_month AS (
      INSERT INTO complaint_count_month AS cm (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
        FROM delta GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (cell, month, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cm.n + EXCLUDED.n)
    INSERT INTO cell_change (cell)
    SELECT DISTINCT unnest(ARRAY[o.h3_cell, n.h3_cell]) FROM old_rows o JOIN new_rows n USING (id)
     WHERE (o.created_at, o.h3_cell, o.category_id, o.skpd_id, o.kelurahan_id, o.status, o.public) IS DISTINCT FROM
           (n.created_at, n.h3_cell, n.category_id, n.skpd_id, n.kelurahan_id, n.status, n.public);
  ELSE
    WITH change AS (SELECT (created_at AT TIME ZONE zone)::date AS day, h3_cell AS cell,
                           category_id, skpd_id, kelurahan_id, status, public, -1 AS d FROM old_rows),
    delta AS (SELECT day, cell, category_id, skpd_id, kelurahan_id, status, public, sum(d) AS n FROM change
               GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0),
    counted AS (
      INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT * FROM delta ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n),
    by_month AS (
      INSERT INTO complaint_count_month AS cm (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
      SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
        FROM delta GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT (cell, month, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cm.n + EXCLUDED.n)
    INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM change;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER complaint_count_insert AFTER INSERT ON complaint
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();
CREATE TRIGGER complaint_count_update AFTER UPDATE ON complaint
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();
CREATE TRIGGER complaint_count_delete AFTER DELETE ON complaint
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();

-- TRUNCATE fires no row or statement delete trigger: empty the counts with it (every cell changed).
CREATE OR REPLACE FUNCTION peta_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM complaint_count;
  TRUNCATE complaint_count, complaint_count_month;
  RETURN NULL;
END $$;
CREATE TRIGGER complaint_count_truncate AFTER TRUNCATE ON complaint
  FOR EACH STATEMENT EXECUTE FUNCTION peta_count_truncate();

-- The counts rebuilt from the complaint table (after a change of resolution or time zone, and by 0015).
CREATE OR REPLACE FUNCTION peta_recount_complaints() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT tz FROM layer_grid);
  counted bigint;
BEGIN
  INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM complaint_count;
  TRUNCATE complaint_count, complaint_count_month;
  INSERT INTO complaint_count (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public, count(*)
    FROM complaint GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO complaint_count_month (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
    FROM complaint_count GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM complaint_count;
  SELECT coalesce(sum(n), 0) INTO counted FROM complaint_count;
  RETURN counted;
END $$;
