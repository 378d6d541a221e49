"""The complaint desk: where a complaint came from (channel, its reference, when it was received, the clerk who
entered it), the desk role, channel gateways among API clients, the text the public sees after moderation, and
the city's named places (patokan) for the search box.

Revision ID: 0011
Revises: 0010
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column("complaint", sa.Column("channel_ref", sa.String(length=300), nullable=True))
    op.add_column("complaint", sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaint", sa.Column("entered_by_id", sa.Integer(), nullable=True))
    op.add_column("complaint", sa.Column("public_description", sa.Text(), nullable=True))
    op.create_foreign_key("complaint_entered_by_id_fkey", "complaint", "app_user", ["entered_by_id"], ["id"])
    # The same WhatsApp message (or LAPOR! id, or post) entered twice is one ticket.
    op.create_index("complaint_channel_ref", "complaint", ["channel", "channel_ref"], unique=True,
                    postgresql_where=sa.text("channel_ref IS NOT NULL"))
    op.drop_constraint("app_user_role", "app_user", type_="check")
    op.create_check_constraint("app_user_role", "app_user", "role IN ('officer','skpd_admin','planner','desk','admin')")
    op.add_column("api_client", sa.Column("channels", sa.Boolean(), server_default=sa.text("false"),
                                          nullable=False))
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("geom", geoalchemy2.types.Geometry(srid=4326, spatial_index=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("place_geom", "place", ["geom"], postgresql_using="gist")
    op.create_index("place_name_trgm", "place", [sa.text("lower(name) gin_trgm_ops")], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("place")
    op.drop_column("api_client", "channels")
    op.drop_constraint("app_user_role", "app_user", type_="check")
    op.create_check_constraint("app_user_role", "app_user", "role IN ('officer','skpd_admin','planner','admin')")
    op.drop_index("complaint_channel_ref", "complaint")
    op.drop_constraint("complaint_entered_by_id_fkey", "complaint", type_="foreignkey")
    for column in ("public_description", "entered_by_id", "received_at", "channel_ref"):
        op.drop_column("complaint", column)
