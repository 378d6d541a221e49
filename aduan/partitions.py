"""Monthly partitions of complaints and their history (issue 14; migrations/sql/partitions_v1.sql).

A complaint's id is `yyyymm * 10^10 + n`: the city-time month it was created in, then a number from one
sequence. `complaint` is partitioned by that id and `complaint_event` by its complaint's id, a partition per
month, so a lookup by id or a ticket's history reads one partition and a month can be archived whole.

Partitions are made ahead of time by the worker (this month and the next three) and by imports for the months
they bring; a submission that finds its month missing (a desk entry dated into a month no one made) makes it and
tries again. Making one attaches a fresh table, which briefly stops writers (not readers): always in a short
transaction of its own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Engine, and_, text, true
from sqlalchemy.exc import DBAPIError

from aduan.settings import Settings

ID_MONTH = 10**10  # id = yyyymm * ID_MONTH + sequence number (the same factor as partitions_v1.sql)
MONTHS_AHEAD = 3
PARENTS = ("complaint", "complaint_event")  # attached in this order: the history's key points at the complaints
MONTH_LOCK = 72110014  # advisory lock class serialising the making of a month (partitions_v1.sql)


def month_key(local: dt.date | dt.datetime) -> int:
    """yyyymm of a city-time date: the month a complaint created then belongs to."""
    return local.year * 100 + local.month


def month_after(key: int) -> int:
    """yyyymm of the month after `key`."""
    return key + 89 if key % 100 == 12 else key + 1


def code_span(code: str | None) -> dict[str, int]:
    """The ids of the month a tracking code names, as bind values `lo`, `hi`: bounding a lookup by code with them
    reads one month's partition instead of probing every month's index (a check on the table keeps the code's
    month and the id's equal). Codes name months of 2000–2099; a code naming no month matches nothing."""
    parts = (code or "").split("-")
    yymm = parts[-2] if len(parts) >= 3 else ""
    if len(yymm) != 4 or not yymm.isdigit() or not 1 <= int(yymm[2:]) <= 12:
        return {"lo": 0, "hi": 0}
    key = 200000 + int(yymm)
    return {"lo": key * ID_MONTH, "hi": month_after(key) * ID_MONTH}


def of_code(id_column: ColumnElement, code: str | None) -> ColumnElement:
    """`code_span` as a condition on a complaint id column (SQLAlchemy)."""
    span = code_span(code)
    return and_(id_column >= span["lo"], id_column < span["hi"])


# What created_between relies on, as the check on complaint (migration 0021): created_at lies in the id's month,
# taken in UTC, 24 hours beyond each end. An id carries its city-time month, and every zone is less than a day from
# UTC. The bounds are made with make_timestamptz in UTC and moved by hours, not days or months, so they do not
# depend on the session's time zone. Its price is planning: the planner reads each month's checks, ~0.4 ms more for
# a query over all 22 months of the 1M bench database in a warm session (1.45 -> 1.9 ms); a query by time reads
# only its months.
_Y, _M = f"(id / {ID_MONTH * 100})::integer", f"((id / {ID_MONTH}) % 100)::integer"
CREATED_MONTH_SQL = (f"created_at >= make_timestamptz({_Y}, {_M}, 1, 0, 0, 0, 'UTC') - interval '24 hours' "
                     f"AND created_at < make_timestamptz({_Y} + {_M} / 12, {_M} % 12 + 1, 1, 0, 0, 0, 'UTC') "
                     "+ interval '24 hours'")


# The tracking code names the id's month (BJM-2611-… ↔ 2026110000…), as the check on complaint (migration 0020):
# what lets a lookup by code read one month's partition (code_span).
CODE_MONTH_SQL = f"split_part(tracking_code, '-', 2) = lpad(((id / {ID_MONTH}) % 10000)::text, 4, '0')"


def created_between(id_column: ColumnElement, start: dt.datetime | None, end: dt.datetime | None) -> ColumnElement:
    """Ids of complaints created from `start` to `end` (aware; either may be None: open), as a condition to add to
    one on the creation time itself, so the planner reads and plans only the partitions of those months instead
    of every month's (an Open311 search near a point spent 39 ms planning 22 months). An id carries the month of
    its creation in the city's time (intake and imports draw both from the same moment, and nothing changes
    created_at afterwards), which is less than a day from UTC in every zone: the months are taken in UTC a day
    beyond each end, so no city's month is ever cut off, whatever its zone setting was."""
    parts = []
    if start is not None:
        parts.append(id_column >= month_key((start - dt.timedelta(days=1)).astimezone(dt.UTC)) * ID_MONTH)
    if end is not None:
        parts.append(id_column < month_after(month_key((end + dt.timedelta(days=1)).astimezone(dt.UTC))) * ID_MONTH)
    return and_(true(), *parts)


def months_between(a: int, b: int) -> int:
    """Whole months from month `a` to month `b` (yyyymm; negative when b is earlier)."""
    return (b // 100 - a // 100) * 12 + (b % 100 - a % 100)


def partition_name(parent: str, key: int) -> str:
    """The partition of `parent` (complaint, complaint_event) for month `key`: complaint_y2026m11."""
    return f"{parent}_y{key // 100}m{key % 100:02d}"


def month_of_id(complaint_id: int) -> int:
    """yyyymm carried by a complaint id."""
    return complaint_id // ID_MONTH


def next_months(start: dt.date, count: int) -> list[int]:
    """yyyymm of `start`'s month and the `count` months after it."""
    keys = [month_key(start)]
    for _ in range(count):
        keys.append(month_after(keys[-1]))
    return keys


def ensure_months(conn: Connection, keys: Iterable[int]) -> list[int]:
    """Make the partitions of these months where missing; the months made. Commit soon after: attaching takes
    locks that stop writers until the transaction ends."""
    made = [key for key in sorted(set(keys))
            if conn.execute(text("SELECT peta_ensure_month(:m)"), {"m": key}).scalar_one()]
    return made


def ensure_ahead(engine: Engine, settings: Settings, ahead: int = MONTHS_AHEAD) -> list[int]:
    """The worker's job: partitions for this month and the next `ahead`, each in its own short transaction."""
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    made: list[int] = []
    for key in next_months(today, ahead):
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))  # behind a long query: next round, not a queue
            made += ensure_months(conn, [key])
    return made


