"""Assignment: the SKPD admin (or the desk) gives an open ticket to one officer; "my tickets" is a lookup.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("complaint", sa.Column("assigned_to_id", sa.Integer(), nullable=True))
    op.create_foreign_key("complaint_assigned_to_id_fkey", "complaint", "app_user", ["assigned_to_id"], ["id"])
    op.create_index("complaint_assigned_to", "complaint", ["assigned_to_id"],
                    postgresql_where=sa.text("assigned_to_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("complaint_assigned_to", "complaint")
    op.drop_constraint("complaint_assigned_to_id_fkey", "complaint", type_="foreignkey")
    op.drop_column("complaint", "assigned_to_id")
