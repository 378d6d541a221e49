"""A complaint's creation time lies in its id's month, give or take a day: enforced (issue 13).

Every query by time bounds the id to the months of its range, a day beyond each end in UTC
(`aduan.partitions.created_between`), so that the planner reads only those months' partitions. That is only
right while a complaint's `created_at` lies in the month its id names: intake and imports take both from the
same moment, in the city's time, which is less than a day from UTC in every zone. This constraint makes the
database refuse any row that breaks it (a script moving `created_at`, a future feature correcting the time a
complaint was received) instead of letting it drop silently out of time-range answers.

Adding it checks every complaint once (about a second per million rows, under a lock that holds writers); new
month tables carry it from the parent (partitions_v1.sql copies the parent's checks), so attaching them needs
no scan. Each insert pays ~0.3 µs for it; planning a query over every month ~0.4 ms (the planner reads each
month's checks).

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Frozen copy of aduan/partitions.py's CREATED_MONTH_SQL (migrations import no app code; it says how the bounds are
# made and what the check costs): the id's month is id / 10^10 = yyyymm; its first instant in UTC less 24 hours, up
# to the next month's first instant plus 24 hours.
_Y, _M = "(id / 1000000000000)::integer", "((id / 10000000000) % 100)::integer"
CREATED_MONTH = (f"created_at >= make_timestamptz({_Y}, {_M}, 1, 0, 0, 0, 'UTC') - interval '24 hours' "
                 f"AND created_at < make_timestamptz({_Y} + {_M} / 12, {_M} % 12 + 1, 1, 0, 0, 0, 'UTC') "
                 "+ interval '24 hours'")


def upgrade() -> None:
    op.execute(f"ALTER TABLE complaint ADD CONSTRAINT complaint_created_month CHECK ({CREATED_MONTH})")


def downgrade() -> None:
    op.execute("ALTER TABLE complaint DROP CONSTRAINT complaint_created_month")
