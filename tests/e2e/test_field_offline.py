"""The field officer without signal, in headless Chromium: the pages are an installable PWA whose service worker
keeps the officer's pages readable offline; an update made offline waits on the phone and arrives when the
connection returns; a stale one becomes a conflict that keeps the officer's text; nothing leaves localhost."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import text

from tests.e2e.conftest import log_in, new_page, screenshot
from tests.fieldkit import jpeg_bytes, make_tickets, make_user

pytestmark = pytest.mark.e2e
HERE = {"longitude": 114.51, "latitude": -3.39, "accuracy": 8}
RECENT = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()


@pytest.fixture
def codes(engine, settings):
    """A PUPR officer and two PUPR tickets in progress near Kelurahan A."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    return make_tickets(engine, settings, [
        (114.5104, -3.39, "jalan-rusak", "Lubang di depan pasar", RECENT, "in_progress"),
        (114.5130, -3.3885, "jalan-rusak", "Aspal mengelupas", RECENT, "in_progress"),
    ])


def _login(page, live_server, email="andi@pupr.test"):
    log_in(page, live_server, email, "**/field/**")


def _wait(page, script: str, timeout_s: float = 15) -> object:
    """Poll `script` (evaluated in the page) until it is truthy; works under the CSP, unlike wait_for_function."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"never true: {script}")


def _controlled(page) -> None:
    """Wait until the service worker controls the page and has kept what the page was built from."""
    _wait(page, "navigator.serviceWorker.ready.then(r => !!r.active)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()  # the page's load raced the worker's activation: the next load is controlled
    _wait(page, "!!navigator.serviceWorker.controller")
    _wait(page, "caches.keys().then(k => k.some(n => n.startsWith('peta-user-')))")


def _open_ticket_online(page, live_server, code):
    page.goto(f"{live_server}/field/aduan/{code}")
    _controlled(page)
    page.reload()  # now through the worker: the page and its assets are in its caches
    page.wait_for_selector("#update-form")


def _ticket(engine, code) -> dict:
    with engine.connect() as c:
        return dict(c.execute(text(
            "SELECT c.status, c.version, (SELECT count(*) FROM complaint_event e WHERE e.complaint_id = c.id "
            "AND e.kind = 'status' AND e.to_status = 'resolved') AS resolved_events, "
            "(SELECT count(*) FROM attachment a WHERE a.complaint_id = c.id AND a.role = 'after') AS after_photos "
            "FROM complaint c WHERE c.tracking_code = :c"), {"c": code}).mappings().one())


def _resolve_offline(page, note):
    page.select_option("#action", "resolve")
    page.fill("#note", note)
    page.set_input_files("#photo", files=[{"name": "sesudah.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.click("#submit-update")
    page.wait_for_selector("#queued-note")


def test_an_offline_resolution_with_photo_waits_on_the_phone_and_arrives_when_online(live_server, page, engine,
                                                                                      codes):
    """Offline: the update is queued (shown as waiting, nothing on the server); online: it arrives, once."""
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    _login(page, live_server)
    _open_ticket_online(page, live_server, codes[0])
    before = _ticket(engine, codes[0])

    page.context.set_offline(True)
    _resolve_offline(page, "Lubang sudah ditambal")
    assert page.locator("#outbox-waiting").inner_text() == "Menunggu dikirim (1)"
    assert codes[0] in page.locator("#outbox li[data-state='waiting']").inner_text()
    screenshot(page, "field-offline-queued")
    time.sleep(1)
    assert _ticket(engine, codes[0]) == before  # nothing reached the server

    page.goto(f"{live_server}/field/sekitar")  # another page while offline: still waiting, still shown
    page.wait_for_selector("#outbox-waiting")
    assert page.locator("#outbox-waiting").inner_text() == "Menunggu dikirim (1)"

    page.context.set_offline(False)
    _wait(page, "!document.getElementById('outbox-waiting')")
    after = _ticket(engine, codes[0])
    assert (after["status"], after["resolved_events"], after["after_photos"]) == ("resolved", 1, 1)
    assert after["version"] == before["version"] + 1
    assert page.external_requests == []


def test_a_page_fetched_before_the_worker_knew_the_officer_is_kept_for_the_officer_it_names(live_server, page,
                                                                                          codes):
    """The first navigation after login can reach the worker before the page has told it who is logged in (a CI
    run saw it, and a reload can cut that message off): the answer names its officer (X-Peta-User), so the worker
    keeps it in that officer's cache at once, and it opens offline."""
    _login(page, live_server)
    page.goto(f"{live_server}/field/sekitar")
    _controlled(page)
    page.evaluate("""new Promise(ok => { const ch = new MessageChannel(); ch.port1.onmessage = () => ok();
        navigator.serviceWorker.controller.postMessage({type: 'user', user: ''}, [ch.port2]); })""")  # forgets
    page.goto(f"{live_server}/field/aduan/{codes[1]}")  # fetched through the worker while it knows nobody
    page.wait_for_selector("#update-form")
    _wait(page, "caches.keys().then(ks => Promise.all(ks.filter(k => k.startsWith('peta-user-')).map(k => "
                "caches.open(k).then(c => c.match(location.href))))).then(hits => hits.some(Boolean))")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#update-form")
    assert codes[1] in page.content()


