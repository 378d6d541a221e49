"""Messages can be withdrawn: a reporter who stops messages gets none of those still waiting.

Stopping only set `reporter.notify`, which new messages respect; the ones already queued (a step's e-mail and
WhatsApp waiting for the worker, or for a gateway not yet configured) still went out. `withdrawn` marks them
instead of deleting them, so the staff page still shows what was not sent and why.

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BEFORE = "('pending', 'sending', 'retry', 'sent', 'failed', 'unknown')"
AFTER = "('pending', 'sending', 'retry', 'sent', 'failed', 'unknown', 'withdrawn')"


def upgrade() -> None:
    op.drop_constraint("outbox_status", "outbox", type_="check")
    op.create_check_constraint("outbox_status", "outbox", f"status IN {AFTER}")


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed', last_error = 'withdrawn by the reporter' "
               "WHERE status = 'withdrawn'")
    op.drop_constraint("outbox_status", "outbox", type_="check")
    op.create_check_constraint("outbox_status", "outbox", f"status IN {BEFORE}")
