"""The SKPD queue (no Flask): open tickets by the due date that matters now, overdue first, and the counts a
desk puts on the wall: open, due today, overdue, done (resolved) this month — days in WITA."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan.clocks import WorkCalendar
from aduan.errors import Forbidden, NotFound
from aduan.permissions import SKPD_ROLES, StaffUser
from aduan.sla import NEXT_DUE_SQL, sla_of
from aduan.statuses import OPEN_SQL

QUEUE_LIMIT = 200

_ROWS = """
SELECT c.id, c.tracking_code, c.status, c.skpd_id, left(c.description, 100) AS title, c.address, c.created_at,
       c.followup_due_at, c.handling_due_at, c.followed_up_at, c.resolved_at, c.supporters,
       cat.name_id, cat.name_en, s.code AS skpd_code, {next_due} AS next_due
  FROM complaint c
  JOIN category cat ON cat.id = c.category_id
  JOIN skpd s ON s.id = c.skpd_id
 WHERE c.status {open} {where}
 ORDER BY ({next_due} < :now) DESC, {next_due}, c.id
 LIMIT :limit
"""
_COUNTS = """
SELECT count(*) AS open,
       count(*) FILTER (WHERE {next_due} >= :now AND {next_due} <= :end_of_today) AS due_today,
       count(*) FILTER (WHERE {next_due} < :now) AS overdue,
       (SELECT count(*) FROM complaint c WHERE c.resolved_at >= :month_start {where}) AS done_this_month
  FROM complaint c
 WHERE c.status {open} {where}
"""


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


def skpd_queue(conn: Connection, cal: WorkCalendar, skpd: str | None, now: dt.datetime) -> Queue:
    """The queue and its wall counts for one SKPD (or all)."""
    params: dict = {"now": now, "limit": QUEUE_LIMIT + 1, **_day_bounds(cal, now)}
    where = ""
    if skpd:
        params["skpd_id"] = conn.execute(text("SELECT id FROM skpd WHERE code = :c"), {"c": skpd}).scalar()
        if params["skpd_id"] is None:
            raise NotFound("SKPD tidak ditemukan.", "SKPD not found.", field="skpd")
        where = "AND c.skpd_id = :skpd_id"
    parts = {"next_due": NEXT_DUE_SQL, "open": OPEN_SQL, "where": where}
    rows = [dict(r) for r in conn.execute(text(_ROWS.format(**parts)), params).mappings()]
    counts = dict(conn.execute(text(_COUNTS.format(**parts)), params).mappings().one())
    for r in rows:
        r["sla"] = sla_of(cal, now, **r)
    return Queue(skpd, rows[:QUEUE_LIMIT], counts, len(rows) > QUEUE_LIMIT)


def _day_bounds(cal: WorkCalendar, now: dt.datetime) -> dict:
    today = cal.local_date(now)
    return {"end_of_today": dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), cal.tz),
            "month_start": dt.datetime.combine(today.replace(day=1), dt.time(0), cal.tz)}
