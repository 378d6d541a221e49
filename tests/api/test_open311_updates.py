"""Open311 servicerequestupdates both ways, as FixMyStreet's Open311 client uses it; media_url photos fetched by
the worker without server-side request forgery; the key in a header and out of the access log."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from sqlalchemy import text

from aduan import media
from aduan.accounts import load_account
from aduan.workflow import Change, apply
from app.access_log import redact
from tests.api.open311kit import BASE, count, created_id, make_key, post, read
from tests.fieldkit import make_user
from tests.mailkit import free_port

UPDATE_FIELDS = ["update_id", "service_request_id", "status", "updated_datetime", "description", "media_url",
                 "external_status_code"]


@pytest.fixture
def key(engine) -> str:
    return make_key(engine, "FixMyStreet Banjarmasin")


def _steps(engine, settings, code: str, *steps: tuple[str, str, bool]) -> None:
    uid = make_user(engine, "meja@kominfo.test", "admin")
    for action, note, public in steps:
        with engine.begin() as c:
            version = c.execute(text("SELECT version FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar()
            apply(c, settings, load_account(c, uid).user, code, Change(action, version, note=note, public=public))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_updates_list_every_step_with_fixmystreet_states(client, engine, settings, key, fmt):
    """Start and resolve appear with FixMyStreet's state names, the public note or the status in words, and our
    own status as external_status_code; a staff-only note never does."""
    code = created_id(client, key)
    _steps(engine, settings, code, ("start", "Tim berangkat", True), ("note", "internal", False),
           ("resolve", "rahasia", False))
    updates = read(client.get(f"{BASE}/servicerequestupdates.{fmt}"), fmt, "service_request_updates")
    assert [list(u) for u in updates] == [UPDATE_FIELDS] * 2
    started, resolved = updates
    assert (started["status"], started["description"], started["service_request_id"]) == (
        "IN_PROGRESS", "Tim berangkat", code)
    assert (resolved["status"], resolved["description"], resolved["external_status_code"]) == (
        "FIXED", "Selesai ditangani", "resolved")
    assert resolved["updated_datetime"].endswith("+08:00") and int(resolved["update_id"]) > int(started["update_id"])


def test_updates_are_filtered_by_start_and_end_date(client, engine, settings, key):
    """start_date..end_date bound the window; one without the other is a 400 in Open311's shape."""
    code = created_id(client, key)
    _steps(engine, settings, code, ("start", "mulai", True))
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()
    before = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).isoformat()
    assert client.get(f"{BASE}/servicerequestupdates.json",
                      query_string={"start_date": past, "end_date": before}).get_json() == []
    now = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    assert len(client.get(f"{BASE}/servicerequestupdates.json",
                          query_string={"start_date": past, "end_date": now}).get_json()) == 1
    resp = client.get(f"{BASE}/servicerequestupdates.json", query_string={"start_date": past})
    assert resp.status_code == 400 and resp.get_json()[0]["code"] == 400


def test_confidential_requests_have_no_public_updates(client, engine, settings, key):
    """Updates of a confidential request are not listed."""
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'jalan-rusak'"))
    try:
        code = created_id(client, key)
        _steps(engine, settings, code, ("start", "mulai", True))
        assert client.get(f"{BASE}/servicerequestupdates.json").get_json() == []
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'jalan-rusak'"))


def _post_update(client, key, code, **fields):
    data = {"service_request_id": code, "description": "Masih berlubang, tolong dicek lagi", "status": "OPEN",
            "update_id": "fms-77", "email": "warga@contoh.id", "first_name": "Ani", "last_name": "Warga",
            "updated_datetime": dt.datetime.now(dt.UTC).isoformat()} | fields
    return client.post(f"{BASE}/servicerequestupdates.xml", data=data, headers={"X-Api-Key": key} if key else {})


def test_a_citizen_update_from_the_front_end_is_kept_for_staff_once(client, engine, key):
    """POSTed twice with the same update_id: one staff-only reply, and the same update_id answered both times."""
    code = created_id(client, key)
    first = read(_post_update(client, key, code), "xml", "service_request_updates")
    again = read(_post_update(client, key, code), "xml", "service_request_updates")
    assert first == again and first[0]["update_id"].isdigit()
    with engine.connect() as c:
        rows = c.execute(text("SELECT public, actor_label, note FROM complaint_event WHERE kind = 'note'")).all()
    assert rows == [(False, "warga via FixMyStreet Banjarmasin", "Masih berlubang, tolong dicek lagi")]
    assert "warga@contoh.id" not in str(client.get(f"{BASE}/servicerequestupdates.json").get_json())


