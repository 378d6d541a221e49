"""JSON API v1: submit, track, support, categories at a point, route preview, duplicates, photos, OpenAPI."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}


def _post(client, body=None, **kw):
    return client.post("/api/v1/complaints", json=GOOD | (body or {}), **kw)


def _jpeg(gps: tuple[float, float] | None = None, size=(320, 240)) -> bytes:
    img = Image.new("RGB", size, "blue")
    buf = io.BytesIO()
    exif = Image.Exif()
    if gps:
        lon, lat = gps
        ifd = {1: "S" if lat < 0 else "N", 2: (abs(lat), 0.0, 0.0), 3: "E", 4: (lon, 0.0, 0.0)}
        exif[0x8825] = ifd
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_submit_returns_code_routing_and_explanation(client):
    """201 with a tracking code, the routing decision and an explanation in both languages."""
    r = _post(client)
    assert r.status_code == 201
    body = r.get_json()
    assert body["tracking_code"].startswith("BJM-") and body["routing"]["skpd_code"] == "PUPR"
    assert "Kelurahan A" in body["explanation"] and "Kelurahan A" in body["explanation_en"]


def test_get_by_code_shows_public_fields_only(client):
    """The ticket by code has status and due dates, and no reporter data even when given."""
    code = _post(client, {"name": "Rahasia Budi", "email": "budi@contoh.id", "phone": "081299998888"}).get_json()[
        "tracking_code"]
    r = client.get(f"/api/v1/complaints/{code.lower()}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "new" and body["handling_due_at"].endswith("+08:00")
    text = r.get_data(as_text=True)
    assert "Rahasia Budi" not in text and "budi@contoh.id" not in text and "081299998888" not in text


def test_unknown_code_is_404_problem(client):
    """An unknown code is a 404 problem document in both languages."""
    r = client.get("/api/v1/complaints/BJM-0000-XXXXXX")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert r.get_json()["detail"] and r.get_json()["detail_en"]


@pytest.mark.parametrize("body,status,field", [
    ({"lon": 114.9}, 422, "lon"), ({"lon": "abc"}, 400, "lon"), ({"lat": None}, 400, "lat"), ({"lat": 95}, 400, "lon"),
    ({"category": "tidak-ada"}, 400, "category"), ({"description": ""}, 400, "description"),
    ({"description": "x" * 6000}, 400, "description"),
])
def test_bad_input_is_4xx_with_field(client, body, status, field):
    """Bad coordinates, category or description: a 4xx naming the field, never a 500."""
    r = _post(client, body)
    assert r.status_code == status
    assert r.get_json()["field"] == field


def test_nan_and_infinity_are_refused(client):
    """NaN/Infinity in JSON (non-standard but sent by some clients) is a 400."""
    for raw in ('{"category":"jalan-rusak","description":"abc def","lon":NaN,"lat":-3.39}',
                '{"category":"jalan-rusak","description":"abc def","lon":Infinity,"lat":-3.39}'):
        r = client.post("/api/v1/complaints", data=raw, content_type="application/json")
        assert r.status_code == 400


def test_broken_json_is_400(client):
    """A body that is not JSON gets a clear 400."""
    r = client.post("/api/v1/complaints", data="{oops", content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.get_json()["detail_en"]


def test_idempotency_header_gives_one_ticket(client):
    """Retrying with the same Idempotency-Key returns the same ticket with 200."""
    a = _post(client, headers={"Idempotency-Key": "abc-123"})
    b = _post(client, headers={"Idempotency-Key": "abc-123"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.get_json()["tracking_code"] == b.get_json()["tracking_code"]


def test_concurrent_double_submit_gives_one_ticket(app):
    """Ten simultaneous submissions with one key: exactly one ticket, all answers name it."""
    def go(_):
        with app.test_client() as c:
            return c.post("/api/v1/complaints", json=GOOD | {"idempotency_key": "same-key"})
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(go, range(10)))
    assert all(a.status_code in (200, 201) for a in answers)
    assert len({a.get_json()["tracking_code"] for a in answers}) == 1
    assert sum(a.status_code == 201 for a in answers) == 1


def test_many_concurrent_submissions_all_stored_with_unique_codes(app, engine):
    """Thirty parallel submissions: thirty tickets, thirty distinct codes, none lost."""
    from sqlalchemy import text

    def go(i):
        with app.test_client() as c:
            return c.post("/api/v1/complaints", json=GOOD | {"description": f"aduan nomor {i}"})
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(go, range(30)))
    codes = {a.get_json()["tracking_code"] for a in answers if a.status_code == 201}
    assert len(codes) == 30
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 30


def test_html_in_description_is_returned_as_text(client):
    """HTML is stored and returned as text; the JSON carries it verbatim for the client to escape."""
    code = _post(client, {"description": "<img src=x onerror=alert(1)>"}).get_json()["tracking_code"]
    assert client.get(f"/api/v1/complaints/{code}").get_json()["description"] == "<img src=x onerror=alert(1)>"


def test_multipart_with_photo(client):
    """A multipart submission with a JPEG stores the photo, served without metadata."""
    data = {k: str(v) for k, v in GOOD.items()} | {"photos": (io.BytesIO(_jpeg(gps=(114.51, -3.39))), "a.jpg")}
    r = client.post("/api/v1/complaints", data=data, content_type="multipart/form-data")
    assert r.status_code == 201
    photos = client.get(f"/api/v1/complaints/{r.get_json()['tracking_code']}").get_json()["photos"]
    img = client.get(photos[0].replace("http://localhost", ""))
    assert img.status_code == 200 and img.mimetype == "image/jpeg" and b"Exif" not in img.data


def test_fake_image_is_400(client):
    """A file that is not an image is refused with a clear message."""
    data = {k: str(v) for k, v in GOOD.items()} | {"photos": (io.BytesIO(b"%PDF-1.4 fake"), "foto.jpg")}
    r = client.post("/api/v1/complaints", data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["field"] == "photos"


def test_huge_upload_is_413(client, app):
    """A body above the upload limit is refused with 413, not read into memory whole."""
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    data = {k: str(v) for k, v in GOOD.items()} | {"photos": (io.BytesIO(b"\xff" * (2 * 1024 * 1024)), "big.jpg")}
    r = client.post("/api/v1/complaints", data=data, content_type="multipart/form-data")
    assert r.status_code == 413


def test_photo_location_reads_exif_gps(client):
    """The photo's EXIF GPS is offered as a pin suggestion."""
    r = client.post("/api/v1/photo-location", data={"photos": (io.BytesIO(_jpeg(gps=(114.5, -3.25))), "p.jpg")},
                    content_type="multipart/form-data")
    assert r.get_json() == {"lon": 114.5, "lat": -3.25}


