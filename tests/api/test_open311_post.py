"""POST requests: api_key, fields as real clients send them, bad input, idempotency, privacy of the reporter."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from tests.api.open311kit import BASE, FORMATS, GOOD, count, created_id, execute, make_key, post, read

CODE_RE = re.compile(r"^BJM-\d{4}-[0-9A-Z]+$")
REPORTER = {"first_name": "Siti", "last_name": "Rahmawati", "email": "siti.rahma@example.id",
            "phone": "0812 5555 0199", "device_id": "perangkat-7f3a", "account_id": "akun-4411"}


@pytest.fixture
def key(app, engine) -> str:
    return make_key(engine)


def _errors(resp, fmt: str = "json") -> str:
    return read(resp, fmt, "errors")[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_answers_id_notice_and_account(client, key, fmt):
    """A good POST answers [{service_request_id, service_notice, account_id}] with our tracking code."""
    resp = post(client, key, fmt)
    [created] = read(resp, fmt, "service_requests")
    assert resp.status_code == 200 and list(created) == ["service_request_id", "service_notice", "account_id"]
    assert CODE_RE.match(created["service_request_id"]) and "Dinas PUPR" in created["service_notice"]


def test_post_stores_an_open311_channel_ticket(client, key, engine):
    """The request is stored through intake with channel 'open311' and routed."""
    code = created_id(client, key)
    assert count(engine, "SELECT count(*) FROM complaint c JOIN skpd s ON s.id = c.skpd_id WHERE tracking_code = :c "
                 "AND channel = 'open311' AND s.code = 'PUPR'", c=code) == 1


def test_post_accepts_a_json_body(client, key):
    """A JSON object with the same field names is accepted too."""
    resp = client.post(f"{BASE}/requests.json", json=GOOD | {"api_key": key, "lat": -3.39, "long": 114.51})
    assert resp.status_code == 200 and CODE_RE.match(resp.get_json()[0]["service_request_id"])


def test_api_key_in_the_query_string_is_accepted(client, key):
    """Some clients send api_key and jurisdiction_id in the POST's query string."""
    resp = client.post(f"{BASE}/requests.xml?api_key={key}&jurisdiction_id=banjarmasinkota.go.id", data=GOOD)
    assert resp.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_api_key_is_403(client, engine, app, fmt):
    """Without api_key: 403 in the Open311 shape, nothing stored."""
    resp = post(client, None, fmt)
    assert resp.status_code == 403 and "api_key" in _errors(resp, fmt)
    assert count(engine, "SELECT count(*) FROM complaint") == 0


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bad_key", ["xyz", "pa_00000000_notarealkey", "pa_"])
def test_invalid_api_key_is_403(client, key, fmt, bad_key):
    """A wrong api_key is 403."""
    assert post(client, bad_key, fmt).status_code == 403


def test_deactivated_api_key_is_403(client, key, engine):
    """A key whose client was deactivated no longer works."""
    execute(engine, "UPDATE api_client SET active = false")
    assert post(client, key).status_code == 403


def test_api_key_is_checked_before_the_fields(client):
    """Bad fields with a bad key still answer 403: the key comes first."""
    assert client.post(f"{BASE}/requests.json", data={"api_key": "nope"}).status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_is_404(client, key, fmt):
    """An unknown service_code is 404, as the spec's POST errors say."""
    resp = post(client, key, fmt, service_code="banjir-rob")
    assert resp.status_code == 404 and "banjir-rob" in _errors(resp, fmt)


def test_missing_service_code_is_400(client, key):
    """No service_code at all is 400."""
    assert post(client, key, service_code="").status_code == 400


@pytest.mark.parametrize("fmt", FORMATS)
def test_address_string_without_lat_long_is_400(client, key, engine, fmt):
    """We route by coordinates: address_string alone is refused with a clear message."""
    resp = post(client, key, fmt, lat=None, long=None, address_string="Jl. Ahmad Yani km 2")
    assert resp.status_code == 400 and "lat" in _errors(resp, fmt) and "address_string" in _errors(resp, fmt)
    assert count(engine, "SELECT count(*) FROM complaint") == 0


def test_lat_without_long_is_400(client, key):
    """lat without long is refused."""
    assert post(client, key, long=None).status_code == 400


@pytest.mark.parametrize("lat,lon", [("NaN", "114.51"), ("-3.39", "nan"), ("Infinity", "114.51"),
                                     ("-3.39", "-inf"), ("abc", "114.51"), ("-3.39", "114,51"), ("91", "114.51")])
