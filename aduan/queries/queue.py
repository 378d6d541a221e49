"""The SKPD queue (no Flask): open tickets by the due date that matters now (overdue first) or by age, filtered
(category, kelurahan, status, overdue, due today, flagged, assigned) and paged, with the counts a desk puts on the
wall — open, due today, overdue, done (resolved) this month, days in the city's zone — each of which opens the
list it counts."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select

from aduan.clocks import WorkCalendar
from aduan.errors import DomainError, Forbidden, NotFound
from aduan.models import Category, Complaint, Kelurahan, Skpd, User
from aduan.permissions import SKPD_ROLES, StaffUser, can_view_contact
from aduan.queries.public import masked, public_text
from aduan.sla import next_due, sla_of
from aduan.statuses import OPEN_STATUSES, open_condition

PER_PAGE = 50
C = Complaint.__table__
Scope = Callable[[object], list[ColumnElement]]  # conditions over a complaint table or alias
SORTS = ("due", "oldest", "newest")


@dataclass(frozen=True)
class QueueQuery:
    """What the queue shows: the SKPD (None: all) and the filters, each empty for "any"."""

    skpd: str | None = None
    category: str | None = None
    kelurahan: str | None = None  # kelurahan code
    status: str | None = None  # one open status
    due: str | None = None  # "overdue" or "today"
    flagged: bool = False  # routing flags (near a border, snapped, overlap)
    assigned: str | None = None  # "me", "none", or an officer's user id
    sort: str = "due"
    page: int = 1

@dataclass(frozen=True)
class Queue:
    skpd: str | None  # None = every SKPD (admins and planners only)
    rows: list[dict]
    counts: dict[str, int]
    total: int  # rows matching the filters, on every page
    query: QueueQuery

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def queue_skpd(user: StaffUser, asked: str | None) -> str | None:
    """SKPD staff see their own queue only; admins and planners pick any SKPD or all of them."""
    if user.role in SKPD_ROLES:
        if asked and asked != user.skpd_code:
            raise Forbidden("Anda hanya dapat melihat antrian SKPD Anda sendiri.",
                            "You can only see your own SKPD's queue.", field="skpd")
        return user.skpd_code
    return asked or None


def _filters(q: QueueQuery, user: StaffUser, now: dt.datetime, end_of_today: dt.datetime) -> Scope:
    """The filters as conditions over a complaint table; a bad value is a 400 naming its field."""
    if q.status and q.status not in OPEN_STATUSES:
        raise _bad("status", "Status harus salah satu status terbuka.", "The status must be an open one.")
    if q.due not in (None, "overdue", "today"):
        raise _bad("due", "Tenggat: overdue atau today.", "Due: overdue or today.")
    if q.sort not in SORTS:
        raise _bad("sort", f"Urutan: {', '.join(SORTS)}.", f"Sort: {', '.join(SORTS)}.")
    officer = _officer(q.assigned, user)

    def conditions(t) -> list[ColumnElement]:
        due, out = next_due(t), []
        if q.category:
            out.append(t.c.category_id.in_(select(Category.id).where(Category.code == q.category)))
        if q.kelurahan:
            out.append(t.c.kelurahan_id.in_(select(Kelurahan.id).where(Kelurahan.code == q.kelurahan)))
        if q.status:
            out.append(t.c.status == q.status)
        if q.due == "overdue":
            out.append(due < now)
        elif q.due == "today":
            out.append(and_(due >= now, due <= end_of_today))
        if q.flagged:
            out.append(func.cardinality(t.c.routing_flags) > 0)
        if q.assigned == "none":
            out.append(t.c.assigned_to_id.is_(None))
        elif officer is not None:
            out.append(t.c.assigned_to_id == officer)
        return out

    return conditions


def _officer(assigned: str | None, user: StaffUser) -> int | None:
    if assigned in (None, "", "none"):
        return None
    if assigned == "me":
        return user.id
    try:
        return int(assigned)
    except ValueError:
        raise _bad("assigned", "Ditugaskan: me, none atau nomor petugas.", "Assigned: me, none or an officer id.") \
            from None


def _bad(field: str, msg_id: str, msg_en: str) -> DomainError:
    return DomainError(msg_id, msg_en, field=field)


def _rows(scope: Scope, now: dt.datetime, sort: str, page: int) -> Select:
    """One page of the scope's open tickets: overdue first then by the due moment that matters now, or by age."""
    c, cat, s, u = C, Category.__table__, Skpd.__table__, User.__table__
    due = next_due(c)
    order = {"due": [(due < now).desc(), due, c.c.id], "oldest": [c.c.created_at, c.c.id],
             "newest": [c.c.created_at.desc(), c.c.id.desc()]}[sort]
    return (select(c.c.id, c.c.tracking_code, c.c.status, c.c.skpd_id, func.left(c.c.description, 100).label("title"),
                   public_text(100).label("public_title"), c.c.address, masked(c.c.address).label("public_address"),
                   c.c.created_at, c.c.followup_due_at, c.c.handling_due_at, c.c.followed_up_at,
                   c.c.resolved_at, c.c.supporters, c.c.routing_flags, cat.c.name_id, cat.c.name_en,
                   s.c.code.label("skpd_code"), due.label("next_due"),
                   func.coalesce(u.c.name, u.c.email).label("assigned_to"))
            .select_from(c.join(cat, cat.c.id == c.c.category_id).join(s, s.c.id == c.c.skpd_id)
                         .outerjoin(u, u.c.id == c.c.assigned_to_id))
            .where(open_condition(c.c.status), *scope(c))
            .order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE))


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


def skpd_queue(conn: Connection, cal: WorkCalendar, q: QueueQuery, user: StaffUser, now: dt.datetime) -> Queue:
    """One page of the queue, its total, and the wall counts of the SKPD (or all; the wall ignores the filters)."""
    scope = _scope(conn, q.skpd)
    bounds = _day_bounds(cal, now)
    filters = _filters(q, user, now, bounds["end_of_today"])

    def both(t) -> list[ColumnElement]:
        return scope(t) + filters(t)

    page = max(1, q.page)
    rows = [dict(r) for r in conn.execute(_rows(both, now, q.sort, page)).mappings()]
    total = conn.execute(select(func.count()).select_from(C).where(open_condition(C.c.status), *both(C))).scalar_one()
    counts = dict(conn.execute(_counts(scope, now, **bounds)).mappings().one())
    for r in rows:
        r["sla"] = sla_of(cal, now, **r)
        if not can_view_contact(user, r):  # a planner's city-wide queue: the texts as the public reads them
            r["title"], r["address"] = r["public_title"], r["public_address"]
    return Queue(q.skpd, rows, counts, total, q)


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