def test_a_stale_offline_update_becomes_a_conflict_that_keeps_the_officers_text(live_server, page, engine, codes):
    """Someone changes the ticket while the officer is offline: the 409 is shown with their text and a link to
    the ticket's latest state, where the text is back in the form; nothing was applied."""
    _login(page, live_server)
    _open_ticket_online(page, live_server, codes[0])
    page.context.set_offline(True)
    _resolve_offline(page, "Sudah ditambal, tulisan saya")
    with engine.begin() as c:  # meanwhile, at the office, another change to the same ticket
        c.execute(text("UPDATE complaint SET version = version + 1 WHERE tracking_code = :c"), {"c": codes[0]})
    version = _ticket(engine, codes[0])["version"]

    page.context.set_offline(False)
    page.wait_for_selector("#outbox li[data-state='conflict']")
    item = page.locator("#outbox li[data-state='conflict']")
    assert "Konflik" in item.inner_text() and "Sudah ditambal, tulisan saya" in item.inner_text()
    assert page.locator("#outbox-waiting").count() == 0
    assert page.locator("#outbox-stuck").inner_text() == "Perlu ditinjau (1)"
    screenshot(page, "field-offline-conflict")
    row = _ticket(engine, codes[0])
    assert (row["status"], row["version"], row["after_photos"]) == ("in_progress", version, 0)

    item.locator("a.resubmit").click()
    page.wait_for_selector("#restored-note")
    assert page.input_value("#note") == "Sudah ditambal, tulisan saya"
    assert page.input_value("#action") == "resolve"
    assert page.input_value("input[name=version]") == str(version)  # the latest state's version


def test_pages_visited_once_are_readable_offline_and_the_nearby_list_too(live_server, page, engine, codes):
    """After one visit, reloading while offline shows the ticket and the last nearby list from the cache."""
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    _login(page, live_server)
    page.wait_for_selector("#ticket-list li")
    _controlled(page)
    page.reload()
    page.wait_for_selector("#ticket-list li")
    _open_ticket_online(page, live_server, codes[1])

    page.context.set_offline(True)
    answer = page.reload()
    assert answer.headers.get("x-peta-offline") == "1"  # the worker's copy, not the network
    assert page.locator(".ticket-head .code").inner_text() == codes[1]
    page.wait_for_selector("#outbox .offline-note")
    assert page.goto(f"{live_server}/field/sekitar").headers.get("x-peta-offline") == "1"
    page.wait_for_selector("#ticket-list li")
    shown = page.locator("#ticket-list li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert set(shown) == set(codes)
    screenshot(page, "field-offline-nearby")


def test_logging_out_deletes_the_cached_staff_pages(live_server, page, engine, codes):
    """Logout clears every user cache (and the last position) first, so the next user of the phone gets nothing of
    the last one's."""
    _login(page, live_server)
    _open_ticket_online(page, live_server, codes[0])
    page.evaluate("localStorage.setItem('peta.field.lastPosition', '[114.51, -3.39]')")
    page.click("form.navform button")
    page.wait_for_url("**/login**")
    assert page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('peta-user-')))") == []
    assert page.evaluate("localStorage.getItem('peta.field.lastPosition')") is None
    page.context.set_offline(True)
    page.goto(f"{live_server}/field/aduan/{codes[0]}")
    assert codes[0] not in page.content() and "Luring" in page.content()


