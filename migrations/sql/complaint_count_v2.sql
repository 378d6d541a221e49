-- complaint_count_v1.sql and recount_v2.sql with the month in each cell change: every function that appends to
-- cell_change names the (cell, city-time month) pairs whose counts it changed, not only the cells. A binned tile
-- (layers/mvt.py) is summed from parts per cell and month, so a new complaint invalidates its cell's part of
-- this month and a status change the part of its ticket's month, not the cell's whole history (the densest cell
-- of Banjarmasin's centre holds 45,000 complaints at 1M, ~2,400 of them in one month). The triggers themselves
-- (complaint_count_v1.sql) call these functions by name and stay as they are.
-- Invariant the tiles rely on: a (cell, month) that holds complaints has a change row (each function below
-- appends one for every pair it counts; pruning keeps the newest of each pair).
CREATE OR REPLACE FUNCTION peta_count_complaints() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT tz FROM layer_grid);
BEGIN
  -- Each branch: the statement's change as +1/-1 per key (keys whose rows moved nowhere drop out), added to the
  -- counts; and the (cell, month) of every row whose counted columns changed appended to cell_change (appending
  -- locks no row, so writers in one cell never wait for each other).
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
    INSERT INTO cell_change (cell, month) SELECT DISTINCT cell, date_trunc('month', day)::date FROM change;
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
    INSERT INTO cell_change (cell, month)
    SELECT DISTINCT p.cell, date_trunc('month', p.created_at AT TIME ZONE zone)::date
      FROM old_rows o JOIN new_rows n USING (id),
           LATERAL (VALUES (o.h3_cell, o.created_at), (n.h3_cell, n.created_at)) AS p(cell, created_at)
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
    INSERT INTO cell_change (cell, month) SELECT DISTINCT cell, date_trunc('month', day)::date FROM change;
  END IF;
  RETURN NULL;
END $$;

-- TRUNCATE fires no row or statement delete trigger: empty the counts with it (every counted pair changed).
CREATE OR REPLACE FUNCTION peta_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cell_change (cell, month) SELECT DISTINCT cell, month FROM complaint_count_month;
  TRUNCATE complaint_count, complaint_count_month;
  RETURN NULL;
END $$;

-- The counts rebuilt from the complaint table: all of them (after a change of resolution or time zone), or only
-- the months [from_month, to_month) (yyyymm), which is how a history import adds the months it attached as whole
-- partitions (no insert trigger fires for those). A month's complaints are found by their ids
-- (aduan/partitions.py) and its counts by its city-time days. The pairs counted before and after are changed.
CREATE OR REPLACE FUNCTION peta_recount_complaints(from_month integer DEFAULT NULL, to_month integer DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  zone text := (SELECT tz FROM layer_grid);
  first_day date := coalesce(make_date(from_month / 100, from_month % 100, 1), '-infinity');
  end_day date := coalesce(make_date(to_month / 100, to_month % 100, 1), 'infinity');
  lo bigint := coalesce(from_month::bigint * 10000000000, 0);
  hi bigint := coalesce(to_month::bigint * 10000000000, 9223372036854775807);
  counted bigint;
BEGIN
  INSERT INTO cell_change (cell, month)
  SELECT DISTINCT cell, month FROM complaint_count_month WHERE month >= first_day AND month < end_day;
  DELETE FROM complaint_count WHERE day >= first_day AND day < end_day;
  DELETE FROM complaint_count_month WHERE month >= first_day AND month < end_day;
  INSERT INTO complaint_count (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public, count(*)
    FROM complaint WHERE id >= lo AND id < hi GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO complaint_count_month (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
    FROM complaint_count WHERE day >= first_day AND day < end_day GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO cell_change (cell, month)
  SELECT DISTINCT cell, month FROM complaint_count_month WHERE month >= first_day AND month < end_day;
  SELECT coalesce(sum(n), 0) INTO counted FROM complaint_count WHERE day >= first_day AND day < end_day;
  RETURN counted;
END $$;
