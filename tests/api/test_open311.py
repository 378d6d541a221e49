"""Open311 GeoReport v2 reads, in both formats: discovery, services, service definitions, requests, tokens."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.api.open311kit import BASE, FORMATS, REQUEST_FIELDS, created_id, execute, make_key, read

WITA = dt.timedelta(hours=8)
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTES = [
    {"code": "volume", "datatype": "singlevaluelist", "required": True, "order": 2, "description": "Berapa banyak?",
     "values": [{"key": "kecil", "name": "Sedikit"}, {"key": "besar", "name": "Banyak (lebih dari 1 truk)"}]},
    {"code": "sejak", "datatype": "string", "required": False, "order": 1, "description": "Sejak kapan?"},
]


@pytest.fixture
def key(app, engine) -> str:
    return make_key(engine)


@pytest.fixture
def sampah_with_attributes(engine):
    """The 'sampah' category with a service definition, reset afterwards (categories are reference data)."""
    execute(engine, "UPDATE category SET attributes = CAST(:a AS jsonb) WHERE code = 'sampah'",
            a=json.dumps(ATTRIBUTES))
    yield
    execute(engine, "UPDATE category SET attributes = NULL WHERE code = 'sampah'")


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_spec_and_both_formats(client, fmt):
    """discovery.{fmt} lists one GeoReport v2 endpoint speaking text/xml and application/json."""
    doc = read(client.get(f"{BASE}/discovery.{fmt}"), fmt, "discovery")
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(doc)
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_documents_our_extensions(client, fmt):
    """The discovery document names each extension and its parameters."""
    doc = read(client.get(f"{BASE}/discovery.{fmt}"), fmt, "discovery")
    names = {e["name"]: e["parameters"] for e in doc["extensions"]}
    assert names["paging"] == ["page", "page_size"] and names["bbox"] == ["bbox"]
    assert names["radius"] == ["lat", "long", "radius"] and names["extended_attributes"] == ["extensions"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_every_category_with_spec_fields(client, fmt):
    """services.{fmt} is a list of <service> with exactly the spec's fields, all realtime."""
    services = read(client.get(f"{BASE}/services.{fmt}"), fmt, "services")
    assert sorted(s["service_code"] for s in services) == ["jalan-rusak", "lampu-jalan", "sampah"]
    assert all(list(s) == SERVICE_FIELDS for s in services)
    assert {str(s["type"]) for s in services} == {"realtime"}
    assert {str(s["metadata"]).lower() for s in services} == {"false"}


def test_services_in_english_on_request(client):
    """lang=en gives the English service names."""
    names = {s["service_code"]: s["service_name"] for s in client.get(f"{BASE}/services.json?lang=en").get_json()}
    assert names["sampah"] == "Uncollected waste"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes_in_order(client, sampah_with_attributes, fmt):
    """services/{code}.{fmt} gives <service_definition> with attributes sorted by order and list values."""
    doc = read(client.get(f"{BASE}/services/sampah.{fmt}"), fmt, "service_definition")
    assert doc["service_code"] == "sampah"
    assert [a["code"] for a in doc["attributes"]] == ["sejak", "volume"]
    volume = doc["attributes"][1]
    assert volume["datatype"] == "singlevaluelist" and str(volume["required"]).lower() == "true"
    assert volume["values"] == ATTRIBUTES[0]["values"]


def test_services_flags_metadata_when_a_definition_exists(client, sampah_with_attributes):
    """A category with attributes has metadata=true in the service list."""
    services = {s["service_code"]: s for s in client.get(f"{BASE}/services.json").get_json()}
    assert services["sampah"]["metadata"] is True and services["jalan-rusak"]["metadata"] is False


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_unknown_code_is_404(client, fmt):
    """An unknown service code answers 404 with the Open311 error list."""
    resp = client.get(f"{BASE}/services/nope.{fmt}")
    [error] = read(resp, fmt, "errors")
    assert resp.status_code == 404 and str(error["code"]) == "404" and "nope" in error["description"]


