"""Late tickets: open complaints past their follow-up due time (not yet followed up) or handling due time.

Computed at request time against the clock (no cache: lateness changes with time, and the open-due index
makes it cheap). Days late are calendar days since the earliest missed due time.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Integer, and_, case, extract, func, literal, or_

from aduan.queries import public
from aduan.sla import next_due
from aduan.statuses import OPEN_STATUSES
from layers.filters import LayerFilter


def late_tickets(conn: Connection, flt: LayerFilter, now: dt.datetime | None = None) -> list[dict]:
    """Open, public, matching tickets that have missed a clock, with which clock and by how many days."""
    now = now or dt.datetime.now(dt.UTC)
    c = public.C
    missed = or_(and_(c.c.followed_up_at.is_(None), c.c.followup_due_at < now), c.c.handling_due_at < now)
    opened = [s for s in flt.statuses if s in OPEN_STATUSES]
    late_kind = case((c.c.handling_due_at < now, "handling"), else_="followup").label("late_kind")
    days_late = func.floor(extract("epoch", literal(now) - next_due(c)) / 86400).cast(Integer)
    return public.features(conn, and_(flt.condition(c), c.c.status.in_(opened), missed),
                           extra=(late_kind, days_late.label("days_late")))
