"""Roles × actions, on a ticket of the user's own SKPD and of another SKPD: every cell, checked on the server.

The expected table is written out here from the issue, not imported from app/auth/permissions.py.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from aduan.accounts import load_account
from app.auth.session import session_claims
from tests.fieldkit import csrf_token, make_ticket, make_user, ticket_row

ROLES = ("officer", "skpd_admin", "planner", "admin")
ACTIONS = ("note", "verify", "start", "resolve", "close", "reject", "duplicate", "reopen", "reroute")
OFFICER = {"note", "verify", "start", "resolve"}
ALLOWED = {  # (role, whose ticket) -> actions that must succeed; every other action must be 403
    ("officer", "own"): OFFICER, ("officer", "other"): set(),
    ("skpd_admin", "own"): set(ACTIONS), ("skpd_admin", "other"): set(),
    ("planner", "own"): set(), ("planner", "other"): set(),
    ("admin", "own"): set(ACTIONS), ("admin", "other"): set(ACTIONS),
}
# The ticket status from which each action is legal, so the matrix tests permission and nothing else.
FROM_STATUS = {"note": "new", "verify": "new", "start": "verified", "resolve": "in_progress", "close": "resolved",
               "reject": "new", "duplicate": "new", "reopen": "closed", "reroute": "new"}
CATEGORY = {"own": "jalan-rusak", "other": "lampu-jalan"}  # PUPR (the user's SKPD) and DISHUB


def _sign_in(app, client, engine, role: str) -> None:
    """A session as the login form would open it (the login itself is tested in test_auth.py)."""
    uid = make_user(engine, f"{role}@t.test", role, "PUPR" if role in ("officer", "skpd_admin") else None)
    with app.test_request_context(), engine.connect() as c:
        claims = session_claims(load_account(c, uid))
    with client.session_transaction() as s:
        s.update(claims)


def _fields(engine, settings, action: str, whose: str) -> dict:
    if action == "duplicate":
        return {"duplicate_of": make_ticket(engine, settings, CATEGORY[whose])}
    if action == "reroute":
        return {"skpd": "DLH", "note": "bukan wewenang kami"}
    return {"note": "catatan uji"}


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_action_matrix(app, client, engine, settings, role, action, whose):
    """Allowed cells change the ticket (303); every other cell is 403 and leaves it untouched."""
    code = make_ticket(engine, settings, CATEGORY[whose], FROM_STATUS[action])
    _sign_in(app, client, engine, role)
    data = {"csrf_token": csrf_token(client), "action": action, "version": "1",
            **_fields(engine, settings, action, whose)}
    resp = client.post(f"/field/aduan/{code}", data=data)
    if action in ALLOWED[(role, whose)]:
        assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
        assert ticket_row(engine, code)["version"] == 2
    else:
        assert resp.status_code == 403
        assert ticket_row(engine, code)["version"] == 1


VIEW_PRIVATE = {("officer", "own"), ("skpd_admin", "own"), ("planner", "own"), ("planner", "other"),
                ("admin", "own"), ("admin", "other")}
VIEW_CONTACT = {("officer", "own"), ("skpd_admin", "own"), ("admin", "own"), ("admin", "other")}


def _with_reporter(engine, code: str) -> None:
    with engine.begin() as c:
        rid = c.execute(text("INSERT INTO reporter (name, phone) VALUES ('Siti Pelapor', '0811-555-0101') "
                             "RETURNING id")).scalar_one()
        c.execute(text("UPDATE complaint SET reporter_id = :r, anonymous = false WHERE tracking_code = :c"),
                  {"r": rid, "c": code})


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_ticket_page_matrix(app, client, engine, settings, role, whose):
    """The staff page (staff notes, positions) opens for the owning SKPD, planners and admins; else 403."""
    code = make_ticket(engine, settings, CATEGORY[whose])
    _sign_in(app, client, engine, role)
    assert client.get(f"/field/aduan/{code}").status_code == (200 if (role, whose) in VIEW_PRIVATE else 403)


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_reporter_contact_matrix(app, client, engine, settings, role, whose):
    """Reporter contact appears only for the owning SKPD and admins."""
    code = make_ticket(engine, settings, CATEGORY[whose])
    _with_reporter(engine, code)
    _sign_in(app, client, engine, role)
    html = client.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert ("0811-555-0101" in html) == ((role, whose) in VIEW_CONTACT)


TYPED = {"description": "Jalan berlubang, hubungi saya 0812-3456-7890", "address": "Jl. Mawar 3, WA 081234567891",
         "channel_ref": "wa:+62 812 3456 7892", "note": "Sudah ditelepon ke siti@example.org",
         "answer": "rumah 0812 3456 7893"}  # contact typed by hand, each where a page shows free text
TYPED_CONTACT = ("0812-3456-7890", "081234567891", "812 3456 7892", "siti@example.org", "0812 3456 7893")


def _with_typed_contact(engine, code: str) -> None:
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET description = :description, address = :address, "
                       "channel_ref = :channel_ref, "
                       "attributes = jsonb_build_object('rumah', jsonb_build_array(CAST(:answer AS text))) "
                       "WHERE tracking_code = :code"), TYPED | {"code": code})
        c.execute(text("INSERT INTO complaint_event (complaint_id, kind, actor_label, note, public, created_at) "
                       "SELECT id, 'note', 'petugas', :note, false, now() FROM complaint WHERE tracking_code = :code"),
                  {"note": TYPED["note"], "code": code})


@pytest.mark.parametrize("role", ROLES)
def test_contact_typed_into_texts_reaches_only_who_may_see_contact(app, client, engine, settings, role):
    """A planner may open any ticket and any SKPD's queue, but never sees a reporter's contact: what was typed into
    the description, address, channel reference, answers and notes reaches it masked, on the ticket page and in
    the queue. The owning SKPD and admins read the texts as written."""
    code = make_ticket(engine, settings, CATEGORY["own"])
    _with_typed_contact(engine, code)
    _sign_in(app, client, engine, role)
    page = client.get(f"/field/aduan/{code}").get_data(as_text=True)
    queue = client.get("/field/antrian?skpd=PUPR").get_data(as_text=True)
    assert code in queue
    for typed in TYPED_CONTACT:
        assert (typed in page) == ((role, "own") in VIEW_CONTACT), typed
    assert ("0812-3456-7890" in queue) == ((role, "own") in VIEW_CONTACT)
    if (role, "own") not in VIEW_CONTACT:
        assert "Jalan berlubang, hubungi saya 0812-****-**90" in page and "0812-****-**90" in queue