def test_categories_at_point_name_the_skpd(client):
    """At a point in B, waste goes to DLH/Dishub by service area, roads to PUPR by default."""
    cats = {c["code"]: c for c in client.get("/api/v1/categories?lon=114.538&lat=-3.395").get_json()["categories"]}
    assert cats["sampah"]["skpd_code"] == "DLH" and cats["jalan-rusak"]["skpd_code"] == "PUPR"


def test_categories_outside_city_is_empty(client):
    """Outside the city no category can be routed."""
    assert client.get("/api/v1/categories?lon=114.9&lat=-3.39").get_json()["categories"] == []


def test_route_preview_full_decision_without_storing(client, engine):
    """Route preview returns the whole decision and stores nothing."""
    from sqlalchemy import text

    r = client.get("/api/v1/route-preview?lon=114.52&lat=-3.39&category=jalan-rusak")
    body = r.get_json()
    assert body["kelurahan_code"] == "99.01.01.1001" and body["kecamatan_code"] == "99.01.01"
    assert body["kelurahan_rule"] == "overlap" and "near_border" in body["flags"]
    assert body["skpd_code"] == "PUPR" and body["skpd_rule"] == "category_default"
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0


def test_route_preview_outside_names_city(client):
    """Outside the city, the preview is a 422 naming the city."""
    r = client.get("/api/v1/route-preview?lon=115.5&lat=-3.39&category=jalan-rusak")
    assert r.status_code == 422 and "Banjarmasin" in r.get_json()["detail"]


def test_duplicates_and_support(client):
    """A second citizen nearby sees the first complaint and can support it instead."""
    code = _post(client).get_json()["tracking_code"]
    dups = client.get("/api/v1/duplicates?lon=114.5101&lat=-3.3901&category=jalan-rusak").get_json()["complaints"]
    assert [d["tracking_code"] for d in dups] == [code] and dups[0]["distance_m"] < 30
    assert client.post(f"/api/v1/complaints/{code}/support").get_json()["supporters"] == 1
    far = client.get("/api/v1/duplicates?lon=114.53&lat=-3.39&category=jalan-rusak").get_json()["complaints"]
    assert far == []


