"""The planner map in headless Chromium: it loads, layers switch with their legends, nothing leaves localhost."""
from __future__ import annotations

import pytest

from tests import planner_data
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e
city_data = planner_data.city_data  # the fixture, by name


def _wait_for_layer(page, name: str) -> None:
    page.wait_for_function(f"window.plannerState && window.plannerState.layer === '{name}' "
                           "&& !window.plannerState.loading", timeout=30_000)


def test_planner_map_switches_layers_offline(live_server, page, city_data):
    """Hex bins show first; hotspots, kelurahan and heat replace them with their legends; no external request."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server + "/planner/")
    _wait_for_layer(page, "hexbins")
    assert page.evaluate("window.plannerState.features") > 0
    page.check("input[name=layer][value=hotspots]")
    _wait_for_layer(page, "hotspots")
    assert "Gi*" in page.inner_text(".legend")
    page.check("input[name=layer][value=choropleth]")
    _wait_for_layer(page, "choropleth")
    page.select_option("#measure", "per_1000")
    page.wait_for_function("document.querySelector('.legend').innerText.includes('Per 1.000 penduduk')")  # in words
    assert "tidak ada data" in page.inner_text(".legend")
    page.check("input[name=layer][value=heat]")
    _wait_for_layer(page, "heat")
    page.select_option("#measure", "count")
    page.check("input[name=layer][value=hotspots]")
    _wait_for_layer(page, "hotspots")
    screenshot(page, "planner-map")
    assert page.external_requests == []


def test_emerging_layer_month_slider(live_server, page, city_data):
    """The emerging layer loads and the month slider changes the shown month without a reload."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server + "/planner/")
    _wait_for_layer(page, "hexbins")
    page.check("input[name=layer][value=emerging]")
    _wait_for_layer(page, "emerging")
    before = page.evaluate("window.plannerState.requests")
    page.fill("#month", "3")
    page.dispatch_event("#month", "input")
    assert page.inner_text("#month-label") == page.evaluate("document.getElementById('planner-map')"
                                                           ".dataset.months.split(',')[3]")
    assert page.evaluate("window.plannerState.requests") == before
    assert page.external_requests == []


def test_performance_page_screenshot(live_server, page, city_data):
    """The SKPD performance page renders its charts and table."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/planner/performance?group=skpd")
    assert page.locator("svg.chart").count() >= 2
    # every column of the table, the city-wide row included, fits a 1280 px screen: nothing cut off on the right
    assert page.evaluate("(() => { const w = document.querySelector('.table-wrap');"
                         " return w.scrollWidth <= w.clientWidth; })()")
    assert page.locator("#city-row").is_visible() and "aduan" in page.inner_text("#statement-city")
    screenshot(page, "planner-performance")
    assert page.external_requests == []
