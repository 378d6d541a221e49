"""A web map on another origin draws the tiles: MapLibre GL in headless Chromium, served from a port of its own,
reads /tiles/complaints.json (TileJSON) and the vector tiles it names across origins (CORS), and renders the
complaints. With the origin not allowed (PETA_CORS_ORIGINS), the browser refuses and nothing is drawn."""
from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app import create_app
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, new_page, serve
from tests.fieldkit import make_tickets

pytestmark = pytest.mark.e2e
WEBMAP = Path(__file__).parent / "webmap"
# WebGL in headless Chromium without a GPU: the software rasteriser.
WEBGL_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


@pytest.fixture
def other_origin():
    """The web map's own little server on another port (another origin)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(WEBMAP))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def webgl_browser(playwright_driver):
    """A Chromium of its own with the software WebGL rasteriser, on the session's one Playwright driver."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + WEBGL_ARGS)
    yield b
    b.close()


@pytest.fixture
def tickets(engine, settings):
    return make_tickets(engine, settings, [
        (114.5100, -3.3900, "jalan-rusak", "Lubang di depan pasar", "2026-11-20 09:00", "new"),
        (114.5250, -3.3850, "sampah", "Sampah menumpuk di tepi sungai", "2026-11-21 09:00", "in_progress"),
    ])


def _draw(browser, map_origin: str, tiles_origin: str) -> dict:
    page = next(new_page(browser, viewport={"width": 1200, "height": 800}))
    query = urlencode({"tilejson": f"{tiles_origin}/tiles/complaints.json", "lon": 114.5175, "lat": -3.3875,
                       "zoom": 15})  # raw points from zoom 15 (binned counts below)
    page.goto(f"{map_origin}/index.html?{query}")
    page.wait_for_function("window.webmap && (window.webmap.drawn !== undefined || window.webmap.errors.length)",
                           timeout=30_000)
    page.wait_for_timeout(500)
    return page.evaluate("window.webmap")


def test_maplibre_on_another_origin_draws_the_complaint_tiles(app, webgl_browser, other_origin, tickets):
    with serve(app) as tiles_origin:
        state = _draw(webgl_browser, other_origin, tiles_origin)
    assert state["errors"] == [] and sorted(set(state["drawn"])) == sorted(tickets)


def test_an_origin_not_allowed_draws_nothing(engine, settings, webgl_browser, other_origin, tickets):
    """PETA_CORS_ORIGINS names one partner; a map elsewhere gets no CORS header and MapLibre cannot read the tiles."""
    only = dataclasses.replace(settings, cors_origins="https://peta.mitra.example")
    strict = create_app({"SETTINGS": only, "TESTING": True, "SECRET_KEY": "test-secret"})
    with serve(strict) as tiles_origin:
        state = _draw(webgl_browser, other_origin, tiles_origin)
    strict.extensions["db_engine"].dispose()
    assert not state.get("drawn") and state["errors"]
