"""Index on resolution time: "done this month" per SKPD for the queue's wall counts without a table scan.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("complaint_resolved_at", "complaint", ["resolved_at", "skpd_id"], unique=False)


def downgrade() -> None:
    op.drop_index("complaint_resolved_at", table_name="complaint")
