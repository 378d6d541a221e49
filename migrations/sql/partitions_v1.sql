-- Monthly partitions of complaint and complaint_event (issue 14).
--
-- A complaint's id carries the month it was created in, in city time: id = yyyymm * 10^10 + a number from
-- complaint_id_seq (a complaint of November 2026 is 2026110000001234). `complaint` is partitioned by RANGE (id)
-- and `complaint_event` by RANGE (complaint_id), one partition per month with the same bounds, so:
--   * every lookup by id, and every history lookup by complaint, reads one partition (the planner prunes);
--   * the primary key and every foreign key to complaint(id) stay single-column (a key on a partitioned table
--     must hold the partition key: partitioning by created_at would have put created_at into every key and
--     every table pointing at a complaint);
--   * a month's history points at the same month's complaints: the key from complaint_event to complaint is one
--     per month, partition to partition (peta_month_history_key). A key to the partitioned parent costs each
--     inserted event ~80 µs on PostgreSQL 15 (its check locks every month), one to the month's table ~5 µs;
--   * a ticket's history lives in the same month as the ticket: a month is detached, archived or dropped whole.
-- The tracking code carries the same month (BJM-2611-…), so a unique index on each partition's tracking_code
-- keeps codes unique city-wide. Keys that must be unique across months (idempotency keys, a channel's message
-- reference) live in complaint_key.

-- The next id for a complaint created in month `month_key` (yyyymm).
CREATE OR REPLACE FUNCTION peta_next_complaint_id(month_key integer) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT month_key::bigint * 10000000000 + nextval('complaint_id_seq')
$$;

