"""A citizen reports by dropping a pin in real headless Chromium and lands on the tracking page."""
import pytest
from sqlalchemy import text

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_drop_pin_choose_category_submit_and_track(live_server, page):
    """Open the form, drop a pin, choose a category, submit, see the tracking page with code and SKPD."""
    page.goto(live_server + "/")
    page.wait_for_selector("#map[data-outlines='4']")  # kelurahan outlines drawn: the map works offline
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.75)  # inside Kelurahan A
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan')")
    page.select_option("#category", "jalan-rusak")
    page.wait_for_function("document.getElementById('routing-hint').textContent.includes('Dinas PUPR')")
    page.fill("#description", "Jalan berlubang besar, <b>berbahaya</b> untuk motor")
    screenshot(page, "citizen-form")
    page.click("#submit")
    page.wait_for_url("**/lacak/BJM-*")
    assert page.locator("#tracking-code").inner_text().startswith("BJM-")
    assert "Dinas PUPR" in page.locator("#skpd").inner_text()
    assert "<b>berbahaya</b>" in page.content().replace("&lt;", "<").replace("&gt;", ">")
    assert page.locator("b", has_text="berbahaya").count() == 0  # shown as text, not as HTML
    screenshot(page, "citizen-tracking")
    assert page.external_requests == []


def test_submit_without_pin_is_stopped_in_the_browser(live_server, page):
    """Submitting with no pin keeps the citizen on the form with a message."""
    page.goto(live_server + "/")
    page.select_option("#category", "jalan-rusak")
    page.fill("#description", "Lampu mati")
    page.click("#submit")
    assert "Tandai lokasi" in page.locator("#where").inner_text()
    assert page.url.rstrip("/") == live_server


def test_public_map_shows_clustered_complaints(live_server, page, client):
    """The public map draws submitted complaints (clustered) with no script error and nothing external."""
    for i in range(3):
        client.post("/api/v1/complaints", json={"category": "jalan-rusak", "description": f"Lubang {i}",
                                                "lon": 114.51 + i * 0.001, "lat": -3.39})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/peta")
    page.wait_for_function("document.getElementById('count').textContent.startsWith('3')")
    assert errors == [] and page.external_requests == []


def test_a_confidential_category_hides_the_contact_fields_and_says_why(live_server, page, engine):
    """A confidential category keeps no reporter: the form stops asking for contact and says no news will come."""
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        page.goto(live_server + "/")
        assert page.locator("#contact").is_visible() and not page.locator("#confidential-contact").is_visible()
        page.select_option("#category", "lampu-jalan")
        assert not page.locator("#contact").is_visible() and not page.locator("#anonymous").is_visible()
        assert not page.locator("#contact-promise").is_visible()  # no "we will tell you each step"
        assert "tidak ada kabar" in page.locator("#confidential-contact").inner_text()
        page.select_option("#category", "jalan-rusak")
        assert page.locator("#contact").is_visible() and not page.locator("#confidential-contact").is_visible()
        assert page.locator("#contact-promise").is_visible()
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))
