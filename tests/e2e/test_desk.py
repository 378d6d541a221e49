"""A desk clerk in headless Chromium enters a complaint that came in by WhatsApp: channel, message id, when it was
received, the reporter's contact as given, the place found by the landmark the reporter named; the ticket page
then shows the channel and the clerk. The same message entered again opens the first ticket."""
from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from aduan import places
from tests.e2e.conftest import log_in, screenshot
from tests.fieldkit import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def patokan(engine):
    """The landmark the reporter names ("depan SD Inpres Pasar Lama"), in Kelurahan A of the test city."""
    with engine.begin() as c:
        places.load_places(c, pd.DataFrame([{"name": "SD Inpres Pasar Lama", "kind": "sekolah",
                                             "geometry": Point(114.511, -3.391)}]), source="e2e-desk")
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM place"))


def _log_in(page, base: str, email: str) -> None:
    log_in(page, base, email, "**/field/antrian**")


def _enter(page, base: str) -> None:
    page.goto(base + "/desk/baru")
    page.wait_for_selector("#map[data-outlines='4']")
    page.select_option("#channel", "whatsapp")
    page.fill("#channel_ref", "wamid.HBgNNjI4MTI1NTUwMTIzFQIAEhggQ0Y")
    page.fill("#received_at", "2026-12-01T08:30")
    page.click("#place-q")
    page.keyboard.type("sd inpres")  # the landmark in the WhatsApp message
    page.wait_for_selector(".place-results li")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('address').value.startsWith('dekat SD Inpres Pasar Lama')")
    assert (float(page.input_value("#lon")), float(page.input_value("#lat"))) == (114.511, -3.391)
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan A')")
    page.select_option("#category", "jalan-rusak")
    page.wait_for_function("document.getElementById('routing-hint').textContent.includes('Dinas PUPR')")
    page.fill("#description", "Warga kirim foto lubang besar di depan SD lewat WhatsApp")
    page.fill("#name", "Pak Udin")
    page.fill("#phone", "0813 5000 1234")


def test_a_clerk_enters_a_whatsapp_complaint_and_the_ticket_shows_channel_and_clerk(live_server, page, engine,
                                                                                    patokan):
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
