"""Two officers change one ticket at the same moment: exactly one wins, the other gets a conflict, nothing is lost."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from aduan.permissions import StaffUser
from aduan.workflow import Change, StaleUpdate, apply
from app.errors import status_of
from tests.fieldkit import make_ticket, make_user


@pytest.fixture
def ticket(engine, settings):
    """A committed PUPR ticket and two PUPR officers; everything is removed afterwards."""
    code = make_ticket(engine, settings, status="verified")
    officers = []
    for name in ("budi", "citra"):
        uid = make_user(engine, f"{name}@pupr.test", "officer", "PUPR")
        with engine.connect() as c:
            skpd_id = c.execute(text("SELECT id FROM skpd WHERE code = 'PUPR'")).scalar_one()
        officers.append(StaffUser(uid, f"{name}@pupr.test", name, "officer", skpd_id, "PUPR"))
    yield code, officers
    with engine.begin() as c:
        c.execute(text("TRUNCATE attachment, complaint_event, complaint, reporter, app_user RESTART IDENTITY CASCADE"))


def _attempt(engine, settings, officer, code, change, results, barrier=None):
    try:
        if barrier:
            barrier.wait()
        with engine.begin() as c:
            results.append(("ok", apply(c, settings, officer, code, change)))
    except StaleUpdate as exc:
        results.append(("conflict", exc))


def test_two_simultaneous_updates_one_wins_one_conflicts(engine, settings, ticket):
    """Both officers submit against version 1 at once: one change is saved, the other is a 409."""
    code, (budi, citra) = ticket
    results, barrier = [], threading.Barrier(2)
    threads = [threading.Thread(target=_attempt, args=(engine, settings, who, code, change, results, barrier))
               for who, change in ((budi, Change("start", 1, note="Budi berangkat")),
                                   (citra, Change("note", 1, note="Citra mencatat")))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert sorted(kind for kind, _ in results) == ["conflict", "ok"]
    with engine.connect() as c:
        assert c.execute(text("SELECT version FROM complaint")).scalar_one() == 2
        assert c.execute(text("SELECT count(*) FROM complaint_event WHERE kind <> 'created'")).scalar_one() == 1


def test_update_waiting_on_an_uncommitted_change_gets_a_conflict(engine, settings, ticket):
    """While Budi's change is uncommitted, Citra's waits on the row lock and then sees the new version: 409."""
    code, (budi, citra) = ticket
    results = []
    with engine.connect() as c:
        tx = c.begin()
        apply(c, settings, budi, code, Change("start", 1, note="Budi berangkat"))
        other = threading.Thread(target=_attempt, args=(engine, settings, citra, code,
                                                        Change("note", 1, note="Citra mencatat"), results))
        other.start()
        time.sleep(0.5)
        assert results == []  # still waiting for Budi's lock
        tx.commit()
    other.join(10)
    [(kind, exc)] = results
    assert kind == "conflict" and status_of(exc) == 409 and "belum disimpan" in exc.message_id


def test_the_losing_change_can_be_resubmitted_against_the_new_version(engine, settings, ticket):
    """After the conflict the second officer re-sends with the version now shown; both changes are kept."""
    code, (budi, citra) = ticket
    with engine.begin() as c:
        apply(c, settings, budi, code, Change("start", 1))
    with engine.begin() as c, pytest.raises(StaleUpdate):
        apply(c, settings, citra, code, Change("note", 1, note="Citra mencatat"))
    with engine.begin() as c:
        apply(c, settings, citra, code, Change("note", 2, note="Citra mencatat"))
    with engine.connect() as c:
        notes = c.execute(text("SELECT kind FROM complaint_event WHERE kind <> 'created' ORDER BY id")).scalars().all()
    assert notes == ["status", "note"]