def test_posting_an_update_needs_a_valid_key(client, key):
    """No key or a wrong one: 403 in Open311's shape."""
    code = created_id(client, key)
    assert _post_update(client, None, code).status_code == 403
    assert _post_update(client, "pa_wrong_key", code).status_code == 403


def test_an_update_for_a_code_typed_by_hand_reaches_its_request(client, engine, key):
    code = created_id(client, key)
    assert _post_update(client, key, code.lower().replace("-", " ")).status_code == 200
    with engine.connect() as c:
        assert c.execute(text("SELECT c.tracking_code FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id "
                              "WHERE e.kind = 'note'")).scalars().all() == [code]


def test_an_update_for_an_unknown_request_is_404(client, key):
    assert _post_update(client, key, "BJM-0000-XXXXXX").status_code == 404


def test_the_key_may_come_as_a_bearer_header(client, key):
    """Authorization: Bearer carries the key as well as api_key (which then stays out of URLs)."""
    resp = post(client, None, headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200 and resp.get_json()[0]["service_request_id"]


def test_keys_are_redacted_from_access_log_lines():
    """A request line with api_key= is logged without the key."""
    line = 'GET /open311/v2/requests.json?jurisdiction_id=bjm&api_key=pa_1234_secret&x=1 HTTP/1.1'
    assert redact(line) == 'GET /open311/v2/requests.json?jurisdiction_id=bjm&api_key=[redacted]&x=1 HTTP/1.1'


# --- media_url ---------------------------------------------------------------------------------------------

def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def photo_server():
    """A loopback HTTP server: /ok.jpg is a JPEG, /moved redirects, /page.html is not an image."""
    port = free_port()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{port}/ok.jpg")
                self.end_headers()
                return
            body, kind = (_jpeg(), "image/jpeg") if self.path == "/ok.jpg" else (b"<html></html>", "text/html")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def _media(engine) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text("SELECT * FROM remote_media ORDER BY id")).mappings()]


def test_a_media_url_is_fetched_by_the_worker_and_attached(client, engine, settings, key, photo_server):
    """The request is created at once; the worker fetches the photo (an allowed address) and attaches it."""
    code = created_id(client, key, media_url=f"{photo_server}/ok.jpg")
    assert [m["status"] for m in _media(engine)] == ["pending"]
    allowed = dataclasses.replace(settings, media_allow="127.0.0.1/32")
    assert media.fetch_pending(engine, allowed) == 1
    assert _media(engine)[0]["status"] == "done"
    [req] = client.get(f"{BASE}/requests/{code}.json").get_json()
    assert req["media_url"] and client.get(req["media_url"].replace("http://localhost", "")).mimetype == "image/jpeg"


@pytest.mark.parametrize("path,reason", [("/ok.jpg", "private, loopback"), ("/moved", "302"),
                                         ("/page.html", "not an image")])
def test_media_urls_that_must_not_or_cannot_be_fetched_are_refused(client, engine, settings, key, photo_server,
                                                                  path, reason):
    """Loopback without an allowance (SSRF), a redirect, a page that is no image: failed, noted for staff, and the
    request itself stands."""
    code = created_id(client, key, media_url=f"{photo_server}{path}")
    conf = settings if path == "/ok.jpg" else dataclasses.replace(settings, media_allow="127.0.0.0/8")
    assert media.fetch_pending(engine, conf) == 0
    for _ in range(media.MAX_ATTEMPTS):  # a broken fetch is retried a few rounds, then given up
        media.fetch_pending(engine, conf)
    [row] = _media(engine)
    assert row["status"] == "failed" and reason in row["last_error"]
    assert count(engine, "SELECT count(*) FROM complaint WHERE tracking_code = :c", c=code) == 1
    assert count(engine, "SELECT count(*) FROM complaint_event WHERE kind = 'note' AND NOT public") == 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://127.0.0.1/", "http://169.254.169.254/latest/"])
def test_other_schemes_and_metadata_addresses_are_never_fetched(settings, url):
    """Only http(s), and never link-local cloud metadata addresses."""
    with pytest.raises(media.FetchRefused):
        media.safe_fetch(url, settings)


def test_a_slow_url_never_holds_up_the_request(client, engine, key):
    """Creating a request with a media_url does not contact it: the URL is only queued."""
    dead = f"http://10.255.255.1:{free_port()}/x.jpg"  # unroutable: a fetch during the request would hang
    started = dt.datetime.now()
    created_id(client, key, media_url=dead)
    assert (dt.datetime.now() - started).total_seconds() < 5 and _media(engine)[0]["status"] == "pending"
