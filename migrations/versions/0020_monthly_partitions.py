"""Complaints and their history partitioned by month (issue 14).

`complaint` becomes PARTITION BY RANGE (id) and `complaint_event` PARTITION BY RANGE (complaint_id), one
partition per city-time month, with ids that carry their month (migrations/sql/partitions_v1.sql says why):
an existing complaint keeps its number behind its month, `yyyymm * 10^10 + id`, and every table pointing at it
follows. Keys that must hold across months move to `complaint_key` (idempotency keys, a channel's message
reference); tracking codes stay unique by a unique index per partition (the code carries its month). Partitions
are made for every month with complaints and for this month and the next three; the worker keeps making them
(aduan/partitions.py). The history's index on complaint_id goes: its primary key (complaint_id, id) serves it;
its key to the complaints is one per month, partition to partition (partitions_v1.sql says why).

Runs in one transaction; at 1M complaints it rewrites ~5M rows (a few minutes, progress on stderr).

Revision ID: 0020
Revises: 0019
"""
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"
MONTH = 10_000_000_000  # id = yyyymm * MONTH + sequence number
CHILDREN = ("attachment", "follower", "outbox", "rating", "remote_media")  # tables pointing at complaint(id)
EVENT_CHILDREN = ("attachment", "outbox", "remote_media")  # and at complaint_event(id)
# The tracking code names the id's month (BJM-2611-… ↔ 2026 11): what lets a lookup by code read one partition.
CODE_MONTH = "split_part(tracking_code, '-', 2) = lpad(((id / 10000000000) % 10000)::text, 4, '0')"

COMPLAINT_INDEXES = [  # frozen copy of the model's indexes (migrations import no app code)
    ("complaint_assigned_to", "(assigned_to_id) WHERE assigned_to_id IS NOT NULL"),
    ("complaint_cell", "(h3_cell, created_at)"),
    ("complaint_created_at", "(created_at)"),
    ("complaint_open_due", "(skpd_id, handling_due_at) WHERE status IN ('new', 'verified', 'in_progress')"),
    ("complaint_open_geom_m", "USING gist (geom_m) WHERE status IN ('new', 'verified', 'in_progress')"),
    ("complaint_resolved_at", "(resolved_at, skpd_id)"),
    ("complaint_updated_at", "(updated_at)"),
    ("idx_complaint_geom", "USING gist (geom)"),
    ("idx_complaint_geom_m", "USING gist (geom_m)"),
    ("ix_complaint_category_id", "(category_id)"),
    ("ix_complaint_kelurahan_id", "(kelurahan_id)"),
    ("ix_complaint_skpd_id", "(skpd_id)"),
    ("ix_complaint_status", "(status)"),
]
COMPLAINT_FKS = [
    ("assigned_to_id", "app_user(id)", ""), ("category_id", "category(id)", ""),
    ("duplicate_of_id", "complaint(id)", ""), ("entered_by_id", "app_user(id)", ""),
    ("generation_id", "boundary_generation(id)", ""), ("kecamatan_id", "kecamatan(id)", ""),
    ("kelurahan_id", "kelurahan(id)", ""), ("reporter_id", "reporter(id)", " ON DELETE SET NULL"),
    ("service_area_id", "service_area(id)", ""), ("skpd_id", "skpd(id)", ""),
]


def _say(msg: str) -> None:
    print(f"    {msg}", file=sys.stderr, flush=True)


def _x(sql: str, **params: object) -> sa.engine.CursorResult:
    return op.get_bind().execute(sa.text(sql), params)


def _columns(table: str) -> list[str]:
    """Stored (not generated) columns of `table`, in order."""
    return list(_x("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND "
                   "table_name = :t AND is_generated = 'NEVER' ORDER BY ordinal_position", t=table).scalars())


def _set_aside(suffix: str) -> None:
    """The tables as they are renamed to complaint_<suffix> and complaint_event_<suffix>, with their triggers and
    incoming keys gone and their index names freed, for their rows to be copied into the new shape."""
    for kind in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER complaint_count_{kind} ON complaint")
    for child in CHILDREN:
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {child}_complaint_id_fkey")
    for child in EVENT_CHILDREN:
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {child}_event_id_fkey")
    op.execute(f"ALTER TABLE complaint RENAME TO complaint_{suffix}")
    op.execute(f"ALTER TABLE complaint_event RENAME TO complaint_event_{suffix}")
    for (name,) in _x("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid IN "
                      f"('complaint_{suffix}'::regclass, 'complaint_event_{suffix}'::regclass)").all():
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_{suffix}")
    op.execute("ALTER SEQUENCE complaint_id_seq OWNED BY NONE")
    op.execute("ALTER SEQUENCE complaint_event_id_seq OWNED BY NONE")


