"""The SKPD queue: open tickets overdue first then by due date, and the wall counts."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.fieldkit import login, make_ticket, make_user

WITA = ZoneInfo("Asia/Makassar")


def _set(engine, code: str, **values) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)  # column names from this test only; values are bound
    with engine.begin() as c:
        c.execute(text(f"UPDATE complaint SET {sets} WHERE tracking_code = :code"), {**values, "code": code})


def _end_of_day(days_from_today: int) -> dt.datetime:
    today = dt.datetime.now(WITA).date() + dt.timedelta(days=days_from_today)
    return dt.datetime.combine(today, dt.time(23, 59, 59), WITA)


@pytest.fixture
def tickets(engine, settings):
    """PUPR tickets: two overdue, one due today, one due in 3 days, one resolved this month, one DLH ticket."""
    codes = {name: make_ticket(engine, settings) for name in ("late2", "late1", "today", "later", "done")}
    _set(engine, codes["late2"], followup_due_at=_end_of_day(-2))
    _set(engine, codes["late1"], followup_due_at=_end_of_day(-1))
    _set(engine, codes["today"], followup_due_at=_end_of_day(0), handling_due_at=_end_of_day(10))
    _set(engine, codes["later"], followup_due_at=_end_of_day(3), handling_due_at=_end_of_day(10))
    _set(engine, codes["done"], status="resolved", resolved_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    codes["dlh"] = make_ticket(engine, settings, category="lampu-jalan")
    return codes


@pytest.fixture
def skpd_admin(client, engine):
    make_user(engine, "kepala@pupr.test", "skpd_admin", "PUPR")
    login(client, "kepala@pupr.test")
    return client


def _order(html: str) -> list[str]:
    return re.findall(r'class="code-sm">([^<]+)</a>', html)


def test_queue_lists_open_tickets_overdue_first_then_by_due_date(skpd_admin, tickets):
    """Most overdue first, then due today, then later; resolved and other SKPDs' tickets are not listed."""
    html = skpd_admin.get("/field/antrian").get_data(as_text=True)
    assert _order(html) == [tickets["late2"], tickets["late1"], tickets["today"], tickets["later"]]


def test_wall_counts(skpd_admin, tickets):
    """Open, due today, overdue and done this month, for the SKPD."""
    html = skpd_admin.get("/field/antrian").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts == {"open": "4", "due_today": "1", "overdue": "2", "done_this_month": "1"}


def test_resolution_last_month_is_not_done_this_month(skpd_admin, engine, tickets):
    """Only resolutions since the first of this month (WITA) count."""
    _set(engine, tickets["done"], resolved_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    html = skpd_admin.get("/field/antrian").get_data(as_text=True)
    assert 'data-count="done_this_month">0<' in html


def test_officer_cannot_open_another_skpds_queue(client, engine):
    """SKPD staff see only their own SKPD's queue."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    assert client.get("/field/antrian?skpd=DLH").status_code == 403


def test_admin_picks_any_skpd(client, engine, tickets):
    """The desk sees any SKPD's queue."""
    make_user(engine, "desk@kominfo.test", "admin")
    login(client, "desk@kominfo.test")
    html = client.get("/field/antrian?skpd=DISHUB").get_data(as_text=True)
    assert _order(html) == [tickets["dlh"]]


def test_unknown_skpd_is_404(client, engine):
    """A typo in the SKPD code is a 404, not an empty queue."""
    make_user(engine, "desk@kominfo.test", "admin")
    login(client, "desk@kominfo.test")
    assert client.get("/field/antrian?skpd=NOPE").status_code == 404
