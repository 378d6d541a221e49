"""The pages work under their Content-Security-Policy: opened in Chromium with the policy enforced, no page
breaks it (no violation, no script error) and the maps still draw."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import new_page
from tests.fieldkit import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def strict_page(browser):
    yield from new_page(browser, bypass_csp=False)


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    return problems


@pytest.mark.parametrize("path,ready", [("/", "#map[data-outlines]"), ("/peta", "#map[data-outlines]"),
                                        ("/lacak", "#code"), ("/planner/", ".leaflet-container")])
def test_public_pages_run_under_the_policy(live_server, strict_page, path, ready):
    """Scripts, styles and the Leaflet map all load from this server; nothing is blocked."""
    problems = _watch(strict_page)
    strict_page.goto(live_server + path)
    strict_page.wait_for_selector(ready)
    assert problems == [] and strict_page.external_requests == []


def test_the_field_pages_run_under_the_policy(live_server, strict_page, engine, client):
    """An officer's nearby page loads its map and list without a violation."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    problems = _watch(strict_page)
    strict_page.goto(live_server + "/login")
    strict_page.fill("#email", "andi@pupr.test")
    strict_page.fill("#password", "rahasia-petugas-123")
    strict_page.click("button[type=submit]")
    strict_page.wait_for_url("**/field/sekitar**")
    strict_page.wait_for_selector(".leaflet-container")
    assert problems == []