def test_service_definition_without_attributes_is_404(client):
    """A service with metadata=false has no definition to give: 404."""
    assert client.get(f"{BASE}/services/jalan-rusak.json").status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_have_spec_fields_in_spec_order(client, key, fmt):
    """Each <request> carries the spec's fields in the spec's order."""
    code = created_id(client, key, address_string="Jl. Lambung Mangkurat")
    [req] = read(client.get(f"{BASE}/requests.{fmt}"), fmt, "service_requests")
    assert list(req) == REQUEST_FIELDS
    assert req["service_request_id"] == code and req["service_code"] == "jalan-rusak"
    assert req["status"] == "open" and req["agency_responsible"] == "Dinas PUPR"
    assert req["address"] == "Jl. Lambung Mangkurat" and float(req["lat"]) == -3.39 and float(req["long"]) == 114.51


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_datetimes_carry_the_wita_offset(client, key, fmt):
    """requested/updated/expected datetimes are W3C with +08:00; expected is after requested."""
    created_id(client, key)
    [req] = read(client.get(f"{BASE}/requests.{fmt}"), fmt, "service_requests")
    stamps = [req[f] for f in ("requested_datetime", "updated_datetime", "expected_datetime")]
    assert all(s.endswith("+08:00") and dt.datetime.fromisoformat(s).utcoffset() == WITA for s in stamps)
    assert dt.datetime.fromisoformat(stamps[2]) > dt.datetime.fromisoformat(stamps[0])


def test_status_notes_is_the_latest_public_note(client, key, engine):
    """status_notes shows the newest public note, never a staff-only one."""
    code = created_id(client, key)
    for note, public, minutes in (("Sudah diverifikasi petugas", True, 1), ("Catatan internal", False, 2)):
        execute(engine, "INSERT INTO complaint_event (complaint_id, kind, note, public, created_at) SELECT id, 'note', "
                ":n, :p, now() + make_interval(mins => :m) FROM complaint WHERE tracking_code = :c",
                n=note, p=public, m=minutes, c=code)
    assert client.get(f"{BASE}/requests/{code}.json").get_json()[0]["status_notes"] == "Sudah diverifikasi petugas"


@pytest.mark.parametrize("status,expected", [("new", "open"), ("verified", "open"), ("in_progress", "open"),
                                             ("resolved", "closed"), ("closed", "closed"), ("rejected", "closed"),
                                             ("duplicate", "closed")])
def test_status_maps_to_open_or_closed(client, key, engine, status, expected):
    """Open311 status: open = new/verified/in_progress, closed = the rest."""
    code = created_id(client, key)
    execute(engine, "UPDATE complaint SET status = :s WHERE tracking_code = :c", s=status, c=code)
    assert client.get(f"{BASE}/requests/{code}.json").get_json()[0]["status"] == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_by_id_is_a_one_element_list(client, key, fmt):
    """requests/{id}.{fmt} answers a <service_requests> list holding that one request."""
    code = created_id(client, key)
    created_id(client, key)
    [req] = read(client.get(f"{BASE}/requests/{code}.{fmt}"), fmt, "service_requests")
    assert req["service_request_id"] == code


