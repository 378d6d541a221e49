"""An officer in headless Chromium: logs in, sees nearby tickets on map and list, resolves one with a photo."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from tests.e2e.conftest import log_in, screenshot
from tests.fieldkit import jpeg_bytes, make_tickets, make_user

pytestmark = pytest.mark.e2e
HERE = {"longitude": 114.51, "latitude": -3.39, "accuracy": 8}
RECENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()


@pytest.fixture
def field_data(engine, settings):
    """A PUPR officer and a few PUPR tickets around Kelurahan A: one in progress 40 m away, others farther."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    return make_tickets(engine, settings, [
        (114.5104, -3.39, "jalan-rusak", "Lubang di depan pasar", RECENT, "in_progress"),
        (114.5130, -3.3885, "jalan-rusak", "Aspal mengelupas", "2026-11-02 09:00", "new"),
        (114.5060, -3.3930, "jalan-rusak", "Jalan amblas", RECENT, "verified"),
        (114.5150, -3.3860, "jalan-rusak", "Trotoar rusak", "2026-11-09 09:00", "in_progress"),
    ])


def test_officer_logs_in_sees_nearby_and_resolves_with_photo(live_server, page, engine, field_data):
    """Login → nearby list from the phone's position → ticket → resolve with a photo → status Selesai."""
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    log_in(page, live_server, "andi@pupr.test", "**/field/sekitar**")
    page.wait_for_selector("#ticket-list li")
    page.wait_for_selector("#map[data-outlines='4']")
    codes = page.locator("#ticket-list li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert codes[0] == field_data[0] and set(codes) == set(field_data)  # nearest first
    assert "terlambat" in page.locator("#ticket-list li", has_text="Aspal").inner_text()
    screenshot(page, "field-nearby")

    page.click(f"#ticket-list li[data-code='{field_data[0]}'] a")
    page.wait_for_url(f"**/field/aduan/{field_data[0]}")
    page.wait_for_function("document.getElementById('position-status').textContent.includes('m dari lokasi')")
    page.select_option("#action", "resolve")
    page.fill("#note", "Lubang sudah ditambal")
    page.set_input_files("#photo", files=[{"name": "sesudah.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.locator("#update-form").scroll_into_view_if_needed()
    screenshot(page, "field-ticket-update")
    page.click("#submit-update")
    page.wait_for_selector(".flash.ok")
    assert page.locator("#status").inner_text() == "Selesai ditangani"
    screenshot(page, "field-ticket-resolved")
    with engine.connect() as c:
        row = c.execute(text("SELECT c.status, a.role, e.data->'onsite'->>'ok' AS onsite FROM complaint c "
                             "JOIN attachment a ON a.complaint_id = c.id JOIN complaint_event e ON e.id = a.event_id "
                             "WHERE c.tracking_code = :c"), {"c": field_data[0]}).one()
    assert tuple(row) == ("resolved", "after", "true")
    page.click("text=Antrian")
    page.wait_for_selector("#wall")
    assert page.locator("[data-count='open']").inner_text() == "3"
    screenshot(page, "field-queue")
    assert page.external_requests == []