def test_the_ticket_and_nearby_list_offer_a_geo_link_to_the_phones_maps_app(live_server, page, engine, codes):
    """geo:LAT,LON?q=LAT,LON(CODE) on the ticket page and on each nearby row; OpenStreetMap beside it."""
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation(HERE)
    _login(page, live_server)
    row = page.locator(f"#ticket-list li[data-code='{codes[0]}']")
    row.wait_for()
    want = f"geo:-3.390000,114.510400?q=-3.390000,114.510400({codes[0]})"
    assert row.locator("a.geo").get_attribute("href") == want
    page.goto(f"{live_server}/field/aduan/{codes[0]}")
    assert page.locator(".ticket-head a.geo").get_attribute("href") == want
    assert "mlat=-3.390000&mlon=114.510400" in page.locator(".ticket-head a.osm").get_attribute("href")


def test_nearby_without_gps_starts_at_the_city_centre_then_at_the_last_position(live_server, page, engine, codes):
    """No geolocation permission: the list and map start at the centre of the city's outlines; once the officer
    has tapped a point, the next visit starts there."""
    _login(page, live_server)
    page.wait_for_selector("#where[data-start='city']")
    lon, lat = float(page.input_value("input[name=lon]")), float(page.input_value("input[name=lat]"))
    bounds = page.evaluate("fetch(PETA.outlines).then(r => r.json())")
    xs = [x for f in bounds["features"] for ring in _rings(f["geometry"]) for x, _ in ring]
    ys = [y for f in bounds["features"] for ring in _rings(f["geometry"]) for _, y in ring]
    assert abs(lon - (min(xs) + max(xs)) / 2) < 1e-4 and abs(lat - (min(ys) + max(ys)) / 2) < 1e-4
    page.wait_for_selector("#nearby-status:has-text('aduan dalam')")

    page.evaluate("localStorage.setItem('peta.field.lastPosition', JSON.stringify([114.5104, -3.39]))")
    page.goto(f"{live_server}/field/sekitar")
    page.wait_for_selector(f"#ticket-list li[data-code='{codes[0]}']")
    assert page.input_value("input[name=lon]") == "114.510400"
    assert "Posisi terakhir" in page.locator("#where").inner_text()


def _rings(geometry: dict) -> list:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def test_the_pwa_installs_under_the_content_security_policy(live_server, browser, engine, codes, client):
    """Under the enforced policy the worker registers with scope /field/ and the manifest names the app."""
    problems: list[str] = []
    for strict in new_page(browser, bypass_csp=False):
        strict.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        _login(strict, live_server)
        _controlled(strict)
        assert strict.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == live_server + "/field/"
        href = strict.locator("link[rel=manifest]").get_attribute("href")
        manifest = json.loads(client.get(href).get_data(as_text=True))
        assert manifest["start_url"] == "/field/sekitar" and manifest["theme_color"] == "#0b6e4f"
        for icon in manifest["icons"]:
            assert client.get(icon["src"]).status_code == 200
        assert problems == []
    sw = client.get("/field/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript" and "no-cache" in sw.headers["Cache-Control"]


def test_planner_pages_show_logout_only_when_logged_in(live_server, page, engine):
    """An anonymous visitor of the planner pages sees no logout; a logged-in planner does, and it works."""
    page.goto(live_server + "/planner/")
    assert page.locator("form.navform").count() == 0
    make_user(engine, "rina@bappeda.test", "planner")
    _login_any(page, live_server, "rina@bappeda.test")
    page.goto(live_server + "/planner/")
    page.click("form.navform button")
    page.wait_for_url("**/login**")
    page.goto(live_server + "/planner/")
    assert page.locator("form.navform").count() == 0


def _login_any(page, live_server, email):
    log_in(page, live_server, email, None)


def test_after_a_logout_an_answer_naming_the_old_officer_is_not_kept(live_server, page, codes):
    """A request that left before the logout can come back naming the officer who just logged out: the worker
    takes no one's name from an answer after a logout, so nothing of theirs is kept again for the next user."""
    _login(page, live_server)
    _open_ticket_online(page, live_server, codes[0])
    page.evaluate("""new Promise(ok => { const ch = new MessageChannel(); ch.port1.onmessage = () => ok();
        navigator.serviceWorker.controller.postMessage({type: 'logout'}, [ch.port2]); })""")  # the cookie stays
    assert page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('peta-user-')))") == []
    named = page.evaluate(f"fetch('/field/aduan/{codes[1]}').then(r => r.headers.get('X-Peta-User'))")
    assert named  # the answer did name the officer, through the worker
    time.sleep(1)  # what the worker would have stored, it stores within milliseconds
    assert page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('peta-user-')))") == []


