"""A complaint's creation time lies in its id's month, give or take a day: enforced (issue 13).

Every query by time bounds the id to the months of its range, a day beyond each end in UTC
(`aduan.partitions.created_between`), so that the planner reads only those months' partitions. That is only
right while a complaint's `created_at` lies in the month its id names: intake and imports take both from the
same moment, in the city's time, which is less than a day from UTC in every zone. This constraint makes the
database refuse any row that breaks it (a script moving `created_at`, a future feature correcting the time a
complaint was received) instead of letting it drop silently out of time-range answers.

Adding it checks every complaint once (about a second per million rows, under a lock that holds writers); new
month tables carry it from the parent (partitions_v1.sql copies the parent's checks), so attaching them needs
no scan.

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Frozen copy of aduan/models.py's complaint_created_month (migrations import no app code): the id's month is
# id / 10^10 = yyyymm; its first instant in UTC, less a day, up to the next month's first instant, plus a day.
_MONTH_START = "make_timestamp((id / 1000000000000)::integer, ((id / 10000000000) % 100)::integer, 1, 0, 0, 0)"
CREATED_MONTH = (f"created_at AT TIME ZONE 'UTC' >= {_MONTH_START} - interval '1 day' "
                 f"AND created_at AT TIME ZONE 'UTC' < {_MONTH_START} + interval '1 month 1 day'")


def upgrade() -> None:
    op.execute(f"ALTER TABLE complaint ADD CONSTRAINT complaint_created_month CHECK ({CREATED_MONTH})")


def downgrade() -> None:
    op.execute("ALTER TABLE complaint DROP CONSTRAINT complaint_created_month")
