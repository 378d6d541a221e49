"""The desk enters complaints that arrived through other channels: channel, reference and time of receipt are
stored with the clerk, the clocks start when it was received, the same reference is one ticket (also when two
clerks race), and nobody but the desk or a channel gateway may set these fields."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from aduan.api_keys import create_api_key
from tests.fieldkit import csrf_token, login, make_user, ticket_row

WITA = ZoneInfo("Asia/Makassar")
GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar, kiriman WhatsApp warga",
        "lon": 114.51, "lat": -3.39, "name": "Bu Rina", "phone": "0812 3456 7890"}
RECEIVED = "2026-11-27T10:15:00+08:00"  # a Friday, WITA


def _desk(client, engine, email: str = "meja@kominfo.test") -> dict:
    """A logged-in clerk; returns the headers the API needs from a session (its CSRF token)."""
    make_user(engine, email, "desk")
    login(client, email)
    return {"X-CSRFToken": csrf_token(client, "/desk/baru")}


def _gateway(engine, channels: bool = True) -> dict:
    with engine.begin() as c:
        return {"Authorization": f"Bearer {create_api_key(c, 'WhatsApp gateway', channels=channels)}"}


def _events(engine, code: str) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text(
            "SELECT e.kind, e.actor_user_id, e.actor_label, e.data, e.created_at FROM complaint_event e "
            "JOIN complaint c ON c.id = e.complaint_id WHERE c.tracking_code = :c ORDER BY e.id"), {"c": code})
            .mappings()]


def test_a_clerk_enters_a_whatsapp_complaint_received_earlier(client, engine):
    """Channel, reference, clerk stored; the ticket is dated when received and its clocks count from then."""
    headers = _desk(client, engine)
    r = client.post("/api/v1/complaints", headers=headers, json=GOOD | {
        "channel": "whatsapp", "channel_ref": "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBD", "received_at": RECEIVED})
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["tracking_code"]
    row = ticket_row(engine, code)
    received = dt.datetime.fromisoformat(RECEIVED)
    assert (row["channel"], row["channel_ref"]) == ("whatsapp", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjBD")
    assert row["received_at"] == received == row["created_at"]
    assert row["entered_by_id"] is not None and not row["anonymous"]
    # five working days from Friday 27 Nov: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 Dec, end of day
    assert row["followup_due_at"].astimezone(WITA) == dt.datetime(2026, 12, 4, 23, 59, 59, tzinfo=WITA)
    created = _events(engine, code)[0]
    assert created["kind"] == "created" and created["actor_user_id"] == row["entered_by_id"]
    assert created["actor_label"] == "meja" and created["data"]["channel"] == "whatsapp"
    assert created["created_at"] > received  # entered now, received on Friday


def test_a_time_without_offset_is_city_time(client, engine):
    headers = _desk(client, engine)
    r = client.post("/api/v1/complaints", headers=headers, json=GOOD | {
        "channel": "phone", "received_at": "2026-11-30T08:05"})
    assert r.status_code == 201, r.get_json()
    row = ticket_row(engine, r.get_json()["tracking_code"])
    assert row["received_at"] == dt.datetime(2026, 11, 30, 8, 5, tzinfo=WITA)


def test_the_same_reference_entered_twice_is_one_ticket_naming_the_first_clerk(client, app, engine):
    first = _desk(client, engine, "rina@kominfo.test")
    a = client.post("/api/v1/complaints", headers=first, json=GOOD | {"channel": "lapor", "channel_ref": "LAP-8812"})
    other = app.test_client()
    second = _desk(other, engine, "budi@kominfo.test")
    b = other.post("/api/v1/complaints", headers=second, json=GOOD | {
        "channel": "lapor", "channel_ref": "  LAP-8812 ", "description": "diketik ulang oleh petugas kedua"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.get_json()["tracking_code"] == b.get_json()["tracking_code"] and b.get_json()["created"] is False
    # the same reference on another channel is another message
    c = other.post("/api/v1/complaints", headers=second, json=GOOD | {"channel": "sms", "channel_ref": "LAP-8812"})
    assert c.status_code == 201
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM complaint")).scalar() == 2


def test_two_clerks_racing_with_one_reference_make_one_ticket(app, engine):
    """Sixteen simultaneous entries of one message (each its own idempotency key): one ticket, all name it."""
    headers = _gateway(engine)

    def go(i: int):
        with app.test_client() as c:
            return c.post("/api/v1/complaints", headers=headers | {"Idempotency-Key": f"click-{i}"},
                          json=GOOD | {"channel": "instagram", "channel_ref": "https://instagram.com/p/Cx1"})
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(go, range(16)))
    assert sorted({a.status_code for a in answers}) == [200, 201], [a.get_json() for a in answers]
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({a.get_json()["tracking_code"] for a in answers}) == 1
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM complaint_event WHERE kind = 'created'")).scalar() == 1
        assert c.execute(text("SELECT count(*) FROM reporter")).scalar() == 1


def test_a_channel_gateway_records_its_channel(client, engine):
    r = client.post("/api/v1/complaints", headers=_gateway(engine), json=GOOD | {
        "channel": "whatsapp", "channel_ref": "wamid.42"})
    assert r.status_code == 201
    row = ticket_row(engine, r.get_json()["tracking_code"])
    assert row["channel"] == "whatsapp" and row["entered_by_id"] is None
    assert _events(engine, row["tracking_code"])[0]["actor_label"] == "gateway WhatsApp gateway"


@pytest.mark.parametrize("who", ["anonymous", "officer", "planner", "plain api key", "bad key"])
def test_anyone_else_setting_the_desk_fields_gets_403(client, engine, who):
    headers = {}
    if who in ("officer", "planner"):
        make_user(engine, f"{who}@pupr.test", who, "PUPR" if who == "officer" else None)
        login(client, f"{who}@pupr.test")
        headers = {"X-CSRFToken": csrf_token(client, "/login")}
    elif who == "plain api key":
        headers = _gateway(engine, channels=False)
    elif who == "bad key":
        headers = {"Authorization": "Bearer pa_0000_nope"}
    for extra in ({"channel": "whatsapp"}, {"channel": "lapor", "channel_ref": "X1"},
                  {"channel": "phone", "received_at": RECEIVED}):
        r = client.post("/api/v1/complaints", headers=headers, json=GOOD | extra)
        assert r.status_code == 403, (who, extra, r.get_json())
        assert "meja aduan" in r.get_json()["detail"] or "gateway" in r.get_json()["detail"]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0


def test_a_session_without_its_csrf_token_cannot_enter(client, engine):
    _desk(client, engine)
    r = client.post("/api/v1/complaints", json=GOOD | {"channel": "whatsapp"})
    assert r.status_code == 400
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0


@pytest.mark.parametrize(("extra", "field"), [
    ({"channel": "telegram"}, "channel"),
    ({"channel": "web"}, "channel"),  # the web form's own channel is not the desk's to claim
    ({"channel_ref": "wamid.1"}, "channel"),
    ({"channel": "phone", "received_at": "kemarin sore"}, "received_at"),
    ({"channel": "phone", "received_at": "2027-01-01T10:00:00+08:00"}, "received_at"),
    ({"channel": "phone", "received_at": "2024-01-01T10:00:00+08:00"}, "received_at"),
    ({"channel": "sms", "channel_ref": "x" * 301}, "channel_ref"),
])
def test_bad_desk_fields_are_400_naming_the_field(client, engine, extra, field):
    headers = _desk(client, engine)
    r = client.post("/api/v1/complaints", headers=headers, json=GOOD | extra)
    body = r.get_json()
    assert r.status_code == 400 and body["field"] == field, body
    assert body["detail"] and body["detail_en"] and body["detail"] != body["detail_en"]


def test_the_desk_form_enters_and_a_second_entry_opens_the_first(client, engine):
    _desk(client, engine)
    page = client.get("/desk/baru").get_data(as_text=True)
    assert 'name="channel"' in page and "SP4N-LAPOR!" in page and 'name="received_at"' in page
    form = {k: str(v) for k, v in GOOD.items()} | {
        "channel": "whatsapp", "channel_ref": "wamid.form-1", "received_at": "2026-12-01T09:30",
        "csrf_token": csrf_token(client, "/desk/baru"), "idempotency_key": "k1"}
    r = client.post("/desk/baru", data=form)
    assert r.status_code == 303 and "/field/aduan/" in r.headers["Location"]
    ticket = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Aduan dicatat" in ticket and "WhatsApp" in ticket and "wamid.form-1" in ticket
    assert "dicatat oleh" in ticket and "meja" in ticket
    again = client.post("/desk/baru", data=form | {"idempotency_key": "k2"})
    assert again.headers["Location"] == r.headers["Location"]
    assert "sudah dicatat sebelumnya oleh meja" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_the_desk_form_keeps_what_was_typed_on_an_error(client, engine):
    _desk(client, engine)
    form = {"category": "jalan-rusak", "description": "Lampu mati di gang", "lon": "114.51", "lat": "-3.39",
            "channel": "phone", "received_at": "2030-01-01T10:00", "csrf_token": csrf_token(client, "/desk/baru")}
    r = client.post("/desk/baru", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Lampu mati di gang" in html and "masa depan" in html


@pytest.mark.parametrize(("role", "status"), [("officer", 403), ("planner", 403), ("skpd_admin", 403),
                                              ("desk", 200), ("admin", 200)])
def test_only_the_desk_and_admins_open_the_desk_page(client, engine, role, status):
    make_user(engine, f"{role}@kota.test", role, "PUPR" if role in ("officer", "skpd_admin") else None)
    login(client, f"{role}@kota.test")
    assert client.get("/desk/baru").status_code == status


def test_anonymous_is_sent_to_login(client):
    r = client.get("/desk/baru")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"]


def test_the_citizen_form_cannot_back_date_or_claim_a_channel(client, engine):
    """A crafted public form with the desk's fields is refused; nothing is stored."""
    form = {k: str(v) for k, v in GOOD.items()} | {"channel": "lapor", "received_at": "2026-11-01T08:00"}
    r = client.post("/lapor", data=form)
    assert r.status_code == 403 and "meja aduan" in r.get_data(as_text=True)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0