def test_another_user_on_the_same_phone_gets_neither_the_cached_pages_nor_the_waiting_updates(live_server, page,
                                                                                               engine, codes):
    """Officer A's session ends without logout; officer B logs in: A's cache is deleted, A's queued update is
    neither shown to B nor sent as B, and stays for A."""
    b_id = make_user(engine, "budi@pupr.test", "officer", "PUPR")
    _login(page, live_server)
    _open_ticket_online(page, live_server, codes[0])
    page.context.set_offline(True)
    _resolve_offline(page, "Tulisan petugas A")
    a_caches = page.evaluate("caches.keys().then(k => k.filter(n => n.startsWith('peta-user-')))")
    assert len(a_caches) == 1 and a_caches != [f"peta-user-{b_id}"]
    page.context.clear_cookies()  # A's session is gone, the phone is not
    page.goto("about:blank")
    page.context.set_offline(False)
    _login(page, live_server, "budi@pupr.test")
    _wait(page, f"caches.keys().then(k => !k.some(n => n.startsWith('peta-user-') && n !== 'peta-user-{b_id}'))")
    page.wait_for_selector("#nearby-status:has-text('aduan dalam')")
    assert page.locator("#outbox-waiting").count() == 0
    time.sleep(2.5)  # past the first retry
    row = _ticket(engine, codes[0])
    assert (row["status"], row["resolved_events"]) == ("in_progress", 0)
    stored = page.evaluate("""new Promise(ok => { const r = indexedDB.open('peta-field');
        r.onsuccess = () => { const g = r.result.transaction('outbox').objectStore('outbox').getAll();
        g.onsuccess = () => ok(g.result.map(x => x.note)); }; })""")
    assert stored == ["Tulisan petugas A"]


def test_without_javascript_the_list_links_to_maps_and_the_form_still_posts(live_server, browser, engine, codes):
    """Progressive enhancement: with JavaScript off the server-drawn nearby rows carry the geo: link and the update
    form posts as a plain form (no outbox, no worker)."""
    context = browser.new_context(java_script_enabled=False, locale="id-ID")
    try:
        page = context.new_page()
        _login(page, live_server)
        page.goto(f"{live_server}/field/sekitar?lon=114.51&lat=-3.39")
        href = page.locator(f"#ticket-list li[data-code='{codes[0]}'] a.geo").get_attribute("href")
        assert href == f"geo:-3.390000,114.510400?q=-3.390000,114.510400({codes[0]})"
        page.goto(f"{live_server}/field/aduan/{codes[0]}")
        page.select_option("#action", "note")
        page.fill("#note", "Dicek tanpa JavaScript")
        page.click("#submit-update")
        page.wait_for_selector(".flash.ok")
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id "
                                  "WHERE c.tracking_code = :c AND e.note = 'Dicek tanpa JavaScript'"),
                             {"c": codes[0]}).scalar_one() == 1
    finally:
        context.close()
