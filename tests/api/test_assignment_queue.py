"""The SKPD queue at work: an SKPD admin gives tickets to officers ("my tickets" for the officer, in the history),
and the queue filters, sorts, pages and opens the lists its counters count."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.fieldkit import csrf_token, login, make_tickets, make_user, update


@pytest.fixture
def pupr(engine, settings):
    """Two PUPR officers, a PUPR admin, and four PUPR tickets (one old and overdue, one in Kelurahan B)."""
    ids = {who: make_user(engine, f"{who}@pupr.test", role, "PUPR")
           for who, role in (("andi", "officer"), ("budi", "officer"), ("sari", "skpd_admin"))}
    ids["dlh"] = make_user(engine, "dewi@dlh.test", "officer", "DLH")
    codes = make_tickets(engine, settings, [
        (114.51, -3.39, "jalan-rusak", "Lubang lama", "2026-09-01 09:00", "new"),
        (114.511, -3.39, "jalan-rusak", "Aspal retak", "2026-11-30 09:00", "verified"),
        (114.53, -3.39, "jalan-rusak", "Jalan amblas di B", "2026-12-01 09:00", "in_progress"),
        (114.512, -3.39, "jalan-rusak", "Sudah selesai", "2026-11-20 09:00", "resolved"),
    ])
    return ids, codes


def _assign(client, code: str, officer) -> object:
    token = csrf_token(client, f"/field/aduan/{code}")
    return client.post(f"/field/aduan/{code}/tugaskan", data={"officer": str(officer or ""), "csrf_token": token})


def _codes(html: str) -> list[str]:
    return re.findall(r'<tr class="row-\w+" data-code="([^"]+)"', html)


def test_an_skpd_admin_assigns_and_the_officer_finds_it_under_my_tickets(client, app, engine, pupr):
    ids, codes = pupr
    login(client, "sari@pupr.test")
    r = _assign(client, codes[1], ids["andi"])
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ditugaskan ke andi" in page
    with engine.connect() as c:
        event = c.execute(text("SELECT e.public, e.data, e.actor_label FROM complaint_event e JOIN complaint c "
                               "ON c.id = e.complaint_id WHERE c.tracking_code = :c AND e.kind = 'assign'"),
                          {"c": codes[1]}).one()
    assert event.public is False and event.data["to"] == ids["andi"] and event.actor_label == "sari"
    andi = app.test_client()
    login(andi, "andi@pupr.test")
    assert _codes(andi.get("/field/antrian?assigned=me").get_data(as_text=True)) == [codes[1]]
    assert codes[1] not in _codes(andi.get("/field/antrian?assigned=none").get_data(as_text=True))
    _assign(client, codes[1], None)  # taken back
    assert _codes(andi.get("/field/antrian?assigned=me").get_data(as_text=True)) == []


@pytest.mark.parametrize(("who", "target", "status"), [
    ("andi@pupr.test", "budi", 403),  # officers are given work; they do not hand it out
    ("dewi@dlh.test", "andi", 403),  # another SKPD's staff
    ("sari@pupr.test", "dlh", 400),  # an officer of another SKPD cannot be given a PUPR ticket
])
def test_who_may_assign_and_to_whom(client, engine, pupr, who, target, status):
    ids, codes = pupr
    login(client, who)
    token = csrf_token(client, "/field/antrian")
    r = client.post(f"/field/aduan/{codes[1]}/tugaskan", data={"officer": str(ids[target]), "csrf_token": token})
    assert r.status_code == status
    with engine.connect() as c:
        assert c.execute(text("SELECT assigned_to_id FROM complaint WHERE tracking_code = :c"),
                         {"c": codes[1]}).scalar() is None


def test_the_desk_assigns_any_skpds_ticket_but_not_a_resolved_one(client, engine, pupr):
    ids, codes = pupr
    make_user(engine, "meja@kominfo.test", "desk")
    login(client, "meja@kominfo.test")
    assert _assign(client, codes[0], ids["budi"]).status_code == 303
    assert _assign(client, codes[3], ids["budi"]).status_code == 400  # resolved: nothing left to do


def test_filters_sort_and_counters(client, engine, pupr):
    _, codes = pupr
    make_user(engine, "admin@kota.test", "admin")
    login(client, "admin@kota.test")
    everything = _codes(client.get("/field/antrian").get_data(as_text=True))
    assert set(everything) == set(codes[:3]) and everything[0] == codes[0]  # overdue first; resolved is not open
    assert _codes(client.get("/field/antrian?kelurahan=99.01.01.1002").get_data(as_text=True)) == [codes[2]]
    assert _codes(client.get("/field/antrian?status=verified").get_data(as_text=True)) == [codes[1]]
    assert _codes(client.get("/field/antrian?sort=newest").get_data(as_text=True)) == [codes[2], codes[1], codes[0]]
    assert _codes(client.get("/field/antrian?category=sampah").get_data(as_text=True)) == []
    overdue = client.get("/field/antrian?due=overdue").get_data(as_text=True)
    assert codes[0] in _codes(overdue) and 'href="/field/antrian?due=overdue"' in overdue  # the tile opens it
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET routing_flags = '{near_border}' WHERE tracking_code = :c"),
                  {"c": codes[1]})
    assert _codes(client.get("/field/antrian?flagged=1").get_data(as_text=True)) == [codes[1]]


def test_the_queue_pages_fifty_at_a_time(client, engine, settings):
    make_user(engine, "admin@kota.test", "admin")
    make_tickets(engine, settings, [(114.51 + i * 1e-5, -3.39, "jalan-rusak", f"Uji {i}", "2026-11-25 09:00", "new")
                                    for i in range(55)])
    login(client, "admin@kota.test")
    first = client.get("/field/antrian?sort=oldest").get_data(as_text=True)
    second = client.get("/field/antrian?sort=oldest&page=2").get_data(as_text=True)
    assert len(_codes(first)) == 50 and len(_codes(second)) == 5 and not set(_codes(first)) & set(_codes(second))
    assert "55 aduan terbuka" in first and "page=2" in first and "halaman 2 dari 2" in second


@pytest.mark.parametrize("query", ["page=abc", "page=0", "status=resolved", "due=kemarin", "sort=acak",
                                   "assigned=siapa"])
def test_bad_filters_are_400_in_words(client, engine, query):
    make_user(engine, "admin@kota.test", "admin")
    login(client, "admin@kota.test")
    r = client.get(f"/field/antrian?{query}")
    assert r.status_code == 400, query


def _assignee(engine, code: str) -> int | None:
    with engine.connect() as c:
        return c.execute(text("SELECT assigned_to_id FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar()


def _last_assign_note(engine, code: str) -> str:
    with engine.connect() as c:
        return c.execute(text("SELECT e.note FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id "
                              "WHERE c.tracking_code = :c AND e.kind = 'assign' ORDER BY e.id DESC LIMIT 1"),
                         {"c": code}).scalar()


def test_a_ticket_handed_to_another_skpd_is_taken_back_from_its_officer(client, app, engine, pupr):
    """Left assigned, it would name a PUPR officer who gets 403 on it, and DLH's "unassigned" list would hide
    it: the re-route takes it back, with a staff-only step saying why."""
    ids, codes = pupr
    login(client, "sari@pupr.test")
    assert _assign(client, codes[1], ids["andi"]).status_code == 303
    clerk = app.test_client()
    make_user(engine, "meja@kominfo.test", "desk")
    login(clerk, "meja@kominfo.test")
    assert update(clerk, codes[1], "reroute", skpd="DLH", note="Ini urusan DLH").status_code == 303
    assert _assignee(engine, codes[1]) is None
    assert "moved to another SKPD" in _last_assign_note(engine, codes[1])
    dewi = app.test_client()
    login(dewi, "dewi@dlh.test")
    assert codes[1] in _codes(dewi.get("/field/antrian?assigned=none").get_data(as_text=True))


def test_an_officer_moved_to_another_skpd_or_disabled_gives_back_their_open_tickets(client, app, engine, pupr):
    """The admin moves andi to DLH: his open PUPR tickets return to PUPR's "unassigned" list; a finished one
    keeps its history. Disabling budi does the same for his; the audit counts them."""
    ids, codes = pupr
    login(client, "sari@pupr.test")
    for code, who in ((codes[0], "andi"), (codes[1], "andi"), (codes[2], "budi")):
        assert _assign(client, code, ids[who]).status_code == 303
    with engine.begin() as c:  # assigned while open, then resolved
        c.execute(text("UPDATE complaint SET assigned_to_id = :a WHERE tracking_code = :c"),
                  {"a": ids["andi"], "c": codes[3]})
    admin = app.test_client()
    make_user(engine, "admin@kominfo.test", "admin")
    login(admin, "admin@kominfo.test")
    token = csrf_token(admin, "/admin/users")
    assert admin.post(f"/admin/users/{ids['andi']}/role", data={"role": "officer", "skpd": "DLH",
                                                               "csrf_token": token}).status_code == 303
    assert [_assignee(engine, c) for c in codes] == [None, None, ids["budi"], ids["andi"]]
    assert "moved to another role or SKPD" in _last_assign_note(engine, codes[0])
    assert admin.post(f"/admin/users/{ids['budi']}/active", data={"active": "0",
                                                                 "csrf_token": token}).status_code == 303
    assert _assignee(engine, codes[2]) is None
    with engine.connect() as c:
        audit = c.execute(text("SELECT action, detail FROM audit_log ORDER BY id")).all()
    assert [(a, d.get("tickets_unassigned")) for a, d in audit] == [("user.change_role", 2), ("user.disable", 1)]
    assert set(_codes(client.get("/field/antrian?assigned=none").get_data(as_text=True))) >= {codes[0], codes[2]}
