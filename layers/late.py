"""Late tickets: open complaints past their follow-up due time (not yet followed up) or handling due time.

Computed at request time against the clock (no cache: lateness changes with time, and the open-due index
makes it cheap). Days late are calendar days since the earliest missed due time.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from aduan.statuses import OPEN_STATUSES
from layers.filters import LayerFilter
from layers.public import select_public

_LATE = ("c.status = ANY(:l_open) AND ((c.followed_up_at IS NULL AND c.followup_due_at < :l_now) "
         "OR c.handling_due_at < :l_now)")
_EXTRA = (", CASE WHEN c.handling_due_at < :l_now THEN 'handling' ELSE 'followup' END AS late_kind, "
          "floor(extract(epoch FROM :l_now - CASE WHEN c.followed_up_at IS NULL THEN c.followup_due_at "
          "ELSE c.handling_due_at END) / 86400)::int AS days_late")


def late_tickets(conn: Connection, flt: LayerFilter, now: dt.datetime | None = None) -> list[dict]:
    """Open, public, matching tickets that have missed a clock, with which clock and by how many days."""
    where, params = flt.where("c")
    opened = [s for s in flt.statuses if s in OPEN_STATUSES]
    params = {**params, "l_open": opened, "l_now": now or dt.datetime.now(dt.UTC)}
    return select_public(conn, where + " AND " + _LATE, params, extra=_EXTRA)
