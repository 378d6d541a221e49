"""The SLA state of a ticket now: which clock runs, how many working days are left or late, and its text.

Rules (where the issue is silent, these are our choices):
- Two clocks, both counted from intake (app/clocks.py): follow-up (tindak lanjut) and handling (penanganan).
  While a ticket has had no follow-up, the follow-up clock is the one shown (it is always due first); after
  the first substantive response the handling clock is shown. Late when `now > next_due`.
- Due at the end of the due day (app/clocks.py). "Sisa N hari kerja" counts the working days after
  today up to and including the due day; on the due day itself it reads "jatuh tempo hari ini".
- "Terlambat N hari kerja" counts the working days after the due day up to and including today, at least 1: a
  ticket due on Friday reads "terlambat 1 hari kerja" on Saturday, Sunday and Monday, 2 on Tuesday.
- Due soon = due today or on the next working day (SOON_WORKING_DAYS).
- Resolved/closed tickets show whether the resolution came in time ("selesai, terlambat 2 hari kerja");
  rejected and duplicate tickets carry no clock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, case

from aduan.clocks import WorkCalendar
from aduan.statuses import OPEN_STATUSES

SOON_WORKING_DAYS = 1
CLOCK_LABELS = {"followup": ("tindak lanjut", "follow-up"), "handling": ("penanganan", "handling")}


@dataclass(frozen=True)
class Sla:
    """One ticket's clock state; `days` is working days left (ok/soon) or late (late/done_late)."""

    state: str  # ok | soon | late | done | done_late | none
    clock: str | None  # followup | handling | None
    days: int
    due_at: dt.datetime | None

    def text(self, lang: str = "id") -> str:
        """Short text for a list row: "terlambat 2 hari kerja", "sisa 3 hari kerja"."""
        en = lang == "en"
        days = f"{self.days} working day{'s' if self.days != 1 else ''}"
        if self.state == "late":
            return f"{days} late" if en else f"terlambat {self.days} hari kerja"
        if self.state in ("ok", "soon"):
            if self.days == 0:
                return "due today" if en else "jatuh tempo hari ini"
            return f"{days} left" if en else f"sisa {self.days} hari kerja"
        if self.state == "done":
            return "resolved on time" if en else "selesai tepat waktu"
        if self.state == "done_late":
            return f"resolved {days} late" if en else f"selesai, terlambat {self.days} hari kerja"
        return "no deadline (closed)" if en else "tanpa tenggat (ditutup)"

    def due_day(self, cal: WorkCalendar) -> dt.date | None:
        """The calendar day (WITA) by whose end the running clock is due."""
        return cal.local_date(_due_day(self.due_at)) if self.due_at else None

    def full_text(self, lang: str = "id") -> str:
        """With the clock's name: "Tindak lanjut: sisa 3 hari kerja"."""
        if self.clock is None or self.state in ("done", "done_late", "none"):
            return self.text(lang)
        label = CLOCK_LABELS[self.clock][1 if lang == "en" else 0]
        return f"{label.capitalize()}: {self.text(lang)}"


def sla_of(cal: WorkCalendar, now: dt.datetime, *, status: str, followup_due_at: dt.datetime,
           handling_due_at: dt.datetime, followed_up_at: dt.datetime | None = None,
           resolved_at: dt.datetime | None = None, **_: object) -> Sla:
    """The SLA state at `now` (extra keyword arguments, e.g. a whole row mapping, are ignored)."""
    if status in OPEN_STATUSES:
        clock, due = ("followup", followup_due_at) if followed_up_at is None else ("handling", handling_due_at)
        if now > due:
            return Sla("late", clock, _late_days(cal, due, now), due)
        left = cal.working_days_between(now, _due_day(due))
        return Sla("soon" if left <= SOON_WORKING_DAYS else "ok", clock, max(left, 0), due)
    if resolved_at is not None and status in ("resolved", "closed"):
        if resolved_at > handling_due_at:
            return Sla("done_late", "handling", _late_days(cal, handling_due_at, resolved_at), handling_due_at)
        return Sla("done", "handling", 0, handling_due_at)
    return Sla("none", None, 0, None)


def next_due(c: Table) -> ColumnElement:
    """The due moment that matters now for an open ticket of complaint table (or alias) `c`."""
    return case((c.c.followed_up_at.is_(None), c.c.followup_due_at), else_=c.c.handling_due_at)


def _due_day(due_at: dt.datetime) -> dt.datetime:
    """A moment on the due day itself, whether due_at is its last second or 00:00 of the day after."""
    return due_at - dt.timedelta(seconds=1)


def _late_days(cal: WorkCalendar, due_at: dt.datetime, at: dt.datetime) -> int:
    return max(1, cal.working_days_between(_due_day(due_at), at))
