"""The ticket page and its update form over HTTP: success, and every kind of bad input with a clear 4xx."""
from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import text

from tests.fieldkit import csrf_token, jpeg_bytes, login, make_ticket, make_user, ticket_row, update


@pytest.fixture
def officer(client, engine):
    """A logged-in PUPR officer."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    return client


@pytest.fixture
def code(engine, settings):
    """A PUPR ticket in progress."""
    return make_ticket(engine, settings, status="in_progress")


def test_ticket_page_shows_details_history_and_only_legal_actions(officer, code):
    """The page shows the ticket and offers an officer only what is legal from in_progress: note and resolve."""
    html = officer.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert code in html and "Sedang ditangani" in html and 'id="update-form"' in html
    assert 'value="resolve"' in html and 'value="note"' in html
    assert 'value="verify"' not in html and 'value="reroute"' not in html


def test_unknown_ticket_is_404(officer):
    """An unknown code gives a 404 page with the message in Indonesian."""
    resp = officer.get("/field/aduan/BJM-0000-XXXXXX")
    assert resp.status_code == 404 and "Aduan tidak ditemukan" in resp.get_data(as_text=True)


def test_resolve_with_photo_and_position(officer, engine, code):
    """Resolving with a photo and an on-site position redirects back; the page shows the new status."""
    resp = update(officer, code, "resolve", note="Sudah ditambal", lon="114.5101", lat="-3.39", accuracy_m="6",
                  photo=(io.BytesIO(jpeg_bytes()), "after.jpg"))
    assert resp.status_code == 303
    html = officer.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert "Selesai ditangani" in html and "Tersimpan" in html and "/field/foto/" in html
    assert ticket_row(engine, code)["resolved_at"] is not None


def test_offsite_resolution_is_saved_with_a_warning(officer, code):
    """Resolving 300 m away is accepted and the officer is told it was recorded as off-site."""
    update(officer, code, "resolve", lon="114.5127", lat="-3.39")
    html = officer.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert "di luar lokasi" in html and "Selesai ditangani" in html


def test_illegal_transition_is_409_and_keeps_the_note(officer, code):
    """Verifying a ticket already in progress is refused with 409; the typed note is still in the form."""
    resp = update(officer, code, "verify", note="Catatan panjang saya")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "tidak berlaku" in html and "Catatan panjang saya</textarea>" in html


def test_stale_update_is_409_with_the_note_kept_and_the_new_version(officer, code):
    """A form opened before someone else's change is refused; the note survives and the form carries version 2."""
    assert update(officer, code, "note", note="Pertama").status_code == 303
    resp = update(officer, code, "resolve", version=1, note="Ditambal oleh tim B")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "sudah diubah orang lain" in html
    assert "Ditambal oleh tim B</textarea>" in html and 'name="version" value="2"' in html