-- yyyymm of the month after `month_key`.
CREATE OR REPLACE FUNCTION peta_month_after(month_key integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN month_key % 100 = 12 THEN month_key + 89 ELSE month_key + 1 END
$$;

-- The suffix of a month's partitions: y2026m11.
CREATE OR REPLACE FUNCTION peta_month_suffix(month_key integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT format('y%sm%s', month_key / 100, lpad((month_key % 100)::text, 2, '0'))
$$;

-- A table shaped like a partition of `parent` for `month_key`, not yet attached: columns, defaults, generated
-- columns, checks and a check of the month's bounds (so attaching it needs no scan). Indexes come on attaching.
CREATE OR REPLACE FUNCTION peta_month_table(parent regclass, month_key integer, name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  key_column text := CASE parent WHEN 'complaint'::regclass THEN 'id' ELSE 'complaint_id' END;
BEGIN
  IF month_key % 100 NOT BETWEEN 1 AND 12 OR month_key / 100 NOT BETWEEN 1900 AND 9000 THEN
    RAISE EXCEPTION 'not a month (yyyymm): %', month_key;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS '
                 'INCLUDING STORAGE)', name, parent);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (%I >= %s AND %I < %s)', name, name || '_month',
                 key_column, month_key::bigint * 10000000000, key_column,
                 peta_month_after(month_key)::bigint * 10000000000);
END $$;

-- A month's piece of a parent's index is named after it: complaint_open_geom_m → complaint_y2026m11_open_geom_m,
-- idx_complaint_geom_m → idx_complaint_y2026m11_geom_m (plans and \d then say which index a month used).
CREATE OR REPLACE FUNCTION peta_month_index_name(parent_index text, parent text, name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN position(parent IN parent_index) > 0
              THEN overlay(parent_index PLACING name FROM position(parent IN parent_index) FOR length(parent))
              ELSE name || '_' || parent_index END
$$;

-- The indexes of `parent` built on a table made by peta_month_table, before it is attached: an import fills the
-- table first and builds its indexes after (a sorted build, not a million inserts into each index), and the
-- attach then finds them instead of building them while writers wait.
CREATE OR REPLACE FUNCTION peta_month_indexes(parent regclass, name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
  made text;
BEGIN
  FOR idx IN SELECT i.indexrelid, i.indisprimary, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = parent LOOP
    made := peta_month_index_name(idx.relname, parent::text, name);
    EXECUTE regexp_replace(pg_get_indexdef(idx.indexrelid), '^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ ',
                           format('CREATE \1INDEX %I ON %I ', made, name));
    IF idx.indisprimary THEN
      EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I', name, made, made);
    END IF;
  END LOOP;
END $$;

-- The pieces of `parent`'s indexes on the partition `name` renamed by peta_month_index_name (the ones that
-- ATTACH PARTITION or CREATE INDEX on the parent made carry generated names).
CREATE OR REPLACE FUNCTION peta_name_month_indexes(parent regclass, name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  idx record;
BEGIN
  FOR idx IN SELECT c.relname AS piece, p.relname AS whole FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_inherits h ON h.inhrelid = i.indexrelid
               JOIN pg_class p ON p.oid = h.inhparent
              WHERE i.indrelid = name::regclass LOOP
    IF idx.piece <> peta_month_index_name(idx.whole, parent::text, name) THEN
      EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.piece, peta_month_index_name(idx.whole, parent::text, name));
    END IF;
  END LOOP;
END $$;

-- Attach a table made by peta_month_table to `parent` as the partition of `month_key`; a complaint partition
-- gets its unique tracking codes. ATTACH (not CREATE … PARTITION OF) so that readers are never blocked: it takes
-- SHARE UPDATE EXCLUSIVE on the parent where PARTITION OF takes ACCESS EXCLUSIVE (writers still wait while the
-- foreign keys are checked, so callers attach in a short transaction or at the end of an import).
CREATE OR REPLACE FUNCTION peta_attach_month(parent regclass, month_key integer, name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF parent = 'complaint'::regclass THEN
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (tracking_code)', name || '_tracking_code', name);
  END IF;
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, name,
                 month_key::bigint * 10000000000, peta_month_after(month_key)::bigint * 10000000000);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_month');  -- the bound now says it
  PERFORM peta_name_month_indexes(parent, name);
END $$;

-- The month's history table points at the month's complaints (checked in one join when added; a deleted
-- complaint takes its history with it).
CREATE OR REPLACE FUNCTION peta_month_history_key(month_key integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  suffix text := peta_month_suffix(month_key);
BEGIN
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (complaint_id) REFERENCES %I (id) ON DELETE CASCADE',
                 'complaint_event_' || suffix, 'complaint_event_' || suffix || '_complaint_id_fkey',
                 'complaint_' || suffix);
END $$;

-- Make the partitions of `month_key` (complaint and complaint_event) unless they exist; true when made.
-- Serialised per month by an advisory lock, so concurrent callers (two workers, a submission) make it once.
CREATE OR REPLACE FUNCTION peta_ensure_month(month_key integer) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  suffix text := peta_month_suffix(month_key);
BEGIN
  PERFORM pg_advisory_xact_lock(72110014, month_key);  -- aduan/partitions.py MONTH_LOCK
  IF to_regclass('complaint_' || suffix) IS NOT NULL THEN
    RETURN false;
  END IF;
  PERFORM peta_month_table('complaint', month_key, 'complaint_' || suffix);
  PERFORM peta_attach_month('complaint', month_key, 'complaint_' || suffix);
  PERFORM peta_month_table('complaint_event', month_key, 'complaint_event_' || suffix);
  PERFORM peta_month_history_key(month_key);
  PERFORM peta_attach_month('complaint_event', month_key, 'complaint_event_' || suffix);
  RETURN true;
END $$;

-- The months that have partitions, with their row estimates and sizes (flask partitions, /healthz-like checks).
CREATE OR REPLACE FUNCTION peta_months() RETURNS TABLE (month_key integer, complaints bigint, events bigint,
                                                       bytes bigint)
LANGUAGE sql STABLE AS $$
  SELECT substr(c.relname, 12, 4)::integer * 100 + substr(c.relname, 17, 2)::integer,
         greatest(c.reltuples, 0)::bigint, greatest(coalesce(e.reltuples, 0), 0)::bigint,
         pg_total_relation_size(c.oid) + coalesce(pg_total_relation_size(e.oid), 0)
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    LEFT JOIN pg_class e ON e.relname = 'complaint_event_' || substr(c.relname, 11)
                        AND e.relnamespace = c.relnamespace
   WHERE i.inhparent = 'complaint'::regclass
   ORDER BY 1
$$;