def test_bad_coordinates_are_400(client, key, engine, lat, lon):
    """NaN, Infinity, text and out-of-range coordinates answer 400, never 500, and store nothing."""
    resp = post(client, key, lat=lat, long=lon)
    assert resp.status_code == 400 and resp.get_json()[0]["description"]
    assert count(engine, "SELECT count(*) FROM complaint") == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_outside_city_is_400_naming_the_city(client, key, engine, fmt):
    """A point far outside the city is 400 with a message naming the city; nothing stored."""
    resp = post(client, key, fmt, long="114.9", **REPORTER)
    assert resp.status_code == 400 and "Kota Banjarmasin" in _errors(resp, fmt)
    assert count(engine, "SELECT count(*) FROM complaint") + count(engine, "SELECT count(*) FROM reporter") == 0


@pytest.mark.parametrize("fields", [{"description": ""}, {"description": "x" * 5001}, {"email": "bukan-email"},
                                    {"phone": "telepon saya"}])
def test_bad_text_fields_are_400(client, key, fields):
    """Empty or over-long description, bad email or phone: 400 with a message."""
    resp = post(client, key, **fields)
    assert resp.status_code == 400 and " / " in resp.get_json()[0]["description"]


def test_html_in_description_round_trips_through_xml(client, key):
    """HTML/script in a description is escaped in XML: the document parses and the text comes back unchanged."""
    text = 'Lubang <script>alert("x")</script> & <b>besar</b> ]]> di "Jl. A&B"'
    code = created_id(client, key, description=text)
    resp = client.get(f"{BASE}/requests/{code}.xml")
    assert b"<script>" not in resp.data
    assert ET.fromstring(resp.data).find("request/description").text == text


def test_html_in_description_round_trips_through_json(client, key):
    """The same text comes back unchanged in JSON."""
    text = "Lubang <img src=x onerror=alert(1)> & 'kutip'"
    code = created_id(client, key, description=text)
    assert client.get(f"{BASE}/requests/{code}.json").get_json()[0]["description"] == text


def test_reporter_data_never_appears_in_any_get(client, key):
    """Name, email, phone, device and account given on POST appear in no GET answer, in either format."""
    code = created_id(client, key, **REPORTER)
    paths = [f"requests.{f}?extensions=true" for f in FORMATS] + [f"requests/{code}.{f}?extensions=true"
                                                                    for f in FORMATS]
    paths += [f"tokens/{code}.{f}" for f in FORMATS] + [f"requests.{f}?service_request_id={code}" for f in FORMATS]
    bodies = [client.get(f"{BASE}/{p}").data.decode() for p in paths]
    assert all(code in b for b in bodies)
    leaks = [(v, p) for p, b in zip(paths, bodies, strict=True) for v in REPORTER.values() if v in b]
    assert leaks == []


def test_reporter_data_is_kept_for_staff(client, key, engine):
    """first_name + last_name, email and phone are stored (apart, in the reporter table)."""
    created_id(client, key, **REPORTER)
    assert count(engine, "SELECT count(*) FROM reporter WHERE name = 'Siti Rahmawati' AND email = :e AND phone = :p",
                 e=REPORTER["email"], p=REPORTER["phone"]) == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_retry_with_the_same_idempotency_key_returns_the_same_id(client, key, engine, fmt):
    """A retried POST with the same Idempotency-Key header answers the same id and stores one ticket."""
    first = read(post(client, key, fmt, headers={"Idempotency-Key": "fms-1234"}), fmt, "service_requests")
    again = read(post(client, key, fmt, headers={"Idempotency-Key": "fms-1234"}), fmt, "service_requests")
    assert first[0]["service_request_id"] == again[0]["service_request_id"]
    assert count(engine, "SELECT count(*) FROM complaint") == 1


def test_idempotency_key_as_a_parameter(client, key, engine):
    """idempotency_key as a form field works like the header."""
    ids = {created_id(client, key, idempotency_key="form-77") for _ in range(3)}
    assert len(ids) == 1 and count(engine, "SELECT count(*) FROM complaint") == 1


def test_idempotency_keys_are_scoped_per_client(client, key, engine):
    """Two clients using the same key value get two different tickets."""
    other = make_key(engine, "other client")
    assert created_id(client, key, idempotency_key="1") != created_id(client, other, idempotency_key="1")


@pytest.mark.parametrize("bad_key", ["k" * 65, "kunci\x01", "kunci-é"])
def test_idempotency_key_must_be_short_printable_ascii(client, key, bad_key):
    """An idempotency key over 64 characters or with control or non-ASCII characters is refused."""
    assert post(client, key, idempotency_key=bad_key).status_code == 400


