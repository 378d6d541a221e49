"""A desk clerk in headless Chromium enters a complaint that came in by WhatsApp: channel, message id, when it was
received, the reporter's contact as given, the pin; the ticket page then shows the channel and the clerk. The
same message entered again opens the first ticket."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.e2e.conftest import screenshot
from tests.fieldkit import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/field/antrian**")


def _enter(page, base: str) -> None:
    page.goto(base + "/desk/baru")
    page.wait_for_selector("#map[data-outlines='4']")
    page.select_option("#channel", "whatsapp")
    page.fill("#channel_ref", "wamid.HBgNNjI4MTI1NTUwMTIzFQIAEhggQ0Y")
    page.fill("#received_at", "2026-12-01T08:30")
    page.locator("#map").scroll_into_view_if_needed()  # below the desk's fields
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75)  # inside Kelurahan A
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan')")
    page.select_option("#category", "jalan-rusak")
    page.wait_for_function("document.getElementById('routing-hint').textContent.includes('Dinas PUPR')")
    page.fill("#description", "Warga kirim foto lubang besar di depan SD lewat WhatsApp")
    page.fill("#name", "Pak Udin")
    page.fill("#phone", "0813 5000 1234")


def test_a_clerk_enters_a_whatsapp_complaint_and_the_ticket_shows_channel_and_clerk(live_server, page, engine):
    make_user(engine, "rina@kominfo.test", "desk")
    _log_in(page, live_server, "rina@kominfo.test")
    page.click("text=Catat aduan")
    _enter(page, live_server)
    screenshot(page, "desk-entry")
    page.click("#submit")
    page.wait_for_url("**/field/aduan/BJM-*")
    assert "Aduan dicatat" in page.locator(".flash").first.inner_text()
    channel = page.locator("#channel").inner_text()
    assert "WhatsApp" in channel and "wamid.HBgNNjI4MTI1NTUwMTIzFQIAEhggQ0Y" in channel and "rina" in channel
    assert "0813 5000 1234" in page.locator(".contact").inner_text()  # the desk sees the contact it entered
    first = page.url
    screenshot(page, "desk-ticket")

    _enter(page, live_server)  # a double entry of the same message
    page.click("#submit")
    page.wait_for_url(first)
    assert "sudah dicatat sebelumnya oleh rina" in page.locator(".flash").first.inner_text()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 1
    assert page.external_requests == []
