"""The main pages on the Banjarmasin demo city, in headless Chromium: what a visitor of `make run` sees.

A scratch database gets the real migrations and `seed-demo` (52 synthetic kelurahan, a few thousand complaints);
the README's screenshots come from here (`make screenshots`).
"""
from __future__ import annotations

import pytest

from aduan.accounts import create_user
from aduan.settings import Settings
from app import create_app
from tests.conftest import scratch_database
from tests.e2e.conftest import log_in, new_page, screenshot, serve

pytestmark = pytest.mark.e2e
PASSWORD = "rahasia-petugas-123"
PEKAUMAN = {"longitude": 114.5897, "latitude": -3.3328, "accuracy": 10}  # a dense central kelurahan


@pytest.fixture(scope="module")
def demo_url(database_url):
    """A scratch database with the demo city and an officer of Dinas PUPR."""
    with scratch_database(database_url, "demo") as scratch_url:
        app = create_app({"SETTINGS": Settings(database_url=scratch_url, secret_key="demo"), "TESTING": True})
        result = app.test_cli_runner().invoke(args=["seed-demo", "--complaints", "4000", "--seed", "3"])
        assert result.exit_code == 0, result.output
        with app.extensions["db_engine"].begin() as conn:
            create_user(conn, "petugas@pupr.demo", PASSWORD, "officer", "PUPR")
        app.extensions["db_engine"].dispose()
        yield scratch_url


@pytest.fixture(scope="module")
def demo_server(demo_url):
    app = create_app({"SETTINGS": Settings(database_url=demo_url, secret_key="demo"), "TESTING": True})
    with serve(app) as url:
        yield url
    app.extensions["db_engine"].dispose()


def test_citizen_form_on_the_demo_city(demo_server, browser):
    """52 kelurahan outlines draw offline; a pin in the centre names its kelurahan and the receiving SKPD."""
    for page in new_page(browser):
        page.goto(demo_server + "/")
        page.wait_for_selector("#map[data-outlines='52']")
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
        page.wait_for_function("document.getElementById('where').textContent.includes('Kelurahan')")
        page.select_option("#category", "jalan-rusak")
        page.wait_for_function("document.getElementById('routing-hint').textContent.includes('Dinas')")
        page.fill("#description", "Jalan berlubang dalam di depan pasar, berbahaya untuk motor.")
        page.locator("#map").scroll_into_view_if_needed()
        screenshot(page, "demo-citizen-form")
        assert page.external_requests == []


def test_field_officer_sees_nearby_demo_tickets(demo_server, browser):
    """An officer of Dinas PUPR logs in and sees open tickets near Pekauman, nearest first."""
    for page in new_page(browser):
        page.context.grant_permissions(["geolocation"], origin=demo_server)
        page.context.set_geolocation(PEKAUMAN)
        log_in(page, demo_server, "petugas@pupr.demo", "**/field/sekitar**")
        page.wait_for_selector("#ticket-list li")
        page.wait_for_selector("#map[data-outlines='52']")
        distances = page.locator("#ticket-list li .dist").evaluate_all("els => els.map(e => parseInt(e.textContent))")
        assert distances and distances == sorted(distances)
        screenshot(page, "demo-field-nearby")
        assert page.external_requests == []


def test_planner_hotspots_on_the_demo_city(demo_server, browser):
    """The planner map computes Gi* hotspots for the demo history and shows significant cells."""
    for page in new_page(browser, {"width": 1280, "height": 800}):
        page.goto(demo_server + "/planner/")
        page.wait_for_function("window.plannerState && window.plannerState.layer === 'hexbins' "
                               "&& !window.plannerState.loading", timeout=60_000)
        page.check("input[name=layer][value=hotspots]")
        page.wait_for_function("window.plannerState.layer === 'hotspots' && !window.plannerState.loading",
                               timeout=60_000)
        assert page.evaluate("window.plannerState.features") > 0
        screenshot(page, "demo-planner-map")
        assert page.external_requests == []
