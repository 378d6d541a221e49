"""A permanent index on each complaint's cell (issue 13).

A binned tile (z13–14) is summed from per-cell parts; after a write only the written cell's part is read
again, by its cell. Without an index on the cell that read went through the GiST index of the cell's bounding
box, which also covers the neighbouring cells: the densest cell of the centre (45k complaints at 1M) read 12k
pages and sorted its points (76 ms); by this index it reads its own 5.6k pages and hashes them (51 ms). The
same index orders the nightly CLUSTER (`cluster-complaints`), which made it only for the rewrite before. It costs
each insert one more B-tree entry.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Built beside the running city (submissions are not blocked), so outside the migration's transaction: an
    # upgrade that failed in a later migration and is run again finds it here, or finds a build that was cut
    # short (invalid), which is built again.
    with op.get_context().autocommit_block():
        valid = op.get_bind().execute(sa.text(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('complaint_cell')")).scalar()
        if valid is False:
            op.drop_index("complaint_cell", "complaint", postgresql_concurrently=True)
        if not valid:
            op.create_index("complaint_cell", "complaint", ["h3_cell", "created_at"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("complaint_cell", "complaint", postgresql_concurrently=True)
