"""Find the place in headless Chromium: search a landmark, pick it with the keyboard, the pin goes there and the
landmark field says where it is; the pin placed and moved with the keyboard alone; names shown as text."""
from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from aduan import places
from tests.e2e.conftest import new_page, screenshot

pytestmark = pytest.mark.e2e
HOSTILE = "<img src=x onerror=\"window.__xss=1\">Gang Jahil"


@pytest.fixture
def patokan(engine):
    """Places in the test city (Pasar Lama in Kelurahan A), committed for the served app; removed afterwards."""
    rows = [{"name": "Pasar Lama", "kind": "pasar", "geometry": Point(114.510, -3.390)},
            {"name": "Pasar Baru", "kind": "pasar", "geometry": Point(114.530, -3.370)},
            {"name": HOSTILE, "kind": "gang", "geometry": Point(114.525, -3.365)}]
    with engine.begin() as c:
        places.load_places(c, pd.DataFrame(rows), source="e2e")
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM place"))


def _open_form(page, live_server) -> None:
    page.goto(live_server + "/")
    page.wait_for_selector("#map[data-outlines='4']")


def _pin(page) -> tuple[float, float]:
    return float(page.input_value("#lon")), float(page.input_value("#lat"))


def test_a_landmark_is_found_and_chosen_with_the_keyboard(live_server, page, patokan):
    """Type a misspelt landmark, ↓ and Enter: the pin is on it, the form not sent, the landmark field filled."""
    _open_form(page, live_server)
    page.click("#place-q")
    page.keyboard.type("pasar lma")
    page.wait_for_selector(".place-results li")
    assert page.locator(".place-results li").first.inner_text().startswith("Pasar Lama")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#place-q", "aria-activedescendant") == "place-search-opt-0"
    screenshot(page, "citizen-place-search")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('address').value.startsWith('dekat Pasar Lama')")
    assert _pin(page) == (114.51, -3.39)
    assert page.url.rstrip("/") == live_server  # Enter chose a place; it did not submit the complaint
    assert page.locator(".leaflet-marker-icon").count() == 1
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan A')")
    assert page.external_requests == []


def test_the_pin_is_placed_and_moved_with_the_keyboard_alone(live_server, page, patokan):
    """Focus the map, Enter: pin at the centre; → three times: the pin moves east, announced; the landmark
    field follows the pin while the user has not typed in it."""
    _open_form(page, live_server)
    page.focus("#map")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('lon').value !== ''")
    start = _pin(page)
    assert 114.50 < start[0] < 114.54 and -3.40 < start[1] < -3.36
    assert "tengah peta" in page.inner_text("#pin-status")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    moved = _pin(page)
    assert moved[0] > start[0] and moved[1] == pytest.approx(start[1], abs=1e-5)
    assert page.inner_text("#pin-status").startswith("Pin digeser ke timur")
    page.keyboard.press("Shift+ArrowDown")
    assert _pin(page)[1] < moved[1]
    page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan')")


def test_the_landmark_field_is_left_alone_once_the_user_typed_in_it(live_server, page, patokan):
    """After the user writes their own address, moving the pin no longer overwrites it."""
    _open_form(page, live_server)
    page.fill("#place-q", "pasar lama")
    page.wait_for_selector(".place-results li")
    page.press("#place-q", "Enter")
    page.wait_for_function("document.getElementById('address').value === 'dekat Pasar Lama'")
    page.focus("#map")
    page.keyboard.press("Shift+ArrowUp")  # 50 px north: tens of metres at this zoom
    page.wait_for_function("/^dekat Pasar Lama, \\d+ m$/.test(document.getElementById('address').value)")
    page.fill("#address", "Depan rumah no. 7")
    page.focus("#map")
    page.keyboard.press("Shift+ArrowUp")
    page.wait_for_function("document.getElementById('pin-status').textContent.startsWith('Pin: dekat')")
    assert page.input_value("#address") == "Depan rumah no. 7"


def test_place_names_are_shown_as_text(live_server, page, patokan):
    """A hostile place name appears as typed in the list and does not run."""
    _open_form(page, live_server)
    page.fill("#place-q", "gang jahil")
    page.wait_for_selector(".place-results li")
    assert page.locator(".place-results li").first.inner_text().startswith(HOSTILE)
    assert page.locator(".place-results img").count() == 0
    assert page.evaluate("window.__xss") is None


@pytest.fixture
def strict_page(browser):
    """A page with the Content-Security-Policy enforced."""
    yield from new_page(browser, bypass_csp=False)


def test_the_public_map_pans_to_a_kelurahan(live_server, strict_page, patokan):
    """On the public map under its Content-Security-Policy, choosing a kelurahan pans the map into it."""
    page, problems = strict_page, []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/peta")
    page.wait_for_selector("#map[data-outlines]")
    page.fill("#place-q", "kelurahan d")
    page.wait_for_selector(".place-results li")
    screenshot(page, "public-map-place-search")
    page.press("#place-q", "ArrowDown")
    page.press("#place-q", "Enter")
    page.wait_for_selector("#map[data-centre]")
    lon, lat = map(float, page.get_attribute("#map", "data-centre").split(","))
    assert 114.5195 < lon < 114.54 and -3.3795 < lat < -3.36  # inside Kelurahan D
    assert "Kelurahan D" in page.inner_text(".place-status")
    assert problems == [] and page.external_requests == []