def month_keys(conn: Connection) -> list[int]:
    """The months that have partitions."""
    return list(conn.execute(text("SELECT month_key FROM peta_months()")).scalars())


def detached_month(conn: Connection, key: int) -> bool:
    """Tables shaped like the month's partitions, not attached yet, for a load to fill (bulk_load); False when
    the month has partitions after all (another load made it meanwhile). The month's lock is held until commit:
    a submission or a second load dated into it waits for this load instead of making the month."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:c, :m)"), {"c": MONTH_LOCK, "m": key})
    if key in month_keys(conn):
        return False
    for parent in PARENTS:
        conn.execute(text("SELECT peta_month_table(CAST(:p AS regclass), :m, :t)"),
                     {"p": parent, "m": key, "t": partition_name(parent, key)})
    return True


def index_month(conn: Connection, key: int) -> None:
    """The parents' indexes built on a filled detached month (one sorted build each). Its statistics are left to
    autovacuum, as for any month written through the parent (ANALYZE here cost ~0.8 s a month)."""
    for parent in PARENTS:
        name = partition_name(parent, key)
        conn.execute(text("SELECT peta_month_indexes(CAST(:p AS regclass), :t)"), {"p": parent, "t": name})


def attach_month(conn: Connection, key: int) -> None:
    """Attach a filled, indexed detached month and count its complaints (no insert trigger fired for them).
    Writers wait from here until the transaction ends: do it last."""
    conn.execute(text("SELECT peta_month_history_key(:m)"), {"m": key})  # checked in one join, before attaching
    for parent in PARENTS:
        conn.execute(text("SELECT peta_attach_month(CAST(:p AS regclass), :m, :t)"),
                     {"p": parent, "m": key, "t": partition_name(parent, key)})
    conn.execute(text("SELECT peta_recount_complaints(:m, :n)"), {"m": key, "n": month_after(key)})


def is_missing_partition(err: DBAPIError) -> bool:
    """The error of a row whose month has no partition yet."""
    return "no partition of relation" in str(getattr(err, "orig", err))


def month_sizes(conn: Connection) -> list[dict]:
    """The months that have partitions: estimated complaints and events, bytes on disk."""
    return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM peta_months()"))]
