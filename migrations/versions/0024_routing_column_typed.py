"""complaint.routing stored as the declared `routing_record` instead of `jsonb`; a clerk's override beside it (issue 13).

Migration 0022 declared the record's fields once, but every path still turned it into `jsonb` to store it:
`to_jsonb` costs ~9 µs a row (366 ms for a month of 52,206 imported complaints, 30 ms as the composite), and a
`jsonb` record takes 577 bytes against 222, of a ~940-byte row (1M complaints: 582 MB of heap against 975 MB). A
whole 1M-row import, four runs each alternated: median 68.7 s typed against 74.3 s as `jsonb`, the months'
inserts 18.0-20.7 s against 25.0-28.4 s. Readers are unchanged: the column's SQLAlchemy type (aduan.models
RoutingRecord) selects it as `to_jsonb(routing)`, the same object with the same keys.

A manual re-route appended a `manual` object to the record; the record is now what the routing decided, and the
clerk's override (from/to, reason, who, when) is `routing_manual`, NULL unless a clerk re-routed the ticket.

The upgrade rewrites every month of complaints under an exclusive lock: 33.6 s for the benchmark's 1,005,516
complaints on two cores, its check included. Keys outside the declared record are refused before anything
changes (no path has written any since 0022; the fields were the same before it), so nothing is dropped without
a word.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    unknown = bind.execute(sa.text("""
        SELECT DISTINCT k FROM complaint c, jsonb_object_keys(c.routing) k
         WHERE k <> 'manual' AND k NOT IN (
               SELECT a.attname FROM pg_attribute a
                WHERE a.attrelid = 'routing_record'::regclass AND a.attnum > 0 AND NOT a.attisdropped)
    """)).scalars().all()
    if unknown:
        raise RuntimeError(
            "complaint.routing holds keys the routing_record type does not declare, which Peta Aduan never wrote "
            f"and this upgrade would drop: {', '.join(sorted(unknown))}. Find them with "
            "SELECT id, routing FROM complaint WHERE routing ? '<key>', keep what they hold elsewhere, remove them, "
            "and upgrade again. Nothing was changed.")
    op.add_column("complaint", sa.Column("routing_manual", sa.dialects.postgresql.JSONB))
    op.execute("UPDATE complaint SET routing_manual = routing -> 'manual' WHERE routing ? 'manual'")
    op.execute("ALTER TABLE complaint ALTER COLUMN routing TYPE routing_record "
               "USING jsonb_populate_record(NULL::routing_record, routing)")


def downgrade() -> None:
    # Two steps: a USING that reads another column maps it wrongly on partitions whose columns are numbered
    # differently from the parent's ("attribute number 40 exceeds number of columns 39", PostgreSQL 15).
    op.execute("ALTER TABLE complaint ALTER COLUMN routing TYPE jsonb USING to_jsonb(routing)")
    op.execute("UPDATE complaint SET routing = routing || jsonb_build_object('manual', routing_manual) "
               "WHERE routing_manual IS NOT NULL")
    op.drop_column("complaint", "routing_manual")
