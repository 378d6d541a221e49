"""Moderation and the review queue (/desk): who may, what each action does to every public output, the audit."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from aduan.accounts import load_account
from aduan.workflow import Change, apply
from tests.fieldkit import csrf_token, jpeg_bytes, login, make_tickets, make_user, ticket_row

PHONE, EMAIL, NIK = "0812 3456 7890", "budi.santoso@contoh.test", "6371012345678901"
ADDRESS_TEXT = "Jl. A. Yani km 4,5 RT 012 RW 003 no. 17"
PII_TEXT = f"Lubang besar di {ADDRESS_TEXT}, hubungi {PHONE} atau {EMAIL}, NIK {NIK}"
DIGITS = ("34567890", "3456 7890", "budi.santoso", NIK)  # none of these may reach a public answer


@pytest.fixture
def clerk(client, engine):
    """A desk clerk, logged in."""
    make_user(engine, "meja@kominfo.test", "desk")
    login(client, "meja@kominfo.test")
    return client


def _report(client, description: str = "Jalan berlubang dalam", key: str = "m-1", category: str = "jalan-rusak",
            **extra) -> str:
    """A citizen report with one photo through the public form; returns its tracking code."""
    data = {"category": category, "description": description, "lon": "114.51", "lat": "-3.39",
            "idempotency_key": key, "photos": (io.BytesIO(jpeg_bytes()), "lubang.jpg"), **extra}
    r = client.post("/lapor", data=data, content_type="multipart/form-data")
    return r.headers["Location"].split("/lacak/")[1].split("?")[0]


def _photo_id(engine, code: str) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT a.id FROM attachment a JOIN complaint t ON t.id = a.complaint_id "
                              "WHERE t.tracking_code = :c ORDER BY a.id LIMIT 1"), {"c": code}).scalar_one()


def _moderate(client, code: str, action: str, **fields):
    data = {"csrf_token": csrf_token(client, f"/desk/aduan/{code}/moderasi"), "action": action, **fields}
    return client.post(f"/desk/aduan/{code}/moderasi", data=data)


def _events(engine, code: str, kind: str) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text(
            "SELECT e.kind, e.public, e.actor_user_id, e.actor_label, e.note, e.data, e.created_at "
            "FROM complaint_event e JOIN complaint t ON t.id = e.complaint_id "
            "WHERE t.tracking_code = :c AND e.kind = :k ORDER BY e.id"), {"c": code, "k": kind}).mappings()]


def _user_id(engine, email: str) -> int:
    with engine.connect() as c:
        return c.execute(text("SELECT id FROM app_user WHERE email = :e"), {"e": email}).scalar_one()


# --- who may --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role,skpd,status", [("desk", None, 200), ("admin", None, 200), ("officer", "PUPR", 403),
                                              ("skpd_admin", "PUPR", 403), ("planner", None, 403)])
def test_only_the_desk_and_admins_open_the_pages_and_moderate(app, engine, role, skpd, status):
    """Desk and admin may; an officer or SKPD admin (even of the ticket's own SKPD) and a planner get 403."""
    anon = app.test_client()
    code = _report(anon)
    client = app.test_client()
    make_user(engine, f"{role}@kota.test", role, skpd)
    login(client, f"{role}@kota.test")
    assert client.get("/desk/tinjau").status_code == status
    assert client.get(f"/desk/aduan/{code}/moderasi").status_code == status
    token = csrf_token(client, "/field/sekitar")
    r = client.post(f"/desk/aduan/{code}/moderasi", data={"csrf_token": token, "action": "hide_ticket"})
    assert r.status_code == (303 if status == 200 else 403)
    assert ticket_row(engine, code)["public"] is (status != 200)


@pytest.mark.parametrize("path", ["/desk/tinjau", "/desk/aduan/BJM-0000-TEST/moderasi"])
def test_anonymous_visitors_are_sent_to_the_login_form(client, path):
    """No session: a redirect to /login that comes back here afterwards."""
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_anonymous_post_is_sent_to_login_and_changes_nothing(client, engine):
    code = _report(client)
    r = client.post(f"/desk/aduan/{code}/moderasi", data={"action": "hide_ticket"})
    assert r.status_code in (302, 400) and ticket_row(engine, code)["public"] is True


def test_a_post_without_the_csrf_token_is_refused(clerk, engine):
    """The desk's own session without the form's token cannot hide a ticket (a cross-site form)."""
    code = _report(clerk)
    r = clerk.post(f"/desk/aduan/{code}/moderasi", data={"action": "hide_ticket"})
    assert r.status_code == 400 and ticket_row(engine, code)["public"] is True


def test_the_nav_links_the_review_queue_for_the_desk_only(app, clerk, engine):
    assert "/desk/tinjau" in clerk.get("/field/antrian").get_data(as_text=True)
    officer = app.test_client()
    make_user(engine, "petugas@pupr.test", "officer", "PUPR")
    login(officer, "petugas@pupr.test")
    assert "/desk/tinjau" not in officer.get("/field/antrian").get_data(as_text=True)


# --- photos ---------------------------------------------------------------------------------------------------

def test_a_hidden_photo_is_gone_from_every_public_output_and_audited(app, clerk, engine):
    """After hide_photo: no photo URL in the API ticket or the tracking page, no media_url in Open311, and the
    photo itself is 404 on both photo routes; the event names who and which photo, staff-only."""
    anon = app.test_client()
    code = _report(anon)
    pid = _photo_id(engine, code)
    assert f"/api/v1/photos/{pid}" in anon.get(f"/lacak/{code}").get_data(as_text=True)
    assert anon.get(f"/open311/v2/requests/{code}.json").get_json()[0]["media_url"]
    assert _moderate(clerk, code, "hide_photo", attachment_id=str(pid)).status_code == 303

    assert anon.get(f"/api/v1/complaints/{code}").get_json()["photos"] == []
    assert f"/photos/{pid}" not in anon.get(f"/lacak/{code}").get_data(as_text=True)
    assert anon.get(f"/open311/v2/requests/{code}.json").get_json()[0]["media_url"] is None
    assert f"media/{pid}" not in anon.get(f"/open311/v2/requests.json?service_request_id={code}").get_data(True)
    assert anon.get(f"/api/v1/photos/{pid}").status_code == 404
    assert anon.get(f"/open311/v2/media/{pid}.jpg").status_code == 404
    assert clerk.get(f"/field/foto/{pid}").status_code == 200  # staff still see it
    [event] = _events(engine, code, "moderation")
    assert event["public"] is False and event["actor_user_id"] == _user_id(engine, "meja@kominfo.test")
    assert event["data"] == {"action": "hide_photo", "attachment_id": pid, "before": True, "after": False}
    assert "meja" in event["actor_label"] and event["created_at"] is not None


def test_a_hidden_photo_can_be_shown_again(app, clerk, engine):
    anon = app.test_client()
    code = _report(anon)
    pid = _photo_id(engine, code)
    _moderate(clerk, code, "hide_photo", attachment_id=str(pid))
    assert _moderate(clerk, code, "show_photo", attachment_id=str(pid)).status_code == 303
    assert anon.get(f"/api/v1/photos/{pid}").status_code == 200
    assert [e["data"]["action"] for e in _events(engine, code, "moderation")] == ["hide_photo", "show_photo"]


def test_a_staff_only_photo_cannot_be_made_public(clerk, engine, settings):
    """An officer's staff-only photo (its step is internal) stays internal; the page says why."""
    code = _report(clerk)
    with engine.begin() as c:
        user = load_account(c, _user_id(engine, "meja@kominfo.test")).user
        apply(c, settings, user, code, Change("note", 1, note="Foto internal", public=False, photo=jpeg_bytes()))
        pid = c.execute(text("SELECT max(id) FROM attachment")).scalar_one()
    r = _moderate(clerk, code, "show_photo", attachment_id=str(pid))
    assert r.status_code == 400 and "langkah internal" in r.get_data(as_text=True)
    assert clerk.get(f"/api/v1/photos/{pid}").status_code == 404 and _events(engine, code, "moderation") == []


def test_a_photo_of_another_ticket_is_not_found(clerk, engine):
    one, other = _report(clerk, key="a"), _report(clerk, "Sampah", key="b")
    r = _moderate(clerk, one, "hide_photo", attachment_id=str(_photo_id(engine, other)))
    assert r.status_code == 404 and clerk.get(f"/api/v1/photos/{_photo_id(engine, other)}").status_code == 200


# --- public text and visibility --------------------------------------------------------------------------------

def test_the_moderated_text_is_public_while_staff_see_the_original(app, clerk, engine):
    """public_description replaces the reporter's text on the tracking page, the API, Open311 and OGC; the staff
    ticket page keeps the original; the event holds before and after."""
    anon = app.test_client()
    code = _report(anon, "Pak RT korupsi, jalan rusak parah")
    assert _moderate(clerk, code, "public_text", public_text="Jalan rusak parah", note="tuduhan").status_code == 303
    assert anon.get(f"/api/v1/complaints/{code}").get_json()["description"] == "Jalan rusak parah"
    assert "korupsi" not in anon.get(f"/lacak/{code}").get_data(as_text=True)
    assert anon.get(f"/open311/v2/requests/{code}.json").get_json()[0]["description"] == "Jalan rusak parah"
    ogc = anon.get(f"/ogc/collections/complaints/items/{code}").get_json()
    assert ogc["properties"]["description"] == "Jalan rusak parah"
    assert "Pak RT korupsi" in clerk.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert ticket_row(engine, code)["description"] == "Pak RT korupsi, jalan rusak parah"
    [event] = _events(engine, code, "moderation")
    assert event["data"] == {"action": "public_text", "before": None, "after": "Jalan rusak parah"}
    assert event["note"] == "tuduhan" and event["public"] is False


def test_an_empty_public_text_puts_the_original_back(app, clerk, engine):
    anon = app.test_client()
    code = _report(anon, "Teks asli warga")
    _moderate(clerk, code, "public_text", public_text="Teks moderasi")
    _moderate(clerk, code, "public_text", public_text="  ")
    assert ticket_row(engine, code)["public_description"] is None
    assert anon.get(f"/api/v1/complaints/{code}").get_json()["description"] == "Teks asli warga"


@pytest.mark.parametrize("typed", ["x" * 5001, "\x01\x02", "\u200b"])
def test_a_public_text_too_long_or_unreadable_is_refused_not_cut_or_dropped(app, clerk, engine, typed):
    """Cut at 5,000 characters the clerk would not see what the public reads; nothing readable would silently
    put the reporter's text back. A 400 saying so, and the earlier moderated text stays."""
    anon = app.test_client()
    code = _report(anon, "Teks asli warga")
    _moderate(clerk, code, "public_text", public_text="Teks moderasi")
    r = _moderate(clerk, code, "public_text", public_text=typed)
    assert r.status_code == 400 and ("5000" in r.get_data(as_text=True) or "tidak terbaca" in r.get_data(as_text=True))
    assert ticket_row(engine, code)["public_description"] == "Teks moderasi"


def test_a_non_public_ticket_leaves_lists_map_tiles_and_photos_and_comes_back(app, clerk, engine):
    """hide_ticket: gone from the map points, OGC items, tiles and the photo route; its code shows its status
    only; show_ticket brings all of it back."""
    anon = app.test_client()
    code = _report(anon)
    pid = _photo_id(engine, code)
    tile = "/tiles/complaints/16/53613/33385.pbf"  # holds (114.51, -3.39)
    assert code in repr(mapbox_vector_tile.decode(anon.get(tile).data))
    assert _moderate(clerk, code, "hide_ticket").status_code == 303
    assert code not in anon.get("/api/v1/map-points").get_data(as_text=True)
    assert code not in anon.get("/ogc/collections/complaints/items").get_data(as_text=True)
    assert code not in repr(mapbox_vector_tile.decode(anon.get(tile).data))
    assert anon.get(f"/api/v1/photos/{pid}").status_code == 404
    body = anon.get(f"/api/v1/complaints/{code}").get_json()
    assert body["status"] == "new" and body["description"] is None and body["location"] is None
    _moderate(clerk, code, "show_ticket")
    assert code in anon.get("/api/v1/map-points").get_data(as_text=True)
    assert anon.get(f"/api/v1/photos/{pid}").status_code == 200
    assert [e["data"]["action"] for e in _events(engine, code, "moderation")] == ["hide_ticket", "show_ticket"]


def test_a_confidential_category_ticket_cannot_be_made_public(clerk, engine):
    """Confidential categories are never public: show_ticket is refused and nothing is recorded."""
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        code = _report(clerk, "Lampu mati di gang", category="lampu-jalan")
        r = _moderate(clerk, code, "show_ticket")
        assert r.status_code == 400 and "kategori rahasia" in r.get_data(as_text=True)
        assert ticket_row(engine, code)["public"] is False and _events(engine, code, "moderation") == []
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


def test_moderation_and_review_stay_out_of_the_public_history(app, clerk, engine):
    """The audit lines are staff-only: the API history and Open311 updates show none of them."""
    anon = app.test_client()
    code = _report(anon)
    _moderate(clerk, code, "public_text", public_text="Teks baru", note="catatan moderator rahasia")
    _moderate(clerk, code, "confirm", note="catatan tinjauan rahasia")
    kinds = [h["kind"] for h in anon.get(f"/api/v1/complaints/{code}").get_json()["history"]]
    assert kinds == ["created"]
    assert "rahasia" not in anon.get(f"/lacak/{code}").get_data(as_text=True)
    today = dt.datetime.now(dt.UTC).date()
    updates = anon.get(f"/open311/v2/servicerequestupdates.json?start_date={today - dt.timedelta(days=1)}T00:00:00Z"
                       f"&end_date={today + dt.timedelta(days=1)}T00:00:00Z").get_data(as_text=True)
    assert code not in updates


def test_an_unknown_action_or_ticket_is_refused(clerk):
    code = _report(clerk)
    assert _moderate(clerk, code, "delete_everything").status_code == 400
    assert clerk.get("/desk/aduan/BJM-0000-NONE/moderasi").status_code == 404


# --- masking in every public output ---------------------------------------------------------------------------

def _assert_masked(body: str, where: str) -> None:
    assert not [d for d in DIGITS if d in body], where
    assert "0812-****-**90" in body, where


def test_contacts_typed_into_a_description_are_masked_in_every_public_output(app, client, engine, settings):
    """Phone, e-mail and NIK in the description and the address, and a phone in a public note: masked in the
    tracking page, the API, OGC items, Open311 requests and updates, GeoJSON and CSV exports; the RT/RW/km/house
    numbers stay; the staff page shows the original."""
    code = _report(client, PII_TEXT, address=f"Gang Mawar, WA {PHONE}")
    make_user(engine, "admin@kota.test", "admin")
    with engine.begin() as c:
        user = load_account(c, _user_id(engine, "admin@kota.test")).user
        apply(c, settings, user, code, Change("verify", 1, note="Sudah ditelepon ke 0813-5000-1122", public=True))
    outputs = {
        "tracking": client.get(f"/lacak/{code}").get_data(as_text=True),
        "api": client.get(f"/api/v1/complaints/{code}").get_data(as_text=True),
        "ogc": client.get("/ogc/collections/complaints/items?limit=1000").get_data(as_text=True),
        "open311": client.get("/open311/v2/requests.json").get_data(as_text=True),
        "open311-one": client.get(f"/open311/v2/requests/{code}.xml").get_data(as_text=True),
        "geojson": client.get("/planner/export/complaints.geojson").get_data(as_text=True),
        "csv": client.get("/planner/export/complaints.csv").get_data(as_text=True),
    }
    for where, body in outputs.items():
        assert code in body, where
        _assert_masked(body, where)
        assert "5000-1122" not in body, where
    today = dt.datetime.now(dt.UTC).date()
    updates = client.get(f"/open311/v2/servicerequestupdates.json?start_date={today - dt.timedelta(days=1)}T00:00:00Z"
                         f"&end_date={today + dt.timedelta(days=1)}T00:00:00Z").get_data(as_text=True)
    api = client.get(f"/api/v1/complaints/{code}").get_json()
    assert api["description"] == (f"Lubang besar di {ADDRESS_TEXT}, hubungi 0812-****-**90 atau "
                                  "[email disembunyikan], NIK [NIK disembunyikan]")
    assert api["address"] == "Gang Mawar, WA 0812-****-**90"
    assert "0813-****-**22" in outputs["tracking"] and "0813-****-**22" in updates and "5000-1122" not in updates
    row = next(r for r in csv.DictReader(io.StringIO(outputs["csv"])) if r["tracking_code"] == code)
    assert ADDRESS_TEXT in row["description"] and "[NIK disembunyikan]" in row["description"]
    staff = app.test_client()
    login(staff, "admin@kota.test")
    page = staff.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert PHONE in page and EMAIL in page and NIK in page


def test_duplicate_suggestions_show_masked_text(client):
    """The 'support this one instead' list is public too."""
    _report(client, PII_TEXT)
    body = client.get("/api/v1/duplicates?lon=114.51&lat=-3.39&category=jalan-rusak").get_data(as_text=True)
    assert "Lubang besar" in body and not [d for d in DIGITS if d in body]


def test_the_moderation_page_shows_original_and_masked_public_text(clerk):
    code = _report(clerk, PII_TEXT)
    page = clerk.get(f"/desk/aduan/{code}/moderasi").get_data(as_text=True)
    original = re.search(r'id="original-text">([^<]*)<', page).group(1)
    public = re.search(r'id="public-text">([^<]*)<', page).group(1)
    assert PHONE in original and "0812-****-**90" in public and NIK not in public


# --- the review queue -----------------------------------------------------------------------------------------

@pytest.fixture
def review_tickets(engine, settings):
    """An overlap, a snapped and a near-border ticket (routed so by the tiny city), a plain one, and a plain one
    entered by the desk."""
    rows = [(114.5197, -3.37, "jalan-rusak", "Di irisan C dan D", "2026-11-02 08:00", "new"),
            (114.51, -3.3797, "jalan-rusak", "Di celah antar kelurahan", "2026-11-02 09:00", "new"),
            (114.52003, -3.39, "jalan-rusak", "Di tepi A dan B", "2026-11-02 10:00", "verified"),
            (114.51, -3.39, "jalan-rusak", "Di tengah A", "2026-11-02 11:00", "new"),
            (114.505, -3.39, "jalan-rusak", "Dicatat meja dari WhatsApp", "2026-11-02 12:00", "new"),
            (114.5197, -3.37, "jalan-rusak", "Irisan tapi sudah selesai", "2026-11-02 07:00", "resolved")]
    codes = make_tickets(engine, settings, rows)
    clerk_id = make_user(engine, "pencatat@kominfo.test", "desk")
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET entered_by_id = :u, channel = 'whatsapp' WHERE tracking_code = :c"),
                  {"u": clerk_id, "c": codes[4]})
        flags = dict(c.execute(text("SELECT tracking_code, routing_flags FROM complaint")).all())
    assert "overlap" in flags[codes[0]] and "snapped" in flags[codes[1]] and "near_border" in flags[codes[2]]
    assert flags[codes[3]] == []
    return codes