def test_retry_with_a_control_character_key_never_fails(client, key):
    """Retrying with a key that intake would normalise is a clean 400 each time, never a server error."""
    statuses = {post(client, key, idempotency_key="k\x01").status_code for _ in range(2)}
    assert statuses == {400}


def test_without_a_key_each_post_is_a_new_ticket(client, key):
    """Without an idempotency key two identical POSTs are two tickets (the client did not ask otherwise)."""
    assert created_id(client, key) != created_id(client, key)


def test_media_url_is_accepted_but_not_fetched(client, key, engine):
    """media_url (one or several) is accepted; nothing is downloaded, so no attachment is stored."""
    resp = client.post(f"{BASE}/requests.json", data=GOOD | {"api_key": key, "media_url": [
        "http://192.0.2.1/foto1.jpg", "http://192.0.2.1/foto2.jpg"]})
    assert resp.status_code == 200 and count(engine, "SELECT count(*) FROM attachment") == 0


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, format="JPEG")
    return out.getvalue()


def test_uploaded_media_becomes_an_absolute_media_url(client, key):
    """A photo sent as multipart 'media' is served, and media_url is its absolute URL."""
    resp = client.post(f"{BASE}/requests.json", data=GOOD | {"api_key": key, "media": (io.BytesIO(_jpeg()), "a.jpg")},
                       content_type="multipart/form-data")
    code = resp.get_json()[0]["service_request_id"]
    url = client.get(f"{BASE}/requests/{code}.json").get_json()[0]["media_url"]
    assert re.match(r"^http://localhost/open311/v2/media/\d+\.jpg$", url)
    photo = client.get(url.removeprefix("http://localhost"))
    assert photo.status_code == 200 and photo.content_type == "image/jpeg" and photo.data[:2] == b"\xff\xd8"


