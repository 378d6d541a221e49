"""Text that cannot be stored (NUL, lone surrogates) is refused with 400 on every route, in one place; keys of
different clients never meet; a ticket committed while its client saw an error is found again by its key."""
from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import OperationalError

from tests.api.open311kit import make_key

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}

NUL_GETS = ["/lacak/%00", "/api/v1/complaints/%00", "/api/v1/route-preview?lon=114.51&lat=-3.39&category=%00",
            "/api/v1/duplicates?lon=114.51&lat=-3.39&category=%00", "/ogc/collections/complaints/items?category=%00",
            "/planner/layers/hexbins.geojson?category=%00", "/planner/export/complaints.csv?skpd=%00",
            "/tiles/complaints/12/3290/2122.pbf?category=%00", "/api/v1/categories?lon=%00&lat=1",
            "/open311/v2/requests.json?service_code=%00", "/api/v1/map-points?status=%00"]


@pytest.mark.parametrize("path", NUL_GETS)
def test_a_nul_character_anywhere_in_a_get_is_400(client, path):
    """Path or query, any blueprint: a bilingual 400, never a 500."""
    resp = client.get(path)
    assert resp.status_code == 400, (path, resp.status_code)
    assert "NUL" in resp.get_data(as_text=True)


def test_a_lone_surrogate_in_json_is_400(client):
    """\\ud800 in a JSON body (the API and Open311 alike) is refused before any query."""
    body = json.dumps(GOOD | {"description": "jalan \ud800 rusak"}, ensure_ascii=True)
    assert client.post("/api/v1/complaints", data=body, content_type="application/json").status_code == 400
    open311 = json.dumps({"service_code": "\ud800", "lat": -3.39, "long": 114.51}, ensure_ascii=True)
    resp = client.post("/open311/v2/requests.json", data=open311, content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()[0]["code"] == 400


def test_a_nul_in_a_form_field_is_400_and_stores_nothing(client, engine):
    """The citizen form with a NUL in the description: 400, no ticket."""
    from sqlalchemy import text

    resp = client.post("/lapor", data={k: str(v) for k, v in GOOD.items()} | {"description": "a\x00b"})
    assert resp.status_code == 400
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0


def test_an_anonymous_key_cannot_take_an_open311_clients_report(client, engine):
    """An anonymous client sending `open311:<id>:<key>` does not pre-empt that Open311 client's report."""
    key = make_key(engine)
    with engine.connect() as c:
        from sqlalchemy import text
        client_id = c.execute(text("SELECT id FROM api_client")).scalar_one()
    anon = client.post("/api/v1/complaints", json=GOOD, headers={"Idempotency-Key": f"open311:{client_id}:k1"})
    theirs = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "jalan-rusak", "lat": "-3.39", "long": "114.51",
        "description": "Laporan klien Open311"}, headers={"Idempotency-Key": "k1"})
    assert anon.status_code == 201 and theirs.status_code == 200
    assert theirs.get_json()[0]["service_request_id"] != anon.get_json()["tracking_code"]


def test_a_ticket_committed_while_the_client_saw_an_error_is_returned_on_retry(app, client, monkeypatch):
    """The answer is lost (the connection drops right after the commit: a 503); the retry with the same key gets
    the stored ticket, and no second one is made."""
    from sqlalchemy import text

    from aduan import intake

    real = intake.submit

    def commit_then_lose_the_connection(*args, **kwargs):
        result = real(*args, **kwargs)
        if result.created:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return result

    monkeypatch.setattr(intake, "submit", commit_then_lose_the_connection)
    first = client.post("/api/v1/complaints", json=GOOD, headers={"Idempotency-Key": "retry-me"})
    assert first.status_code == 503 and first.headers["Retry-After"]
    again = client.post("/api/v1/complaints", json=GOOD, headers={"Idempotency-Key": "retry-me"})
    assert again.status_code == 200 and again.get_json()["created"] is False
    with app.extensions["db_engine"].connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 1


FAR = (-150.52, 0.01)  # the middle of the Pacific: outside the domain of the city's metric CRS (UTM 50S)


@pytest.mark.parametrize("path,status", [
    (f"/api/v1/categories?lon={FAR[0]}&lat={FAR[1]}", 200),
    (f"/api/v1/route-preview?lon={FAR[0]}&lat={FAR[1]}&category=jalan-rusak", 422),
    (f"/api/v1/duplicates?lon={FAR[0]}&lat={FAR[1]}&category=jalan-rusak", 200),
    (f"/open311/v2/requests.json?lat={FAR[1]}&long={FAR[0]}", 200),
])
def test_a_pin_on_the_other_side_of_the_earth_is_answered_not_a_500(client, path, status):
    """Schemathesis found lon -150 failing in ST_Transform (a 500); every entry point now answers it."""
    resp = client.get(path)
    assert resp.status_code == status, (path, resp.status_code, resp.get_data(as_text=True)[:300])


def test_a_report_on_the_other_side_of_the_earth_is_outside_the_city(client):
    resp = client.post("/api/v1/complaints", json=GOOD | {"lon": FAR[0], "lat": FAR[1]})
    assert resp.status_code == 422 and "luar" in resp.get_json()["detail"]