def _queue_codes(client, page: int = 1) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', client.get(f"/desk/tinjau?page={page}").get_data(as_text=True))


def test_the_queue_lists_flagged_and_desk_entered_open_tickets_oldest_first(clerk, review_tickets):
    """Overlap, snapped, near-border and the desk entry wait; the plain and the resolved ticket do not."""
    assert _queue_codes(clerk) == [review_tickets[i] for i in (0, 1, 2, 4)]


def test_the_queue_shows_flags_as_words_in_both_languages(clerk, review_tickets):
    page = clerk.get("/desk/tinjau").get_data(as_text=True)
    assert "Kelurahan tumpang tindih" in page and "Dekat batas wilayah" in page
    assert "Dicatat pencatat · WhatsApp" in page
    assert not re.search(r'class="badge flag">(overlap|snapped|near_border)<', page)
    en = clerk.get("/desk/tinjau?lang=en").get_data(as_text=True)
    assert "Near a border" in en and "Overlapping kelurahan" in en


def test_confirming_records_a_review_and_drops_the_ticket_off_the_queue(clerk, engine, review_tickets):
    code = review_tickets[0]
    r = _moderate(clerk, code, "confirm", note="Sudah dicek di peta", next="queue")
    assert r.status_code == 303 and r.headers["Location"].endswith("/desk/tinjau")
    assert code not in _queue_codes(clerk)
    [event] = _events(engine, code, "review")
    assert event["data"] == {"outcome": "confirmed", "flags": ["overlap"]} and event["public"] is False
    assert event["actor_user_id"] == _user_id(engine, "meja@kominfo.test") and event["note"] == "Sudah dicek di peta"
    assert "menunggu tinjauan" not in clerk.get(f"/desk/aduan/{code}/moderasi").get_data(as_text=True)


