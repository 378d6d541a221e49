-- The counts rebuilt from the complaint table (complaint_count_v1.sql keeps them by triggers): all of them
-- (after a change of resolution or time zone), or only the months [from_month, to_month) (yyyymm), which is how
-- a history import adds the months it attached as whole partitions (no insert trigger fires for those).
-- A month's complaints are found by their ids (aduan/partitions.py) and its counts by its city-time days.
DROP FUNCTION IF EXISTS peta_recount_complaints();
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
  INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM complaint_count WHERE day >= first_day AND day < end_day;
  DELETE FROM complaint_count WHERE day >= first_day AND day < end_day;
  DELETE FROM complaint_count_month WHERE month >= first_day AND month < end_day;
  INSERT INTO complaint_count (day, cell, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT (created_at AT TIME ZONE zone)::date, h3_cell, category_id, skpd_id, kelurahan_id, status, public, count(*)
    FROM complaint WHERE id >= lo AND id < hi GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO complaint_count_month (cell, month, category_id, skpd_id, kelurahan_id, status, public, n)
  SELECT cell, date_trunc('month', day)::date, category_id, skpd_id, kelurahan_id, status, public, sum(n)
    FROM complaint_count WHERE day >= first_day AND day < end_day GROUP BY 1, 2, 3, 4, 5, 6, 7;
  INSERT INTO cell_change (cell) SELECT DISTINCT cell FROM complaint_count WHERE day >= first_day AND day < end_day;
  SELECT coalesce(sum(n), 0) INTO counted FROM complaint_count WHERE day >= first_day AND day < end_day;
  RETURN counted;
END $$;
