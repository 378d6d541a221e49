"""Partial GiST index on the metric point of open tickets: "open tickets near me" walks only open ones.

Field staff search open tickets near them (KNN, `geom_m <-> p`). On the full index that walk also visits every
closed ticket of the city's history (most of the table) and filters it out row by row; this index holds only
open tickets, so the default nearby search stays ~1 ms however long the history grows.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("complaint_open_geom_m", "complaint", ["geom_m"], unique=False, postgresql_using="gist",
                    postgresql_where=sa.text("status IN ('new', 'verified', 'in_progress')"))


def downgrade() -> None:
    op.drop_index("complaint_open_geom_m", table_name="complaint", postgresql_using="gist")
