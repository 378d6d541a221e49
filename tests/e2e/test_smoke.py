"""The browser harness works: a page renders from localhost with vendored Leaflet and nothing external."""
import pytest

pytestmark = pytest.mark.e2e


def test_home_page_loads_leaflet_from_static(live_server, page):
    """The home page loads Leaflet from /static and makes no request outside localhost."""
    page.goto(live_server + "/")
    assert page.evaluate("typeof L") == "object"
    assert page.external_requests == []