def test_support_counts_once_per_address_and_ticket_and_cannot_be_pumped(client, engine):
    """The same address supporting the same ticket again within 10 minutes is a 429 and changes nothing; another
    address still counts; another ticket from the first address counts too."""
    from sqlalchemy import text

    first, other = (_post(client, {"description": d}).get_json()["tracking_code"] for d in ("Lubang 1", "Lubang 2"))
    here, there = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
    assert client.post(f"/api/v1/complaints/{first}/support", environ_base=here).get_json()["supporters"] == 1
    again = client.post(f"/api/v1/complaints/{first}/support", environ_base=here)
    assert again.status_code == 429 and again.get_json()["detail_en"].startswith("Too many attempts")
    assert client.post(f"/api/v1/complaints/{first}/support", environ_base=there).get_json()["supporters"] == 2
    assert client.post(f"/api/v1/complaints/{other}/support", environ_base=here).get_json()["supporters"] == 1
    with engine.connect() as c:
        steps = c.execute(text("SELECT count(*) FROM complaint_event WHERE kind = 'support'")).scalar()
    assert steps == 3


def test_openapi_document_lists_every_route(client, app):
    """Every /api/v1 route is described in the OpenAPI document, and every described path is a route."""
    import re

    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and doc["servers"][0]["url"].endswith("/api/v1")
    routes = {re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    assert routes == set(doc["paths"])


def test_openapi_parameters_come_from_the_schemas(client):
    """The document lists the query parameters the parser takes, with their types, and the body's fields."""
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/route-preview"]["get"]["parameters"]}
    assert {"lon", "lat", "category"} <= set(params) and all(params[n]["required"] for n in ("lon", "lat"))
    body = doc["components"]["schemas"]["NewComplaint"]
    assert {"category", "description", "lon", "lat", "photos"} - set(body["properties"]) == {"photos"}
    assert body["properties"]["description"]["maxLength"] == 5000
    assert "application/problem+json" in doc["components"]["responses"]["DEFAULT_ERROR"]["content"]


def test_a_parameter_of_the_wrong_type_is_a_bilingual_400(client):
    """A value the schema refuses is a 400 naming the field, in Indonesian and English."""
    r = client.get("/api/v1/route-preview?lon=abc&lat=-3.39&category=jalan-rusak")
    assert r.status_code == 400 and r.get_json()["field"] == "lon"
    assert "angka" in r.get_json()["detail"] and "number" in r.get_json()["detail_en"]
    r = client.get("/api/v1/map-points?status=maybe")
    assert r.status_code == 400 and r.get_json()["field"] == "status" and r.get_json()["detail_en"]


def test_map_points_are_sent_as_the_geojson_they_are_documented_as(client):
    """/map-points answers application/geo+json, as the document says."""
    r = client.get("/api/v1/map-points")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.get_json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("word", ["anonim", "maybe", [1], 2, 1.0])  # "" is a form's "not given"
def test_an_anonymous_flag_that_is_not_yes_or_no_is_refused_not_read_as_no(client, engine, word):
    """Read as "no", an unknown word would store the reporter's name and phone: a 400 naming the field, and no
    ticket."""
    from sqlalchemy import text

    r = _post(client, {"anonymous": word, "name": "Siti Rahma", "phone": "081234567890"})
    assert r.status_code == 400 and r.get_json()["field"] == "anonymous", r.get_json()
    assert "ya atau tidak" in r.get_json()["detail"] and "yes or no" in r.get_json()["detail_en"]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM reporter")).scalar() == 0


@pytest.mark.parametrize("word,hidden", [("ya", True), (" Tidak ", False), (True, True), (0, False)])
def test_yes_and_no_words_set_the_anonymous_flag(client, engine, word, hidden):
    """The words people type, in either language, and JSON's own true/false and 1/0."""
    from sqlalchemy import text

    r = _post(client, {"anonymous": word, "name": "Siti Rahma", "phone": "081234567890"})
    assert r.status_code == 201, r.get_json()
    with engine.connect() as c:
        assert c.execute(text("SELECT anonymous FROM complaint")).scalar() is hidden


def test_an_idempotency_key_header_longer_than_documented_is_refused(client, engine):
    """The header holds what the body's field holds, at most 100 characters, as the OpenAPI document says."""
    from sqlalchemy import text

    r = _post(client, headers={"Idempotency-Key": "k" * 101})
    assert r.status_code == 400 and r.get_json()["field"] == "Idempotency-Key" and "100" in r.get_json()["detail"]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0
    assert _post(client, headers={"Idempotency-Key": "k" * 100}).status_code == 201
