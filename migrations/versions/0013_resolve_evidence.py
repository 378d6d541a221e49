"""A per-category rule: resolving needs an after-photo and a public note (on for the city's infrastructure
categories, set by the city: the demo seeder, import-categories or the admin pages).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("category", sa.Column("resolve_needs_evidence", sa.Boolean(), server_default=sa.text("false"),
                                        nullable=False))


def downgrade() -> None:
    op.drop_column("category", "resolve_needs_evidence")