def _create_parents() -> None:
    op.execute("CREATE TABLE complaint (LIKE complaint_old INCLUDING DEFAULTS INCLUDING GENERATED "
               "INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE (id)")
    op.execute("ALTER TABLE complaint ALTER COLUMN id DROP DEFAULT, DROP COLUMN idempotency_key")
    op.execute(f"ALTER TABLE complaint ADD CONSTRAINT complaint_code_month CHECK ({CODE_MONTH})")
    op.execute("CREATE TABLE complaint_event (LIKE complaint_event_old INCLUDING DEFAULTS INCLUDING GENERATED "
               "INCLUDING CONSTRAINTS INCLUDING STORAGE) PARTITION BY RANGE (complaint_id)")
    op.execute("ALTER SEQUENCE complaint_id_seq OWNED BY complaint.id")
    op.execute("ALTER SEQUENCE complaint_event_id_seq OWNED BY complaint_event.id")
    op.create_table(
        "complaint_key",
        sa.Column("kind", sa.String(20), nullable=False),  # idempotency | channel
        sa.Column("key", sa.String(400), nullable=False),  # the scoped idempotency key | channel:reference
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )
    op.create_index("complaint_key_complaint_id", "complaint_key", ["complaint_id"])


def _map_ids(tz: str) -> None:
    """Each complaint's new id: the month its tracking code names (the month it was created in, city time),
    then its old number. The code decides, not the clock: a lookup by code reads only the code's month."""
    _x("CREATE TEMP TABLE complaint_id_map ON COMMIT DROP AS SELECT id AS old_id, "
       "(CASE WHEN split_part(tracking_code, '-', 2) ~ '^[0-9]{4}$' "
       "THEN 200000 + split_part(tracking_code, '-', 2)::integer "
       "ELSE (extract(year FROM created_at AT TIME ZONE :tz) * 100 "
       "+ extract(month FROM created_at AT TIME ZONE :tz))::integer END)::bigint * :month + id AS new_id "
       "FROM complaint_old", tz=tz, month=MONTH)
    op.execute("ALTER TABLE complaint_id_map ADD PRIMARY KEY (old_id)")
    op.execute("ANALYZE complaint_id_map")


def _ensure_months(tz: str) -> None:
    """Partitions for every month with complaints, and for this month and the next three."""
    months = _x("SELECT DISTINCT (new_id / :month)::integer FROM complaint_id_map "
                "UNION SELECT (extract(year FROM m) * 100 + extract(month FROM m))::integer "
                "FROM generate_series(now() AT TIME ZONE :tz, now() AT TIME ZONE :tz + interval '3 months', "
                "interval '1 month') m", tz=tz, month=MONTH).scalars().all()
    for month in sorted(months):  # as peta_ensure_month, but keys come after the rows (checked in one join)
        suffix = _x("SELECT peta_month_suffix(:m)", m=month).scalar_one()
        for parent in ("complaint", "complaint_event"):
            name = f"{parent}_{suffix}"
            _x("SELECT peta_month_table(CAST(:p AS regclass), :m, :t)", p=parent, m=month, t=name)
            _x("SELECT peta_attach_month(CAST(:p AS regclass), :m, :t)", p=parent, m=month, t=name)
    _say(f"partitions for {len(months)} months")


