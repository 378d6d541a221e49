"""SLA state and text (app/sla.py): which clock runs, working days left or late, and the id/en wording."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from aduan.clocks import WorkCalendar
from aduan.sla import sla_of

WITA = ZoneInfo("Asia/Makassar")
CAL = WorkCalendar()


def wita(m, d, hh=10, y=2026) -> dt.datetime:
    return dt.datetime(y, m, d, hh, 0, tzinfo=WITA)


def ticket(created: dt.datetime, **extra) -> dict:
    """A ticket with the default 5/15 working-day clocks."""
    return {"status": "new", "followup_due_at": CAL.due_at(created, 5), "handling_due_at": CAL.due_at(created, 15),
            "followed_up_at": None, "resolved_at": None, **extra}


MON_2_NOV = wita(11, 2)  # follow-up due end of Mon 9 Nov, handling due end of Mon 23 Nov


@pytest.mark.parametrize(("now", "state", "text"), [
    (wita(11, 4), "ok", "Tindak lanjut: sisa 3 hari kerja"),     # Wed: Thu, Fri, Mon left
    (wita(11, 6), "soon", "Tindak lanjut: sisa 1 hari kerja"),   # Fri: only Mon left
    (wita(11, 7), "soon", "Tindak lanjut: sisa 1 hari kerja"),   # Sat: only Mon left
    (wita(11, 9, 15), "soon", "Tindak lanjut: jatuh tempo hari ini"),
    (wita(11, 10, 9), "late", "Tindak lanjut: terlambat 1 hari kerja"),
    (wita(11, 11), "late", "Tindak lanjut: terlambat 2 hari kerja"),
])
def test_followup_clock_states_and_texts(now, state, text):
    """Before any follow-up the follow-up clock is shown, counted in working days."""
    sla = sla_of(CAL, now, **ticket(MON_2_NOV))
    assert (sla.state, sla.full_text("id")) == (state, text)


@pytest.mark.parametrize(("now", "late_days"), [(wita(11, 14), 1), (wita(11, 15), 1), (wita(11, 16), 1),
                                                (wita(11, 17), 2)])
def test_lateness_over_a_weekend_counts_working_days_at_least_one(now, late_days):
    """Due Fri 13 Nov: late 1 working day on Sat, Sun and Mon, 2 on Tue."""
    sla = sla_of(CAL, now, **ticket(wita(11, 6)))
    assert sla.state == "late" and sla.days == late_days


def test_late_only_after_the_due_second():
    """At the due moment the ticket is still on time; one second later it is late."""
    t = ticket(MON_2_NOV)
    assert sla_of(CAL, t["followup_due_at"], **t).state == "soon"
    assert sla_of(CAL, t["followup_due_at"] + dt.timedelta(seconds=1), **t).state == "late"


def test_handling_clock_after_followup():
    """Once followed up, the handling clock (15 working days) is the one shown."""
    sla = sla_of(CAL, wita(11, 11), **ticket(MON_2_NOV, status="in_progress", followed_up_at=wita(11, 3)))
    assert (sla.clock, sla.full_text("id")) == ("handling", "Penanganan: sisa 8 hari kerja")


def test_holiday_is_not_counted_as_a_day_left():
    """On Fri 14 Aug 2026, due Thu 20 Aug: Mon 17 Aug is Independence Day, so 3 working days are left, not 4."""
    t = ticket(wita(8, 12))  # Wed 12 Aug + 5 working days = Thu 20 Aug (17 Aug skipped)
    assert sla_of(CAL, wita(8, 14), **t).text("id") == "sisa 3 hari kerja"


def test_resolved_in_time():
    """A resolution before the handling due date reads "selesai tepat waktu"."""
    sla = sla_of(CAL, wita(11, 27), **ticket(MON_2_NOV, status="resolved", resolved_at=wita(11, 20)))
    assert (sla.state, sla.text("id")) == ("done", "selesai tepat waktu")


def test_resolved_late_counts_the_working_days_late():
    """Resolved Wed 25 Nov against a Mon 23 Nov due date: 2 working days late."""
    sla = sla_of(CAL, wita(11, 27), **ticket(MON_2_NOV, status="closed", resolved_at=wita(11, 25)))
    assert (sla.state, sla.text("id")) == ("done_late", "selesai, terlambat 2 hari kerja")


def test_rejected_ticket_has_no_clock():
    """Rejected and duplicate tickets carry no deadline."""
    assert sla_of(CAL, wita(11, 27), **ticket(MON_2_NOV, status="rejected")).state == "none"


@pytest.mark.parametrize(("now", "text"), [(wita(11, 4), "Follow-up: 3 working days left"),
                                           (wita(11, 6), "Follow-up: 1 working day left"),
                                           (wita(11, 9, 15), "Follow-up: due today"),
                                           (wita(11, 11), "Follow-up: 2 working days late")])
def test_english_texts(now, text):
    """The same states in English."""
    assert sla_of(CAL, now, **ticket(MON_2_NOV)).full_text("en") == text


def test_due_day_is_the_wita_calendar_day():
    """The due day shown in lists is the local day whose end is the deadline."""
    sla = sla_of(CAL, wita(11, 4), **ticket(MON_2_NOV))
    assert sla.due_day(CAL) == dt.date(2026, 11, 9)