def test_update_without_csrf_token_is_400(officer, engine, code):
    """A forged cross-site POST (no token) changes nothing."""
    resp = officer.post(f"/field/aduan/{code}", data={"action": "resolve", "version": "1"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    assert ticket_row(engine, code)["status"] == "in_progress"


def test_position_outside_the_city_is_422(officer, code):
    """An officer position far outside the city is refused."""
    resp = update(officer, code, "resolve", lon="115.5", lat="-3.39")
    assert resp.status_code == 422 and "luar wilayah" in resp.get_data(as_text=True)


def test_malformed_position_is_400(officer, code):
    """Coordinates that are not numbers are a 400."""
    assert update(officer, code, "resolve", lon="abc", lat="-3.39").status_code == 400


def test_missing_version_is_400(officer, code):
    """A form without the version cannot be checked for staleness: refused."""
    resp = officer.post(f"/field/aduan/{code}", data={"csrf_token": csrf_token(officer), "action": "note",
                                                      "note": "x"})
    assert resp.status_code == 400 and "Versi" in resp.get_data(as_text=True)


def test_fake_photo_is_400(officer, engine, code):
    """A text file named .jpg is refused and the ticket stays as it was."""
    resp = update(officer, code, "resolve", photo=(io.BytesIO(b"bukan gambar sama sekali"), "foto.jpg"))
    assert resp.status_code == 400 and "bukan foto" in resp.get_data(as_text=True)
    assert ticket_row(engine, code)["status"] == "in_progress"


def test_an_empty_photo_file_is_refused_not_dropped(officer, engine, code):
    """A zero-byte file chosen as the photo: 400 saying so, and the note is not saved without it."""
    resp = update(officer, code, "note", note="Foto terlampir", photo=(io.BytesIO(b""), "foto.jpg"))
    assert resp.status_code == 400 and "Berkas foto kosong" in resp.get_data(as_text=True)
    assert ticket_row(engine, code)["version"] == 1


def test_photo_over_the_size_limit_is_refused(officer, code, settings):
    """A photo larger than PETA_MAX_UPLOAD_MB is refused with the limit named."""
    big = io.BytesIO(b"\xff\xd8\xff" + b"0" * (settings.max_upload_mb * 1024 * 1024 + 10))
    resp = update(officer, code, "resolve", photo=(big, "besar.jpg"))
    assert resp.status_code == 400 and f"maksimal {settings.max_upload_mb} MB" in resp.get_data(as_text=True)


def test_request_over_the_upload_limit_is_413(app, officer, code):
    """A request larger than the whole-request limit gets a 413 page in Indonesian."""
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    resp = update(officer, code, "resolve", photo=(io.BytesIO(b"0" * 2 * 1024 * 1024), "x.jpg"))
    assert resp.status_code == 413 and "terlalu besar" in resp.get_data(as_text=True)


def test_expired_session_on_update_redirects_to_login(officer, engine, code):
    """A form sent after the session expired goes to the login page and changes nothing."""
    token = csrf_token(officer)
    with officer.session_transaction() as s:
        s["seen"] = time.time() - 10 * 3600
    resp = officer.post(f"/field/aduan/{code}", data={"csrf_token": token, "action": "resolve", "version": "1"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert ticket_row(engine, code)["status"] == "in_progress"


def test_staff_photo_is_served_to_the_owning_skpd_only(officer, client, engine, settings, code):
    """A staff-only photo opens for the PUPR officer and is 403 for a DLH officer."""
    update(officer, code, "resolve", photo=(io.BytesIO(jpeg_bytes()), "a.jpg"))
    with engine.connect() as c:
        photo_id = c.execute(text("SELECT id FROM attachment")).scalar_one()
    resp = officer.get(f"/field/foto/{photo_id}")
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    officer.post("/logout", data={"csrf_token": csrf_token(officer, "/logout")})
    make_user(engine, "dina@dlh.test", "officer", "DLH")
    login(client, "dina@dlh.test")
    assert client.get(f"/field/foto/{photo_id}").status_code == 403


def test_history_marks_staff_only_notes(officer, code):
    """Staff-only notes are visible to staff and labelled as internal."""
    update(officer, code, "note", note="Hanya untuk tim")
    html = officer.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert "Hanya untuk tim" in html and "staff-only" in html


def test_english_page_on_request(officer, code):
    """?lang=en renders the page in English."""
    html = officer.get(f"/field/aduan/{code}?lang=en").get_data(as_text=True)
    assert "In progress" in html and "History" in html


def test_after_a_manual_reroute_every_explanation_names_the_new_skpd(client, engine, settings):
    """"Why this SKPD?" after a clerk handed the ticket on: the staff page, the citizen's page and the API keep
    routing's own decision and say who has the ticket now; the override (with its reason) is stored beside it."""
    code = make_ticket(engine, settings)  # routed to Dinas PUPR
    make_user(engine, "admin@kota.test", "admin")
    login(client, "admin@kota.test")
    assert update(client, code, "reroute", skpd="DLH", note="Ini saluran, bukan jalan").status_code == 303
    row = ticket_row(engine, code)
    assert row["routing_manual"]["to_skpd"] == "DLH" and row["routing_manual"]["reason"] == "Ini saluran, bukan jalan"
    staff = client.get(f"/field/aduan/{code}").get_data(as_text=True)
    assert "kemudian dialihkan petugas ke Dinas Lingkungan Hidup" in staff
    citizen = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "kemudian dialihkan petugas ke Dinas Lingkungan Hidup" in citizen
    api = client.get(f"/api/v1/complaints/{code}").get_json()
    assert api["skpd"]["code"] == "DLH"
    assert "kategori: Dinas PUPR;" in api["routing"]["explanation"]  # what routing decided, still
    assert api["routing"]["explanation"].endswith("; kemudian dialihkan petugas ke Dinas Lingkungan Hidup.")
    assert api["routing"]["explanation_en"].endswith("; later handed by staff to Dinas Lingkungan Hidup.")
    assert "saluran" not in api["routing"]["explanation"] + citizen  # the clerk's reason stays with staff


@pytest.mark.parametrize("action,note", [("reject", "\x01"), ("reject", "\u200b \u200b"), ("note", "\x7f\t")])
def test_a_reason_nobody_can_read_is_no_reason(client, engine, settings, action, note):
    """Control and invisible characters are dropped from notes as from any stored text, so they cannot stand in
    for the reason an action requires: 400, and the ticket is unchanged."""
    code = make_ticket(engine, settings, status="new")
    make_user(engine, "meja@kota.test", "desk")
    login(client, "meja@kota.test")
    before = ticket_row(engine, code)
    resp = update(client, code, action, note=note)
    assert resp.status_code == 400 and "catatan/alasan" in resp.get_data(as_text=True)
    assert ticket_row(engine, code)["version"] == before["version"]


def test_a_note_is_stored_without_its_control_characters(officer, engine, code):
    """What reaches the history (and the reporter's mail) is the readable text."""
    assert update(officer, code, "note", note="Sudah dicek\u200b di lokasi\x1b").status_code == 303
    with engine.connect() as c:
        note = c.execute(text("SELECT note FROM complaint_event WHERE kind = 'note' ORDER BY id DESC LIMIT 1")).scalar()
    assert note == "Sudah dicek di lokasi"


def test_a_code_typed_by_hand_leads_to_the_ticket(officer, code):
    """Lower case, without dashes, as on the citizen's tracking page: the ticket's own address, not a 404."""
    typed = code.lower().replace("-", "")
    resp = officer.get(f"/field/aduan/{typed}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/field/aduan/{code}")
    assert officer.get(resp.headers["Location"]).status_code == 200