def _copy_rows() -> None:
    """Complaints under their new ids, their history, and the tables pointing at them."""
    cols = [c for c in _columns("complaint") if c not in ("id", "duplicate_of_id")]
    listed = ", ".join(cols)
    n = _x(f"INSERT INTO complaint (id, duplicate_of_id, {listed}) "  # noqa: S608 - column names only
           f"SELECT m.new_id, d.new_id, {', '.join('o.' + c for c in cols)} FROM complaint_old o "
           "JOIN complaint_id_map m ON m.old_id = o.id LEFT JOIN complaint_id_map d ON d.old_id = o.duplicate_of_id "
           "ORDER BY m.new_id").rowcount
    _say(f"complaints: {n:,}")
    ecols = [c for c in _columns("complaint_event") if c != "complaint_id"]
    n = _x(f"INSERT INTO complaint_event (complaint_id, {', '.join(ecols)}) "  # noqa: S608
           f"SELECT m.new_id, {', '.join('e.' + c for c in ecols)} FROM complaint_event_old e "
           "JOIN complaint_id_map m ON m.old_id = e.complaint_id ORDER BY m.new_id, e.id").rowcount
    _say(f"history: {n:,}")
    op.execute("INSERT INTO complaint_key (kind, key, complaint_id) "
               "SELECT 'idempotency', o.idempotency_key, m.new_id FROM complaint_old o "
               "JOIN complaint_id_map m ON m.old_id = o.id WHERE o.idempotency_key IS NOT NULL "
               "UNION ALL SELECT 'channel', o.channel || ':' || o.channel_ref, m.new_id FROM complaint_old o "
               "JOIN complaint_id_map m ON m.old_id = o.id WHERE o.channel_ref IS NOT NULL")
    for child in CHILDREN:
        _x(f"UPDATE {child} t SET complaint_id = m.new_id FROM complaint_id_map m "  # noqa: S608 - table names
           "WHERE t.complaint_id = m.old_id")


def _complaint_indexes_and_keys() -> None:
    """The complaint table's primary key, indexes and keys to other tables (both ways of the migration)."""
    op.execute("ALTER TABLE complaint ADD PRIMARY KEY (id)")
    for name, definition in COMPLAINT_INDEXES:
        using = definition if definition.startswith("USING") else f"USING btree {definition}"
        op.execute(f"CREATE INDEX {name} ON complaint {using}")
    for column, target, action in COMPLAINT_FKS:
        op.execute(f"ALTER TABLE complaint ADD CONSTRAINT complaint_{column}_fkey FOREIGN KEY ({column}) "
                   f"REFERENCES {target}{action}")


def _index_and_key() -> None:
    _complaint_indexes_and_keys()
    op.execute("ALTER TABLE complaint_event ADD PRIMARY KEY (complaint_id, id)")
    op.execute("CREATE INDEX complaint_event_created_at ON complaint_event (created_at)")
    op.execute("ALTER TABLE complaint_event ADD CONSTRAINT complaint_event_actor_user_id_fkey FOREIGN KEY "
               "(actor_user_id) REFERENCES app_user(id)")
    for (month,) in _x("SELECT month_key FROM peta_months()").all():  # each month's history → its complaints
        _x("SELECT peta_month_history_key(:m)", m=month)
    op.execute("ALTER TABLE complaint_key ADD CONSTRAINT complaint_key_complaint_id_fkey FOREIGN KEY "
               "(complaint_id) REFERENCES complaint(id) ON DELETE CASCADE")
    for child in CHILDREN:
        op.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_complaint_id_fkey FOREIGN KEY (complaint_id) "
                   "REFERENCES complaint(id) ON DELETE CASCADE")
    for child in EVENT_CHILDREN:  # an event is found by its complaint's partition; a deleted one leaves a NULL
        op.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_event_id_fkey FOREIGN KEY (complaint_id, event_id) "
                   "REFERENCES complaint_event (complaint_id, id) ON DELETE SET NULL (event_id)")


def upgrade() -> None:
    tz = str(context.config.attributes["timezone"])
    op.execute((SQL / "partitions_v1.sql").read_text())
    _set_aside("old")
    _create_parents()
    _map_ids(tz)
    _ensure_months(tz)
    _copy_rows()
    op.execute("DROP TABLE complaint_event_old, complaint_old")
    _index_and_key()
    for (suffix,) in _x("SELECT peta_month_suffix(month_key) FROM peta_months()").all():  # the made pieces named
        for parent in ("complaint", "complaint_event"):
            _x("SELECT peta_name_month_indexes(CAST(:p AS regclass), :t)", p=parent, t=f"{parent}_{suffix}")
    op.execute((SQL / "complaint_count_v1.sql").read_text())  # the count triggers, now on the partitioned table
    op.execute((SQL / "recount_v2.sql").read_text())  # and a recount of some months (imports attach months)
    op.execute("ANALYZE complaint")
    op.execute("ANALYZE complaint_event")


