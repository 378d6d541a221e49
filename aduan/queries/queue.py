"""The SKPD queue (no Flask): open tickets by the due date that matters now, overdue first, and the counts a
desk puts on the wall: open, due today, overdue, done (resolved) this month — days in WITA."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

from aduan.clocks import WorkCalendar
from aduan.errors import Forbidden, NotFound
from aduan.models import Category, Complaint, Skpd
from aduan.permissions import SKPD_ROLES, StaffUser
from aduan.sla import next_due, sla_of
from aduan.statuses import open_condition

QUEUE_LIMIT = 200
C = Complaint.__table__
Scope = Callable[[object], list[ColumnElement]]  # conditions over a complaint table or alias

@dataclass(frozen=True)
class Queue:
    skpd: str | None  # None = every SKPD (admins and planners only)
    rows: list[dict]
    counts: dict[str, int]
    truncated: bool


def queue_skpd(user: StaffUser, asked: str | None) -> str | None:
    """SKPD staff see their own queue only; admins and planners pick any SKPD or all of them."""
    if user.role in SKPD_ROLES:
        if asked and asked != user.skpd_code:
            raise Forbidden("Anda hanya dapat melihat antrian SKPD Anda sendiri.",
                            "You can only see your own SKPD's queue.", field="skpd")
        return user.skpd_code
    return asked or None


def _rows(scope: Scope, now: dt.datetime) -> Select:
    """Open tickets of the scope, overdue first, then by the due moment that matters now."""
    c, cat, s = C, Category.__table__, Skpd.__table__
    due = next_due(c)
    return (select(c.c.id, c.c.tracking_code, c.c.status, c.c.skpd_id, func.left(c.c.description, 100).label("title"),
                   c.c.address, c.c.created_at, c.c.followup_due_at, c.c.handling_due_at, c.c.followed_up_at,
                   c.c.resolved_at, c.c.supporters, cat.c.name_id, cat.c.name_en, s.c.code.label("skpd_code"),
                   due.label("next_due"))
            .select_from(c.join(cat, cat.c.id == c.c.category_id).join(s, s.c.id == c.c.skpd_id))
            .where(open_condition(c.c.status), *scope(c))
            .order_by((due < now).desc(), due, c.c.id).limit(QUEUE_LIMIT + 1))


def _counts(scope: Scope, now: dt.datetime, end_of_today: dt.datetime, month_start: dt.datetime) -> Select:
    """The wall: open, due today, overdue, and resolved since the month began."""
    c, done = C, C.alias("done")
    due = next_due(c)
    resolved = select(func.count()).select_from(done).where(done.c.resolved_at >= month_start, *scope(done))
    return (select(func.count().label("open"),
                   func.count().filter(and_(due >= now, due <= end_of_today)).label("due_today"),
                   func.count().filter(due < now).label("overdue"),
                   resolved.scalar_subquery().label("done_this_month"))
            .select_from(c).where(open_condition(c.c.status), *scope(c)))


def skpd_queue(conn: Connection, cal: WorkCalendar, skpd: str | None, now: dt.datetime) -> Queue:
    """The queue and its wall counts for one SKPD (or all)."""
    scope = _scope(conn, skpd)
    rows = [dict(r) for r in conn.execute(_rows(scope, now)).mappings()]
    counts = dict(conn.execute(_counts(scope, now, **_day_bounds(cal, now))).mappings().one())
    for r in rows:
        r["sla"] = sla_of(cal, now, **r)
    return Queue(skpd, rows[:QUEUE_LIMIT], counts, len(rows) > QUEUE_LIMIT)


def _scope(conn: Connection, skpd: str | None) -> Scope:
    """Which tickets the queue holds: one SKPD's, or every SKPD's."""
    if not skpd:
        return lambda t: []
    skpd_id = conn.execute(select(Skpd.id).where(Skpd.code == skpd)).scalar()
    if skpd_id is None:
        raise NotFound("SKPD tidak ditemukan.", "SKPD not found.", field="skpd")
    return lambda t: [t.c.skpd_id == skpd_id]


def _day_bounds(cal: WorkCalendar, now: dt.datetime) -> dict:
    today = cal.local_date(now)
    return {"end_of_today": dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), cal.tz),
            "month_start": dt.datetime.combine(today.replace(day=1), dt.time(0), cal.tz)}