def test_rerouting_uses_the_workflow_and_drops_the_ticket_off_the_queue(clerk, engine, review_tickets):
    """The workflow's re-route (its event, the new SKPD, the clocks kept) plus a review event."""
    code = review_tickets[2]
    before = ticket_row(engine, code)
    r = _moderate(clerk, code, "reroute", skpd="DLH", note="Saluran milik DLH", version=str(before["version"]))
    assert r.status_code == 303
    after = ticket_row(engine, code)
    with engine.connect() as c:
        assert c.execute(text("SELECT code FROM skpd WHERE id = :i"), {"i": after["skpd_id"]}).scalar() == "DLH"
    assert after["handling_due_at"] == before["handling_due_at"]
    assert len(_events(engine, code, "reroute")) == 1
    assert _events(engine, code, "review")[0]["data"] == {"outcome": "rerouted", "to_skpd": "DLH"}
    assert code not in _queue_codes(clerk)


def test_a_reroute_without_a_reason_or_from_a_stale_page_changes_nothing(clerk, engine, review_tickets):
    code = review_tickets[0]
    version = str(ticket_row(engine, code)["version"])
    assert _moderate(clerk, code, "reroute", skpd="DLH", note="", version=version).status_code == 400
    assert _moderate(clerk, code, "reroute", skpd="DLH", note="x", version="99").status_code == 409
    assert _events(engine, code, "review") == [] and code in _queue_codes(clerk)


def test_the_queue_pages(clerk, engine, settings):
    """Past one page the queue shows the next page with the rest, and links both ways."""
    rows = [(114.5197, -3.37, "jalan-rusak", f"Irisan {i}", f"2026-11-02 {8 + i // 60:02d}:{i % 60:02d}", "new")
            for i in range(53)]
    codes = make_tickets(engine, settings, rows)
    first, second = _queue_codes(clerk), _queue_codes(clerk, 2)
    assert first == codes[:50] and second == codes[50:]
    page = clerk.get("/desk/tinjau?page=2").get_data(as_text=True)
    assert 'rel="prev"' in page and "2 / 2" in page and 'rel="next"' not in page
    assert _queue_codes(clerk, 99) == codes[50:] and _queue_codes(clerk, "x") == codes[:50]