def test_a_request_id_typed_by_hand_finds_the_request(client, key):
    """Lower case and without dashes, as a clerk copies it from an SMS: by id, in the id list and as a token."""
    code = created_id(client, key)
    typed = code.lower().replace("-", "")
    assert read(client.get(f"{BASE}/requests/{typed}.json"), "json", "service_requests")[0]["service_request_id"] \
        == code
    listed = read(client.get(f"{BASE}/requests.json?service_request_id={typed}"), "json", "service_requests")
    assert [r["service_request_id"] for r in listed] == [code]
    assert client.get(f"{BASE}/tokens/{typed}.json").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_by_unknown_id_is_404(client, fmt):
    """An unknown service_request_id answers 404 in the asked format."""
    resp = client.get(f"{BASE}/requests/BJM-0000-XXXX.{fmt}")
    [error] = read(resp, fmt, "errors")
    assert resp.status_code == 404 and "BJM-0000-XXXX" in error["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_is_the_service_request_id(client, key, fmt):
    """tokens/{id}.{fmt} gives back the same id as service_request_id and token."""
    code = created_id(client, key)
    [row] = read(client.get(f"{BASE}/tokens/{code}.{fmt}"), fmt, "service_requests")
    assert row == {"service_request_id": code, "token": code}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(client, fmt):
    """An unknown token answers 404."""
    resp = client.get(f"{BASE}/tokens/BJM-0000-XXXX.{fmt}")
    assert resp.status_code == 404 and read(resp, fmt, "errors")[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_extensions_add_extended_attributes(client, key, fmt):
    """extensions=true adds our status, SKPD, kelurahan and routing rule under extended_attributes."""
    created_id(client, key, service_code="sampah", long="114.53")
    [req] = read(client.get(f"{BASE}/requests.{fmt}?extensions=true"), fmt, "service_requests")
    ext = req["extended_attributes"]
    assert ext["status"] == "new" and ext["skpd_code"] == "DISHUB" and ext["kelurahan_code"] == "99.01.01.1002"
    assert ext["skpd_rule"] == "service_area" and ext["kelurahan_rule"] == "covers"
    assert isinstance(ext["flags"], list)


def test_extensions_never_change_standard_fields(client, key):
    """The standard fields are identical with and without extensions=true."""
    created_id(client, key)
    plain = client.get(f"{BASE}/requests.json").get_json()[0]
    extended = client.get(f"{BASE}/requests.json?extensions=true").get_json()[0]
    assert extended.pop("extended_attributes") and extended == plain


@pytest.mark.parametrize("path", ["requests.csv", "services.html", "discovery.yaml", "requests/BJM-1.txt"])
def test_unknown_format_suffix_is_404(client, path):
    """Only .xml and .json exist; anything else is an Open311 404 (XML, the spec's required format)."""
    resp = client.get(f"{BASE}/{path}")
    assert resp.status_code == 404 and read(resp, "xml", "errors")[0]["code"] == "404"


def test_unknown_resource_is_an_open311_404(client):
    """A path that is no Open311 resource answers in Open311's shape, not the app's."""
    resp = client.get(f"{BASE}/nonsense.json")
    assert resp.status_code == 404 and read(resp, "json", "errors")[0]["code"] == 404


@pytest.mark.parametrize(("path", "fmt"), [("media/0.jpg", "xml"), ("media/00.json", "json"),
                                           ("media/99999999999999999999.jpg", "xml")])
def test_a_media_id_no_photo_can_have_answers_in_open311_shape(client, path, fmt):
    """Ids a route's converter refuses (0, beyond bigint) leave no route matched; still Open311's error list."""
    resp = client.get(f"{BASE}/{path}")
    assert resp.status_code == 404 and int(read(resp, fmt, "errors")[0]["code"]) == 404


def test_wrong_method_is_an_open311_400(client):
    """PUT on requests is refused with HTTP 400 (the spec's 'any other error') carrying code 405."""
    resp = client.put(f"{BASE}/requests.json")
    assert resp.status_code == 400 and read(resp, "json", "errors")[0]["code"] == 405
    assert resp.headers["Allow"] == "GET, POST, HEAD, OPTIONS"  # what the resource does take
    assert client.delete(f"{BASE}/services.xml").headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(("path", "allow"), [("services.xml", {"GET", "HEAD", "OPTIONS"}),
                                             ("requests.json", {"GET", "POST", "HEAD", "OPTIONS"}),
                                             ("requests/BJM-2611-ABCDEF.json", {"GET", "HEAD", "OPTIONS"}),
                                             ("servicerequestupdates.json", {"GET", "POST", "HEAD", "OPTIONS"})])
def test_options_names_only_what_the_resource_takes(client, path, allow):
    """OPTIONS answers with the resource's own methods, not those of the route that catches unknown paths."""
    resp = client.options(f"{BASE}/{path}")
    assert resp.status_code == 200
    assert {m.strip() for m in resp.headers["Allow"].split(",")} == allow


def test_options_on_a_path_that_is_no_resource_is_an_open311_404(client):
    resp = client.options(f"{BASE}/nonsense.json")
    assert resp.status_code == 404 and read(resp, "json", "errors")[0]["code"] == 404


@pytest.mark.parametrize("path", ["discovery.json", "services.xml", "requests.json", "requests/BJM-0000-XXXX.xml"])
def test_gets_allow_any_origin(client, path):
    """GET answers, errors included, carry Access-Control-Allow-Origin: * for browser clients."""
    assert client.get(f"{BASE}/{path}").headers["Access-Control-Allow-Origin"] == "*"


def test_post_does_not_allow_any_origin(client, key):
    """POST (which needs an api_key) gets no CORS permission."""
    resp = client.post(f"{BASE}/requests.json", data={"api_key": key})
    assert "Access-Control-Allow-Origin" not in resp.headers


def test_root_serves_the_discovery_document(client):
    """/open311/v2/ serves the discovery document (XML), as Service Discovery recommends."""
    assert read(client.get(f"{BASE}/"), "xml", "discovery")["endpoints"][0]["type"] == "production"


def test_unreachable_database_is_an_open311_503(engine):
    """With the database down, Open311 answers 503 in its own error shape, not an HTML 500."""
    from aduan.settings import Settings
    from app import create_app

    bad = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", secret_key="x")
    resp = create_app({"SETTINGS": bad, "TESTING": True}).test_client().get(f"{BASE}/services.json")
    assert resp.status_code == 503 and resp.get_json()[0]["code"] == 503
