"""Citizens hear back: reporter language, opt-out and private link; followers; the outbox; ratings; Open311
attribute answers; photos to fetch from media_url.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OUTBOX_STATUSES = "('pending', 'sending', 'retry', 'sent', 'failed', 'unknown')"


def upgrade() -> None:
    op.add_column("reporter", sa.Column("lang", sa.String(length=5), server_default=sa.text("'id'"), nullable=False))
    op.add_column("reporter", sa.Column("notify", sa.Boolean(), server_default=sa.text("true"), nullable=False))
    op.add_column("reporter", sa.Column("token", sa.String(length=64), nullable=True))
    op.create_unique_constraint("reporter_token_key", "reporter", ["token"])
    op.add_column("complaint", sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_table(
        "follower",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=5), server_default=sa.text("'id'"), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("complaint_id", "email"),
        sa.UniqueConstraint("token"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("follower_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="outbox_status"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["complaint_event.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["follower_id"], ["follower.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("outbox_complaint_id", "outbox", ["complaint_id"])
    op.create_index("outbox_due", "outbox", ["next_attempt_at"],
                    postgresql_where=sa.text("status IN ('pending', 'retry')"))
    op.create_table(
        "rating",
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="rating_score"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.create_table(
        "remote_media",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("complaint_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attachment_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="remote_media_status"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["complaint_event.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("remote_media_pending", "remote_media", ["id"], postgresql_where=sa.text("status = 'pending'"))
    op.create_index("complaint_event_created_at", "complaint_event", ["created_at"])  # Open311 updates by time


def downgrade() -> None:
    op.drop_index("complaint_event_created_at", table_name="complaint_event")
    op.drop_table("remote_media")
    op.drop_table("rating")
    op.drop_table("outbox")
    op.drop_table("follower")
    op.drop_column("complaint", "attributes")
    op.drop_constraint("reporter_token_key", "reporter", type_="unique")
    for column in ("token", "notify", "lang"):
        op.drop_column("reporter", column)
