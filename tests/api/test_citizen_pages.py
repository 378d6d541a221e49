"""Citizen pages work without JavaScript too, keep what was typed on errors, and escape everything shown."""
from __future__ import annotations

from sqlalchemy import text

FORM = {"category": "jalan-rusak", "description": "Jalan berlubang", "lon": "114.51", "lat": "-3.39",
        "idempotency_key": "form-1"}


def test_form_page_lists_categories_in_indonesian_and_english(client):
    """The form is Indonesian by default and English with ?lang=en."""
    assert "Kirim aduan" in client.get("/").get_data(as_text=True)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Send complaint" in page and "Damaged road" in page


def test_form_post_redirects_to_tracking_page(client):
    """A good form post redirects (303) to the tracking page of the new code."""
    r = client.post("/lapor", data=FORM)
    assert r.status_code == 303 and "/lacak/BJM-" in r.headers["Location"]


def test_resubmitted_form_gives_one_ticket(client, engine):
    """Sending the same form twice (same hidden key) creates one ticket and lands on the same page."""
    from sqlalchemy import text

    a = client.post("/lapor", data=FORM).headers["Location"]
    b = client.post("/lapor", data=FORM).headers["Location"]
    assert a == b
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 1


def test_error_keeps_what_was_typed(client):
    """A point outside the city re-shows the form (422) with the message and the description kept."""
    r = client.post("/lapor", data=FORM | {"lon": "115.5", "description": "Tolong <b>cepat</b>"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Banjarmasin" in page
    assert "Tolong &lt;b&gt;cepat&lt;/b&gt;" in page


def test_tracking_page_escapes_html_and_hides_reporter(client):
    """The tracking page shows the description as text and never the reporter's contact data."""
    loc = client.post("/lapor", data=FORM | {"description": "<script>alert(1)</script>", "name": "Ibu Siti Rahasia",
                                             "phone": "081234567890", "idempotency_key": "x2"}).headers["Location"]
    page = client.get(loc).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "Ibu Siti Rahasia" not in page and "081234567890" not in page


def test_track_lookup_normalises_the_code(client):
    """Typing the code in lower case with spaces finds the ticket."""
    code = client.post("/lapor", data=FORM).headers["Location"].rsplit("/", 1)[1].split("?")[0]
    r = client.get(f"/lacak?code= {code.lower()} ")
    assert r.status_code == 302 and r.headers["Location"].endswith(code)


def test_unknown_code_is_404_page(client):
    """An unknown code shows the search page with a message, status 404."""
    r = client.get("/lacak/BJM-0000-ZZZZZZ")
    assert r.status_code == 404 and "tidak ditemukan" in r.get_data(as_text=True)


def test_public_map_excludes_confidential(client, engine):
    """The public map data holds public complaints only."""
    from sqlalchemy import text

    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        client.post("/lapor", data=FORM | {"category": "lampu-jalan", "idempotency_key": "c1"})
        client.post("/lapor", data=FORM | {"idempotency_key": "c2"})
        feats = client.get("/api/v1/map-points").get_json()["features"]
        assert [f["properties"]["category"] for f in feats] == ["jalan-rusak"]
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


def test_confidential_ticket_shows_status_but_not_content(client, engine):
    """A confidential ticket's code reveals status and agency, never its text or location."""
    from sqlalchemy import text

    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        loc = client.post("/lapor", data=FORM | {"category": "lampu-jalan", "description": "Tetangga saya X",
                                                 "idempotency_key": "conf"}).headers["Location"]
        code = loc.rsplit("/", 1)[1].split("?")[0]
        page = client.get(loc).get_data(as_text=True)
        body = client.get(f"/api/v1/complaints/{code}").get_json()
        assert "Tetangga saya X" not in page and "Dinas Perhubungan" in page
        assert body["description"] is None and body["location"] is None and body["status"] == "new"
        # nor its area: the kelurahan would narrow down where the reporter is
        assert body["kelurahan"] is None and body["kecamatan"] is None and body["routing"] is None
        assert "Kelurahan A" not in page and "Kelurahan A" not in str(body)
        # nor what it is about: a confidential category names it
        assert body["category"] is None and "lampu-jalan" not in str(body) and "Lampu jalan mati" not in page
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


def test_tracking_page_states_the_running_clock(client, engine, settings):
    """A new ticket shows its follow-up clock in words; a long-overdue one says it is late in working days."""
    import pandas as pd

    from aduan.bulk_load import load_complaints

    loc = client.post("/lapor", data=FORM | {"idempotency_key": "sla1"}).headers["Location"]
    assert "Tindak lanjut: sisa 5 hari kerja" in client.get(loc).get_data(as_text=True)
    with engine.begin() as c:
        load_complaints(c, pd.DataFrame([(114.51, -3.39, "jalan-rusak", "Lama", "2026-01-05 09:00", "new")],
                                        columns=["lon", "lat", "category", "description", "created_at", "status"]),
                        settings=settings)
        code = c.execute(text("SELECT tracking_code FROM complaint WHERE description = 'Lama'")).scalar_one()
    page = client.get(f"/lacak/{code}").get_data(as_text=True)
    assert "Tindak lanjut: terlambat" in page and "hari kerja" in page


def test_pages_speak_of_the_citys_own_zone_and_prefix(engine, settings):
    """A city in WIT with its own prefix: the tracking page's deadline note and the code hint use them."""
    import dataclasses

    from app import create_app

    wit = dataclasses.replace(settings, timezone="Asia/Jayapura", city_prefix="JPR")
    c = create_app({"SETTINGS": wit, "TESTING": True, "SECRET_KEY": "x"}).test_client()
    location = c.post("/lapor", data=FORM | {"idempotency_key": "wit-1"}).headers["Location"]
    assert "/lacak/JPR-" in location
    page = c.get(location).get_data(as_text=True)
    assert "hari kerja (WIT)" in page and "WITA" not in page
    assert 'placeholder="JPR-' in c.get("/lacak").get_data(as_text=True)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE complaint, complaint_event, reporter RESTART IDENTITY CASCADE"))
