"""Browser tests: the real app served on localhost, driven in Debian's headless Chromium by Playwright.

No test downloads a browser: Chromium comes from the system package (`make test` installs it as root).
Every request the page makes outside 127.0.0.1 is recorded so tests can assert that nothing leaves localhost.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
# Test runs write screenshots under var/ (not tracked); `make screenshots` writes the README's into docs/.
SCREENSHOTS = Path(os.environ.get("PETA_SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextmanager
def serve(application) -> Iterator[str]:
    """Serve a Flask app on a free localhost port in a thread."""
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app on a free localhost port for the duration of one test."""
    with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the session: its sync API allows only one at a time, so every browser uses it."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: run `make test` (as root it installs the 'chromium' package).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """One headless Chromium for the session."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (phone-sized) that records requests leaving localhost."""
    yield from new_page(browser)


def new_page(browser, viewport: dict | None = None, bypass_csp: bool = True):
    """A page in a fresh context that records every request leaving localhost in `page.external_requests`.

    Playwright evaluates `wait_for_function` strings with eval, which our Content-Security-Policy forbids, so
    tests bypass the policy by default; tests/e2e/test_csp.py opens the pages under it."""
    context = browser.new_context(viewport=viewport or {"width": 412, "height": 860}, device_scale_factor=1,
                                  locale="id-ID", bypass_csp=bypass_csp)
    pg = context.new_page()
    pg.external_requests = []

    def _watch(request):
        url = request.url
        if not url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            pg.external_requests.append(url)

    pg.on("request", _watch)
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot (var/screenshots/NAME.png, or PETA_SCREENSHOTS_DIR)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def log_in(page, base: str, email: str, lands_on: str | None, next_path: str | None = None) -> None:
    """Log in through the real form (password: tests.fieldkit.PASSWORD) and wait to land on `lands_on` (a URL
    glob; None: the page has loaded, wherever it is)."""
    from tests.fieldkit import PASSWORD

    page.goto(base + "/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    if lands_on is None:
        page.wait_for_load_state()
    else:
        page.wait_for_url(lands_on)
