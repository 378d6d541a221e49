"""XSS payloads in every field a citizen, a reply or an officer can write, opened on every page that shows them in
headless Chromium — with the Content-Security-Policy bypassed, so what is tested is the escaping itself (the policy
is a second wall, tested in test_csp.py). No payload runs; each is shown as the text that was typed."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from aduan.accounts import load_account
from aduan.workflow import Change, apply
from tests.e2e.conftest import log_in
from tests.fieldkit import make_user

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<script>window.__xss=(window.__xss||[]).concat('script')</script>",
    '"><img src=x onerror="window.__xss=(window.__xss||[]).concat(\'img\')">',
    "'><svg/onload=window.__xss=(window.__xss||[]).concat('svg')>",
    "</script><script>window.__xss=(window.__xss||[]).concat('json')</script>",
    "javascript:window.__xss=(window.__xss||[]).concat('href')",
    "<a href=\"javascript:window.__xss=1\" id=\"xss-link\">klik</a><iframe srcdoc=\"<script>parent.__xss=1</script>\">",
]
HERE = {"longitude": 114.51, "latitude": -3.39, "accuracy": 8}


def _payload(i: int) -> str:
    return f"Jalan rusak {i} " + PAYLOADS[i % len(PAYLOADS)]


@pytest.fixture
def hostile(app, client, engine, settings):
    """Tickets whose description, address, reporter name, reply and public staff note are all payloads."""
    codes = []
    for i in range(len(PAYLOADS)):
        r = client.post("/api/v1/complaints", json={
            "category": "jalan-rusak", "description": _payload(i), "address": PAYLOADS[(i + 1) % len(PAYLOADS)],
            "name": PAYLOADS[(i + 2) % len(PAYLOADS)], "email": f"warga{i}@contoh.id", "anonymous": False,
            "lon": 114.51 + i * 0.0002, "lat": -3.39})
        assert r.status_code == 201, r.get_json()
        codes.append(r.get_json()["tracking_code"])
    uid = make_user(engine, "andi@pupr.test", "officer", "PUPR")
    with engine.begin() as c:
        token = c.execute(text("SELECT r.token FROM reporter r JOIN complaint c ON c.reporter_id = r.id "
                               "WHERE c.tracking_code = :c"), {"c": codes[0]}).scalar_one()
    assert client.post(f"/balas/{token}", data={"action": "reply", "note": PAYLOADS[3]}).status_code in (200, 303)
    with engine.begin() as c:
        user = load_account(c, uid).user
        for i, code in enumerate(codes):
            version = c.execute(text("SELECT version FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar()
            apply(c, settings, user, code, Change("start", version, note=PAYLOADS[(i + 3) % len(PAYLOADS)],
                                                  public=True))
    return {"codes": codes, "token": token}


def _watched(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def _assert_inert(page, dialogs: list[str], where: str) -> None:
    page.wait_for_timeout(200)  # let an onerror or onload handler have its chance
    assert page.evaluate("window.__xss === undefined"), (where, page.evaluate("window.__xss"))
    assert dialogs == [], where
    assert page.locator("#xss-link").count() == 0, where  # markup never became markup


def test_no_payload_runs_on_citizen_pages(live_server, page, hostile):
    """Tracking pages, the reporter's private page, the public map's popups and the duplicate list of the form."""
    dialogs = _watched(page)
    for code in hostile["codes"]:
        page.goto(f"{live_server}/lacak/{code}")
        page.wait_for_selector("h1")
        _assert_inert(page, dialogs, f"/lacak/{code}")
    assert "<script>window.__xss" in page.locator("body").inner_text() or "onerror" in page.locator("body").inner_text()
    page.goto(f"{live_server}/balas/{hostile['token']}")
    page.wait_for_selector("#reply-form")
    _assert_inert(page, dialogs, "/balas")
    assert PAYLOADS[0] in page.locator("body").inner_text()  # the reporter's own text, shown as typed

    page.goto(live_server + "/peta")
    page.wait_for_selector(".leaflet-interactive, .marker-cluster")
    for _ in range(4):  # open clusters until markers show, then every marker's popup
        clusters = page.locator(".marker-cluster")
        if clusters.count() == 0:
            break
        clusters.first.click()
        page.wait_for_timeout(400)
    for marker in page.locator("path.leaflet-interactive").all():
        marker.click(force=True)
        page.wait_for_selector(".leaflet-popup-content")
    _assert_inert(page, dialogs, "/peta popups")

    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    page.goto(live_server + "/")
    page.click("#locate")
    page.wait_for_function("document.querySelector('#category option[value=\"jalan-rusak\"]') && "
                           "!document.querySelector('#category option[value=\"jalan-rusak\"]').disabled")
    page.select_option("#category", "jalan-rusak")
    # the list is redrawn as the pin settles (location, then the nearest landmark): wait for its final text
    page.wait_for_function("document.getElementById('duplicates').innerText.includes('Jalan rusak')")
    _assert_inert(page, dialogs, "/ duplicates list")


def test_no_payload_runs_on_staff_pages(live_server, page, hostile):
    """The officer's nearby list and map, the queue, and the ticket page (reporter's name, reply, notes)."""
    dialogs = _watched(page)
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    log_in(page, live_server, "andi@pupr.test", "**/field/sekitar**")
    page.wait_for_selector("#ticket-list li")
    for marker in page.locator("path.leaflet-interactive").all():
        marker.click(force=True)
    _assert_inert(page, dialogs, "/field/sekitar")
    page.goto(live_server + "/field/antrian")
    page.wait_for_selector("#wall")
    _assert_inert(page, dialogs, "/field/antrian")
    for code in hostile["codes"]:
        page.goto(f"{live_server}/field/aduan/{code}")
        page.wait_for_selector("#update-form")
        _assert_inert(page, dialogs, f"/field/aduan/{code}")
    body = page.locator("body").inner_text()
    assert any(p in body for p in PAYLOADS)  # shown as text to the officer