def test_fake_image_upload_is_400(client, key, engine):
    """A 'photo' that is not an image is refused and nothing is stored."""
    resp = client.post(f"{BASE}/requests.json", data=GOOD | {"api_key": key, "media": (io.BytesIO(b"<svg/>"), "a.jpg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and count(engine, "SELECT count(*) FROM complaint") == 0


def test_unknown_media_is_404(client):
    """A media id that does not exist is 404."""
    assert client.get(f"{BASE}/media/999999.jpg").status_code == 404


@pytest.fixture
def confidential(engine):
    """'jalan-rusak' made confidential for one test."""
    execute(engine, "UPDATE category SET confidential = true WHERE code = 'jalan-rusak'")
    yield
    execute(engine, "UPDATE category SET confidential = false WHERE code = 'jalan-rusak'")


def test_confidential_requests_stay_out_of_lists(client, key, confidential):
    """A complaint of a confidential category is not listed."""
    created_id(client, key)
    assert client.get(f"{BASE}/requests.json").get_json() == []


def test_confidential_request_by_id_hides_text_and_place(client, key, confidential):
    """By its code a confidential complaint shows status only: no text, address, point or photo."""
    code = created_id(client, key, address_string="Rumah no. 5")
    [req] = client.get(f"{BASE}/requests/{code}.json").get_json()
    assert req["status"] == "open" and req["service_request_id"] == code
    assert [req[f] for f in ("description", "address", "lat", "long", "media_url")] == [None] * 5
    assert req["service_code"] is None and req["service_name"] is None  # the category names what it is about
    xml = client.get(f"{BASE}/requests/{code}.xml").get_data(as_text=True)
    assert "<service_code" in xml and "jalan-rusak" not in xml


SAMPAH_DEFINITION = [{"code": "volume", "datatype": "singlevaluelist", "required": True, "description": "Volume",
                      "values": [{"key": "kecil", "name": "Sedikit"}, {"key": "besar", "name": "Banyak"}]},
                     {"code": "jenis", "datatype": "multivaluelist", "description": "Jenis",
                      "values": [{"key": "plastik", "name": "Plastik"}, {"key": "organik", "name": "Organik"}]}]


@pytest.fixture
def sampah_definition(engine):
    execute(engine, "UPDATE category SET attributes = CAST(:a AS jsonb) WHERE code = 'sampah'",
            a=json.dumps(SAMPAH_DEFINITION))
    yield
    execute(engine, "UPDATE category SET attributes = NULL WHERE code = 'sampah'")


def test_required_attribute_missing_is_400(client, key, sampah_definition):
    """A required attribute of the service definition must be sent."""
    resp = post(client, key, service_code="sampah")
    assert resp.status_code == 400 and "attribute[volume]" in resp.get_json()[0]["description"]


def test_attribute_value_not_in_the_list_is_400(client, key, sampah_definition):
    """A list attribute only takes its listed keys."""
    assert post(client, key, service_code="sampah", **{"attribute[volume]": "raksasa"}).status_code == 400


def test_attributes_are_kept_as_structured_answers(client, key, sampah_definition):
    """Attribute answers (multivaluelist as attribute[code][]) are stored as data, not pasted into the text, and
    come back in extended_attributes."""
    resp = client.post(f"{BASE}/requests.json", data=GOOD | {
        "api_key": key, "service_code": "sampah", "attribute[volume]": "besar",
        "attribute[jenis][]": ["plastik", "organik"]})
    code = resp.get_json()[0]["service_request_id"]
    [req] = client.get(f"{BASE}/requests/{code}.json?extensions=true").get_json()
    assert "Atribut" not in req["description"]
    assert req["extended_attributes"]["attributes"] == [{"code": "jenis", "values": ["plastik", "organik"]},
                                                        {"code": "volume", "values": ["besar"]}]
    xml = client.get(f"{BASE}/requests/{code}.xml?extensions=true").get_data(as_text=True)
    assert "<attribute><code>jenis</code><values><value>plastik</value><value>organik</value></values>" in xml


@pytest.mark.parametrize("path", ["requests/a%00b.json", "requests.json?service_code=a%00", "services/a%00.json",
                                  "requests.json?service_request_id=%00", "tokens/%00.json"])
def test_nul_character_in_a_get_is_400(client, path):
    """A NUL character (which PostgreSQL cannot take) is refused with 400, not a server error."""
    resp = client.get(f"{BASE}/{path}")
    assert resp.status_code == 400 and "NUL" in resp.get_json()[0]["description"]


@pytest.mark.parametrize("fields", [{"service_code": "jalan\x00"}, {"api_key": "pa_a\x00b_c"},
                                    {"description": "Lubang\x00besar"}])
def test_nul_character_in_a_post_is_400(client, key, engine, fields):
    """A NUL character in any POST field is refused and nothing is stored."""
    fields = dict(fields)
    assert post(client, fields.pop("api_key", key), **fields).status_code == 400
    assert count(engine, "SELECT count(*) FROM complaint") == 0


def test_malformed_json_body_is_400(client):
    """A JSON body that does not parse into an object is 400 in Open311's shape."""
    resp = client.post(f"{BASE}/requests.json", data="{bukan json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()[0]["code"] == 400


def test_oversized_body_is_400_with_code_413(app, client, key):
    """A body over the upload limit is HTTP 400 (the spec's statuses) carrying code 413."""
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = post(client, key, description="x" * 2000)
    assert resp.status_code == 400 and resp.get_json()[0]["code"] == 413


def test_confidential_request_by_id_hides_its_area_even_with_extensions(client, key, confidential):
    """With extensions=true a confidential complaint still names no kelurahan, kecamatan or routing rule."""
    code = created_id(client, key)
    [req] = client.get(f"{BASE}/requests/{code}.json?extensions=true").get_json()
    ext = req["extended_attributes"]
    assert ext["skpd_code"] == "PUPR" and ext["status"] == "new"
    assert [ext[f] for f in ("kelurahan_code", "kelurahan_name", "kecamatan_code", "kecamatan_name",
                             "kelurahan_rule", "service_area")] == [None] * 6
    assert ext["flags"] == []


@pytest.mark.parametrize("field,limit", [("first_name", 200), ("address_string", 500), ("email", 200)])
def test_a_value_longer_than_it_is_stored_is_refused_not_cut(client, key, engine, field, limit):
    """As the JSON API does: a 400 naming the limit, and no ticket, instead of a 200 that kept part of it."""
    resp = post(client, key, **{field: "a" * (limit + 1) + ("@contoh.id" if field == "email" else "")})
    assert resp.status_code == 400 and str(limit) in resp.get_data(as_text=True)
    assert count(engine, "SELECT count(*) FROM complaint") == 0


@pytest.mark.parametrize("field", ["description", "media_url"])
def test_a_json_object_where_the_spec_has_text_is_refused(client, key, engine, field):
    """{"description": {"a": "b"}} was stored as the Python text "{'a': 'b'}"; now a 400 saying what is expected."""
    body = dict(GOOD, api_key=key, **{field: {"a": "bbbbbb"}})
    resp = client.post(f"{BASE}/requests.json", json=body)
    assert resp.status_code == 400 and field in resp.get_data(as_text=True)
    assert count(engine, "SELECT count(*) FROM complaint") == 0
