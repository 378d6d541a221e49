-- Counts of complaints by (local day, H3 cell, category, SKPD, kelurahan, status, public), kept equal to the
-- complaint table by statement-level triggers in the writing transaction: a submission, a status change, a
-- re-route, a merge or an import of a million rows changes the counts in the same commit, with one grouped
-- upsert per statement. The layers read these counts instead of a million points (issue 13).
-- Keys are upserted in key order, so two concurrent statements lock shared rows in the same order (no deadlock).
CREATE OR REPLACE FUNCTION peta_count_complaints() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT tz FROM layer_grid);
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
    SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public,
           count(*)
      FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
    SELECT day, cell, category_id, skpd_id, kelurahan_id, status, public, sum(d)
      FROM (SELECT (created_at AT TIME ZONE zone)::date AS day, h3_cell AS cell, category_id, skpd_id, kelurahan_id,
                   status, public, 1 AS d FROM new_rows
            UNION ALL
            SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public,
                   -1 FROM old_rows) AS change
     GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n;
  ELSE
    INSERT INTO complaint_count AS cc (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
    SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public,
           -count(*)
      FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (day, cell, category_id, skpd_id, kelurahan_id, status, public) DO UPDATE SET n = cc.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER complaint_count_insert AFTER INSERT ON complaint
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();
CREATE TRIGGER complaint_count_update AFTER UPDATE ON complaint
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();
CREATE TRIGGER complaint_count_delete AFTER DELETE ON complaint
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints();

-- TRUNCATE fires no row or statement delete trigger: empty the counts with it.
CREATE OR REPLACE FUNCTION peta_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE complaint_count;
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
  TRUNCATE complaint_count;
  INSERT INTO complaint_count (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public, count(*)
    FROM complaint GROUP BY 1, 2, 3, 4, 5, 6, 7;
  SELECT coalesce(sum(n), 0) INTO counted FROM complaint_count;
  RETURN counted;
END $$;
