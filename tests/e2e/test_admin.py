"""An administrator in headless Chromium (with the Content-Security-Policy enforced) uploads a service-area file,
sees before saving which open ticket would move from which SKPD to which, with the new area drawn on the map;
nothing has changed yet. Saving with "also re-route" then moves the ticket."""
from __future__ import annotations

import json

import pytest
from shapely.geometry import mapping
from sqlalchemy import text

from tests.api.test_admin import WEST, city_restored  # noqa: F401 - the fixture restores the test city
from tests.e2e.conftest import log_in, new_page, screenshot
from tests.fieldkit import make_ticket, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def strict_admin(browser):
    """A desktop-sized page under the real policy (the assertions below need no eval)."""
    yield from new_page(browser, viewport={"width": 1200, "height": 900}, bypass_csp=False)


def _skpd_of(engine, code: str) -> str:
    with engine.connect() as c:
        return c.execute(text("SELECT s.code FROM complaint t JOIN skpd s ON s.id = t.skpd_id "
                              "WHERE t.tracking_code = :c"), {"c": code}).scalar_one()


def test_an_admin_previews_the_reroute_of_a_service_area_upload_then_saves_it(live_server, strict_admin, engine,
                                                                               settings, tmp_path):
    page = strict_admin
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    make_user(engine, "admin@kominfo.test", "admin")
    code = make_ticket(engine, settings)  # a road ticket in Kelurahan A: PUPR, the category's default
    upload = tmp_path / "dishub_barat.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": mapping(WEST),
        "properties": {"skpd": "DISHUB", "categories": "jalan-rusak,sampah", "name": "Dishub Barat"}}]}))

    log_in(page, live_server, "admin@kominfo.test", "**/admin/areas", next_path="/admin/areas")
    page.wait_for_selector("#area-map[data-current-count='2']")  # the test city's two areas in force
    page.set_input_files("#area-file", str(upload))
    page.click("#area-form button[type=submit]")
    page.wait_for_url("**/admin/areas/preview")
    page.wait_for_selector("#area-map[data-preview-count='1'][data-current-count='2']")
    row = page.locator(f"#reroute-preview tr[data-code='{code}']")
    cells = row.locator("td").all_inner_texts()
    assert cells[:3] == [code, "PUPR", "DISHUB"]
    assert page.locator("#move-count").inner_text() == "1"
    assert "Dishub Barat" in page.locator("#check-report").inner_text()
    screenshot(page, "admin-service-area-preview")
    assert _skpd_of(engine, code) == "PUPR"  # a preview writes nothing
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM service_area WHERE name = 'Dishub Barat'")).scalar_one() == 0

    page.check("#apply-reroute")
    page.click("#save-form button[type=submit]")
    page.wait_for_url("**/admin/areas")
    assert "1 aduan terbuka dialihkan ulang" in page.locator("main").inner_text()
    assert _skpd_of(engine, code) == "DISHUB"
    with engine.connect() as c:
        assert c.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars().all() == [
            "service_areas.replace", "complaints.reroute"]
    assert problems == [] and page.external_requests == []
