"""The one error table: each kind of domain error has one status, and every blueprint answers it in its shape."""
from __future__ import annotations

import pytest

from aduan.errors import Conflict, DomainError, Forbidden, NotFound, TooManyRequests, Unauthorized
from aduan.photos import PhotoError
from aduan.settings import Settings
from aduan.workflow import StaleUpdate
from app import create_app
from app.errors import STATUS, status_of
from geo.boundaries import BoundaryFileError
from geo.routing import OutsideCityError, RoutingError

DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@pytest.mark.parametrize("err,status", [
    (DomainError("a", "a"), 400), (NotFound("a", "a"), 404), (Forbidden("a", "a"), 403),
    (Unauthorized("a", "a"), 401), (Conflict("a", "a"), 409), (TooManyRequests("a", "a"), 429),
    (StaleUpdate("a", "a"), 409), (PhotoError("a", "a"), 400), (RoutingError("a", "a"), 400),
    (OutsideCityError("a", "a"), 422), (BoundaryFileError("a", "a"), 400),
])
def test_every_domain_error_has_its_status_from_the_one_table(err, status):
    """Subclasses inherit their family's status: a stale update is a conflict, outside the city is a 422."""
    assert status_of(err) == status


def test_the_table_is_keyed_by_the_exception_family_only():
    """Everything in the table is a DomainError (geo's and the workflow's errors included)."""
    assert all(issubclass(cls, DomainError) for cls in STATUS)
    assert issubclass(OutsideCityError, DomainError) and issubclass(StaleUpdate, DomainError)


@pytest.mark.parametrize("path,shape", [
    ("/api/v1/complaints/BJM-0000-XXXXXX", "problem"),
    ("/ogc/collections/nope", "ogc"),
    ("/open311/v2/requests/BJM-0000-XXXXXX.json", "open311"),
    ("/tiles/nope/1/0/0.pbf", "problem"),
])
def test_one_not_found_many_shapes(client, path, shape):
    """The same NotFound is a 404 everywhere; the blueprint only picks the body's shape."""
    resp = client.get(path)
    assert resp.status_code == 404
    body = resp.get_json()
    if shape == "problem":
        assert resp.mimetype == "application/problem+json" and body["title"] == "not_found"
        assert body["detail"] and body["detail_en"]
    elif shape == "ogc":
        assert body["code"] == "NotFound" and body["description"] and body["description_en"]
    else:
        assert body[0]["code"] == 404 and body[0]["description"]


def test_method_not_allowed_names_the_allowed_methods(client):
    """A 405 says which methods the resource takes (the Allow header)."""
    resp = client.delete("/api/v1/categories")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/categories", "/ogc/collections", "/api/v1/complaints/BJM-2611-AAAAAA"])
def test_unreachable_database_is_503_with_retry_after(engine, path):
    """With the database away the JSON API and OGC answer 503 with a bilingual message and Retry-After."""
    app = create_app({"SETTINGS": Settings(database_url=DOWN, secret_key="x"), "TESTING": True})
    resp = app.test_client().get(path)
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
    body = resp.get_json()
    text = body.get("detail") or body.get("description")
    assert "tidak tersedia" in text


def test_citizen_pages_answer_a_database_outage_with_a_page(engine):
    """A citizen posting the form while the database is away gets a bilingual 503 page, not a bare 500."""
    app = create_app({"SETTINGS": Settings(database_url=DOWN, secret_key="x"), "TESTING": True})
    resp = app.test_client().post("/lapor", data={"category": "jalan-rusak", "description": "Jalan rusak parah",
                                                  "lon": "114.51", "lat": "-3.39"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.mimetype == "text/html" and "tidak tersedia" in page
    assert resp.headers["Retry-After"]


@pytest.mark.parametrize("path,accept", [("/", "text/html"), ("/api/v1/categories", "application/json")])
def test_an_error_no_handler_knows_is_a_bilingual_500(engine, settings, path, accept):
    """An exception nothing expected (a bug) still answers in both languages: a page for a browser, problem
    details for the API; the traceback goes to the log, not to the visitor."""
    app = create_app({"SETTINGS": settings, "TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    @app.before_request
    def fail():
        raise OverflowError("date value out of range")

    r = app.test_client().get(path, headers={"Accept": accept})
    body = r.get_data(as_text=True)
    assert r.status_code == 500 and "Kesalahan server" in body and "Server error" in body
    assert "OverflowError" not in body and "date value out of range" not in body


def test_a_browser_on_an_unknown_address_gets_the_bilingual_page(client):
    """Outside the APIs a browser reads a page in both languages, with a way back, not the framework's own."""
    r = client.get("/tidak-ada", headers={"Accept": "text/html"})
    body = r.get_data(as_text=True)
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "Tidak ditemukan." in body and "Not found." in body and 'href="/"' in body
