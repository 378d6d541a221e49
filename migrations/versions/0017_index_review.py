"""Indexes by what reads them (issue 13).

Added — date indexes on the count tables: a layer's period ends are day ranges of `complaint_count` (and its
months a range of `complaint_count_month`); the cell-first keys cannot serve them, so each end scanned the whole
table (~4 × 0.7M rows for a hex-bin layer with its previous period at 1M complaints: 100 → 30 ms). Updates of a
count change only `n`, which no index holds, so they stay HOT.

Dropped — the GiST index on `complaint_event.geom` (an officer's position): no query searches events by place
(the position is read per ticket), and most events have none, yet every event written (3.8 per imported
complaint) paid an insert into it.

Revision ID: 0017
Revises: 0016
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("complaint_count_day", "complaint_count", ["day"])
    op.create_index("complaint_count_month_month", "complaint_count_month", ["month"])
    op.drop_index("idx_complaint_event_geom", "complaint_event")


def downgrade() -> None:
    op.create_index("idx_complaint_event_geom", "complaint_event", ["geom"], postgresql_using="gist")
    op.drop_index("complaint_count_month_month", "complaint_count_month")
    op.drop_index("complaint_count_day", "complaint_count")
