"""Each cell change names its city-time month, so a binned tile is cached in parts per cell and month (issue 13).

A z13-14 tile was summed from one cached part per cell; a write in a cell made the next request read every
complaint of that cell again, all months of it: the densest cell of the centre at 1M (45,000 complaints) took
50-70 ms, and a request after a new complaint and a status change in the same tile 102-151 ms at p95. Parts per
(cell, month) are invalidated by the month a change touched, so a new complaint costs reading its cell's
complaints of this month only (migrations/sql/complaint_count_v2.sql). The versions of whole tiles are unchanged:
the newest change of any month of their cells.

The existing change rows carry no month: they are replaced by one new row per counted (cell, month), which moves
every tile's version once (each tile is computed again once after the upgrade).

Revision ID: 0023
Revises: 0022
"""
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.add_column("cell_change", sa.Column("month", sa.Date()))
    op.execute("DELETE FROM cell_change")
    op.execute("INSERT INTO cell_change (cell, month) SELECT DISTINCT cell, month FROM complaint_count_month")
    op.alter_column("cell_change", "month", nullable=False)
    op.create_index("cell_change_cell_month", "cell_change", ["cell", "month", "id"])
    op.execute((SQL / "complaint_count_v2.sql").read_text())


def downgrade() -> None:
    for kind in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER complaint_count_{kind} ON complaint")
    op.execute("DROP FUNCTION peta_recount_complaints(integer, integer)")
    op.execute((SQL / "complaint_count_v1.sql").read_text())  # the triggers and their cell-only functions
    op.execute((SQL / "recount_v2.sql").read_text())
    op.drop_index("cell_change_cell_month", "cell_change")
    op.drop_column("cell_change", "month")
