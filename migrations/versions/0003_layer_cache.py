"""Layer cache: computed layers and tiles shared by every app instance; index for the data version.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "layer_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("layer", sa.String(length=40), nullable=False),
        sa.Column("params_hash", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        prefixes=["UNLOGGED"],
    )
    op.create_index(op.f("ix_layer_cache_params_hash"), "layer_cache", ["params_hash"], unique=False)
    op.create_index("complaint_updated_at", "complaint", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("complaint_updated_at", table_name="complaint")
    op.drop_index(op.f("ix_layer_cache_params_hash"), table_name="layer_cache")
    op.drop_table("layer_cache")