def downgrade() -> None:
    """Back to plain tables: ids lose their month (the sequence number under it is unique on its own)."""
    _set_aside("new")
    op.execute("CREATE TABLE complaint (LIKE complaint_new INCLUDING DEFAULTS INCLUDING GENERATED "
               "INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    op.execute("ALTER TABLE complaint DROP CONSTRAINT complaint_code_month")
    op.execute("ALTER TABLE complaint ADD COLUMN idempotency_key varchar(100), "
               "ALTER COLUMN id SET DEFAULT nextval('complaint_id_seq')")
    op.execute("CREATE TABLE complaint_event (LIKE complaint_event_new INCLUDING DEFAULTS INCLUDING GENERATED "
               "INCLUDING CONSTRAINTS INCLUDING STORAGE)")
    op.execute("ALTER SEQUENCE complaint_id_seq OWNED BY complaint.id")
    op.execute("ALTER SEQUENCE complaint_event_id_seq OWNED BY complaint_event.id")
    cols = [c for c in _columns("complaint_new") if c not in ("id", "duplicate_of_id")]
    _x(f"INSERT INTO complaint (id, duplicate_of_id, idempotency_key, {', '.join(cols)}) "  # noqa: S608
       f"SELECT n.id % :month, n.duplicate_of_id % :month, k.key, {', '.join('n.' + c for c in cols)} "
       "FROM complaint_new n LEFT JOIN complaint_key k ON k.complaint_id = n.id AND k.kind = 'idempotency'",
       month=MONTH)
    ecols = [c for c in _columns("complaint_event_new") if c != "complaint_id"]
    _x(f"INSERT INTO complaint_event (complaint_id, {', '.join(ecols)}) "  # noqa: S608
       f"SELECT e.complaint_id % :month, {', '.join('e.' + c for c in ecols)} FROM complaint_event_new e",
       month=MONTH)
    for child in CHILDREN:
        _x(f"UPDATE {child} SET complaint_id = complaint_id % :month", month=MONTH)  # noqa: S608
    op.execute("DROP TABLE complaint_key, complaint_event_new, complaint_new")
    _complaint_indexes_and_keys()
    op.execute("ALTER TABLE complaint ADD CONSTRAINT complaint_tracking_code_key UNIQUE (tracking_code)")
    op.execute("ALTER TABLE complaint ADD CONSTRAINT complaint_idempotency_key_key UNIQUE (idempotency_key)")
    op.execute("CREATE UNIQUE INDEX complaint_channel_ref ON complaint (channel, channel_ref) "
               "WHERE channel_ref IS NOT NULL")
    op.execute("ALTER TABLE complaint_event ADD PRIMARY KEY (id)")
    op.execute("CREATE INDEX complaint_event_created_at ON complaint_event (created_at)")
    op.execute("CREATE INDEX ix_complaint_event_complaint_id ON complaint_event (complaint_id)")
    op.execute("ALTER TABLE complaint_event ADD CONSTRAINT complaint_event_complaint_id_fkey FOREIGN KEY "
               "(complaint_id) REFERENCES complaint(id) ON DELETE CASCADE")
    op.execute("ALTER TABLE complaint_event ADD CONSTRAINT complaint_event_actor_user_id_fkey FOREIGN KEY "
               "(actor_user_id) REFERENCES app_user(id)")
    for child in CHILDREN:
        op.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_complaint_id_fkey FOREIGN KEY (complaint_id) "
                   "REFERENCES complaint(id) ON DELETE CASCADE")
    for child in EVENT_CHILDREN:
        op.execute(f"ALTER TABLE {child} ADD CONSTRAINT {child}_event_id_fkey FOREIGN KEY (event_id) "
                   "REFERENCES complaint_event(id) ON DELETE SET NULL")
    op.execute("DROP FUNCTION peta_recount_complaints(integer, integer)")
    op.execute((SQL / "complaint_count_v1.sql").read_text())
    for fn in ("peta_months()", "peta_ensure_month(integer)", "peta_attach_month(regclass, integer, text)",
               "peta_month_table(regclass, integer, text)", "peta_month_indexes(regclass, text)",
               "peta_name_month_indexes(regclass, text)", "peta_month_index_name(text, text, text)",
               "peta_month_history_key(integer)",
               "peta_month_suffix(integer)", "peta_month_after(integer)", "peta_next_complaint_id(integer)"):
        op.execute(f"DROP FUNCTION {fn}")
