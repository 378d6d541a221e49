"""A desk clerk in headless Chromium: opens a flagged ticket from the review queue, hides its photo, and the photo
is gone from the public tracking page a citizen has open."""
from __future__ import annotations

import io

import pytest

from tests.e2e.conftest import log_in, new_page, screenshot
from tests.fieldkit import jpeg_bytes, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def photo_ticket(client, engine):
    """A citizen report with a photo, pinned in the overlap of Kelurahan C and D (so it waits for review)."""
    make_user(engine, "meja@kominfo.test", "desk")
    r = client.post("/lapor", data={"category": "jalan-rusak", "description": "Jembatan kayu patah",
                                    "lon": "114.5197", "lat": "-3.37", "idempotency_key": "e2e-mod",
                                    "photos": (io.BytesIO(jpeg_bytes((120, 90))), "jembatan.jpg")},
                    content_type="multipart/form-data")
    return r.headers["Location"].split("/lacak/")[1].split("?")[0]


@pytest.fixture
def clerk(browser):
    """The clerk's own browser context (desktop-sized), next to the citizen's phone-sized `page`."""
    yield from new_page(browser, viewport={"width": 1200, "height": 900})


def test_a_clerk_hides_a_photo_and_it_disappears_from_the_public_tracking_page(live_server, page, clerk,
                                                                               photo_ticket):
    citizen = page
    citizen.goto(f"{live_server}/lacak/{photo_ticket}")
    photo = citizen.locator("img[src*='/api/v1/photos/']")
    photo.first.wait_for()
    src = photo.first.get_attribute("src")
    assert citizen.evaluate("s => fetch(s).then(r => r.status)", src) == 200

    log_in(clerk, live_server, "meja@kominfo.test", "**/desk/tinjau", next_path="/desk/tinjau")
    row = clerk.locator(f"#review-queue tr[data-code='{photo_ticket}']")
    assert "Kelurahan tumpang tindih" in row.inner_text()
    row.locator("a").click()
    clerk.wait_for_url(f"**/desk/aduan/{photo_ticket}/moderasi")
    clerk.locator("#photos .photo-form button").click()
    clerk.wait_for_selector(".flash.ok")
    assert "disembunyikan" in clerk.locator("#photos").inner_text()
    assert "Foto disembunyikan dari publik" in clerk.locator("#moderation-history").inner_text()
    screenshot(clerk, "desk-moderation-photo-hidden")

    citizen.reload()
    citizen.wait_for_selector("h1")
    assert citizen.locator("img[src*='/api/v1/photos/']").count() == 0
    assert citizen.evaluate("s => fetch(s, {cache: 'no-store'}).then(r => r.status)", src) == 404
    assert citizen.external_requests == [] and clerk.external_requests == []
