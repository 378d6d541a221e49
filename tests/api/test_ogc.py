"""OGC API – Features: the protocol details QGIS relies on, asserted against real PostGIS."""
from __future__ import annotations

import datetime as dt

import pytest

from tests import planner_data
from tests.planner_data import PII

city_data = planner_data.city_data  # the fixture, by name

GEOJSON = "application/geo+json"


def _rels(doc: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in doc["links"]}


def test_landing_page_links_service_desc_conformance_and_data(client):
    """The landing page links service-desc, conformance and data with their media types."""
    r = client.get("/ogc/")
    rels = _rels(r.get_json())
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert rels["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert rels["conformance"]["href"] == "http://localhost/ogc/conformance"
    assert rels["data"]["href"] == "http://localhost/ogc/collections"


def test_links_follow_the_host_the_client_used(client):
    """Links are built from the request's host (plain http on a local install)."""
    r = client.get("/ogc/", base_url="http://192.0.2.10:8000")
    assert _rels(r.get_json())["self"]["href"].startswith("http://192.0.2.10:8000/ogc")


def test_service_desc_is_openapi_3(client):
    """The service description is an OpenAPI 3.0 document naming the items path."""
    doc = client.get("/ogc/api").get_json()
    assert doc["openapi"].startswith("3.0") and "/collections/{collectionId}/items" in doc["paths"]


def test_conformance_declares_core_and_geojson(client):
    """Core and GeoJSON conformance classes are declared."""
    classes = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_collections_lists_the_five_with_items_links(client):
    """complaints, kelurahan, kecamatan, hexbins and hotspots each link their items as GeoJSON."""
    doc = client.get("/ogc/collections").get_json()
    ids = {c["id"] for c in doc["collections"]}
    assert ids == {"complaints", "kelurahan", "kecamatan", "hexbins", "hotspots"}
    for c in doc["collections"]:
        assert _rels(c)["items"]["type"] == GEOJSON
        assert c["extent"]["spatial"]["bbox"][0] == [114.5, -3.4, 114.54, -3.36]


def test_unknown_collection_is_404_in_ogc_shape(client):
    """An unknown collection id answers 404 with an OGC exception body."""
    r = client.get("/ogc/collections/nope/items")
    assert r.status_code == 404 and r.get_json()["code"] == "NotFound"


def test_items_are_geojson_with_counts(client, city_data):
    """Items come as application/geo+json with numberMatched and numberReturned."""
    r = client.get("/ogc/collections/complaints/items?limit=10")
    doc = r.get_json()
    assert r.mimetype == GEOJSON and doc["type"] == "FeatureCollection"
    assert doc["numberReturned"] == 10 and doc["numberMatched"] == city_data["loaded"]


def test_paging_follows_next_links_without_overlap(client, city_data):
    """Following `next` links visits every feature once; the last page has no `next`."""
    seen, url = [], "/ogc/collections/complaints/items?limit=100"
    while url:
        doc = client.get(url).get_json()
        seen += [f["id"] for f in doc["features"]]
        url = _rels(doc).get("next", {}).get("href")
    assert len(seen) == len(set(seen)) == city_data["loaded"]


def test_complaints_page_by_cursor_with_the_same_features_as_offsets(client, city_data):
    """`next` carries the last tracking code (keyset paging: a deep page costs what the first does); following
    it gives exactly the features offset paging gives, in the same order."""
    by_cursor, url = [], "/ogc/collections/complaints/items?limit=70"
    while url:
        doc = client.get(url).get_json()
        by_cursor += [f["id"] for f in doc["features"]]
        url = _rels(doc).get("next", {}).get("href", "").replace("http://localhost", "")
        assert "offset=" not in url
    by_offset = [f["id"] for off in range(0, city_data["loaded"], 70) for f in client.get(
        f"/ogc/collections/complaints/items?limit=70&offset={off}").get_json()["features"]]
    assert by_cursor == by_offset and len(by_cursor) == city_data["loaded"]


@pytest.mark.parametrize(("path", "status"), [("complaints/items?cursor=BJM-0000-NOPE00", 400),
                                              ("hexbins/items?cursor=BJM-0000-NOPE00", 400),
                                              ("complaints/items?cursor=" + "X" * 41, 400)])
def test_a_cursor_that_is_not_one_is_400(client, city_data, path, status):
    r = client.get(f"/ogc/collections/{path}")
    assert r.status_code == status and r.get_json()["code"] == "InvalidParameterValue"


def test_prev_link_on_later_pages(client, city_data):
    """A page with an offset links back with `prev`."""
    doc = client.get("/ogc/collections/complaints/items?limit=50&offset=50").get_json()
    assert "offset=0" in _rels(doc)["prev"]["href"]


def test_limit_of_ten_thousand_is_accepted(client, city_data):
    """limit=10000 is within range and returns everything here."""
    doc = client.get("/ogc/collections/complaints/items?limit=10000").get_json()
    assert doc["numberReturned"] == city_data["loaded"]


@pytest.mark.parametrize("limit", ["0", "10001", "-5", "abc"])
def test_limit_out_of_range_is_400(client, limit):
    """limit outside 1..10000 or not a number is refused, not clamped."""
    r = client.get(f"/ogc/collections/complaints/items?limit={limit}")
    assert r.status_code == 400 and r.get_json()["code"] == "InvalidParameterValue"


def test_unknown_query_parameter_is_400(client):
    """An unknown parameter answers 400 (OGC API – Features /req/core/query-param-unknown)."""
    r = client.get("/ogc/collections/kelurahan/items?colour=red")
    assert r.status_code == 400 and "colour" in r.get_json()["description_en"]


def test_queryable_of_another_collection_is_unknown_here(client):
    """`category` filters complaints but is unknown on kelurahan."""
    assert client.get("/ogc/collections/kelurahan/items?category=sampah").status_code == 400


@pytest.mark.parametrize(("bbox", "why"), [
    ("114.54,-3.4,114.50,-3.36", "order"),
    ("114.5,-3.36,114.54,-3.4", "order"),
    ("190,-3.4,191,-3.36", "range"),
    ("114.5,-95,114.54,-3.36", "range"),
    ("-170,-80,170,80", "large"),
    ("1,2,3", "numbers"),
    ("a,b,c,d", "numbers"),
])
def test_bad_bbox_is_400(client, bbox, why):
    """Wrong order, out of range, too large or malformed boxes are refused with a reason."""
    r = client.get(f"/ogc/collections/complaints/items?bbox={bbox}")
    assert r.status_code == 400 and why in r.get_json()["description_en"]


def test_bbox_selects_features_inside(client, city_data):
    """Only complaints inside the box are matched."""
    doc = client.get("/ogc/collections/complaints/items?bbox=114.50,-3.40,114.52,-3.38&limit=10000").get_json()
    assert 0 < doc["numberMatched"] < city_data["loaded"]
    assert all(114.50 <= f["geometry"]["coordinates"][0] <= 114.52 for f in doc["features"])


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-05-01/2026-04-01", "../..", "a/b/c"])
def test_bad_datetime_is_400(client, value):
    """Malformed, inverted or fully open intervals are refused."""
    r = client.get("/ogc/collections/complaints/items", query_string={"datetime": value})
    assert r.status_code == 400 and r.get_json()["code"] == "InvalidParameterValue"


@pytest.mark.parametrize("collection", ["complaints", "hexbins", "hotspots"])
@pytest.mark.parametrize("value", ["9999-12-31", "../9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01",
                                   "0001-01-01T00:00:00Z/.."])
def test_a_date_at_the_end_of_the_calendar_is_400_not_500(client, collection, value):
    """Years Python's dates cannot step past (a day added, a period gone back) are refused in both languages."""
    r = client.get(f"/ogc/collections/{collection}/items", query_string={"datetime": value})
    assert r.status_code == 400 and r.get_json()["code"] == "InvalidParameterValue"
    assert "1900" in r.get_json()["description"] and "2999" in r.get_json()["description"]


def test_the_last_moment_of_the_accepted_years_is_a_valid_instant(client):
    """2999-12-31T23:59:59Z is within range: an instant matching nothing, not an error."""
    r = client.get("/ogc/collections/complaints/items", query_string={"datetime": "2999-12-31T23:59:59Z"})
    assert r.status_code == 200 and r.get_json()["numberMatched"] == 0


def test_datetime_open_interval_filters(client, city_data):
    """An open-ended interval keeps only complaints on or after its start."""
    everything = client.get("/ogc/collections/complaints/items?limit=1").get_json()["numberMatched"]
    since = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=60)
    doc = client.get("/ogc/collections/complaints/items", query_string={
        "datetime": since.isoformat() + "/..", "limit": 10000}).get_json()
    assert 0 < doc["numberMatched"] < everything
    assert all(dt.datetime.fromisoformat(f["properties"]["created_at"]) >= since for f in doc["features"])


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_the_storage_crs_can_be_asked_for_by_name(client, city_data):
    """Part 2 as GDAL and QGIS use it: `crs`/`bbox-crs` naming CRS84 are answered, with Content-Crs."""
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in \
        client.get("/ogc/conformance").get_json()["conformsTo"]
    assert client.get("/ogc/collections/complaints").get_json()["storageCrs"] == CRS84
    r = client.get("/ogc/collections/complaints/items", query_string={
        "crs": CRS84, "bbox-crs": CRS84, "bbox": "114.4,-3.5,114.7,-3.2"})
    assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{CRS84}>"
    assert r.get_json()["numberMatched"] == city_data["loaded"]
    one = client.get(f"/ogc/collections/complaints/items/{city_data['pii_code']}", query_string={"crs": CRS84})
    assert one.status_code == 200 and one.headers["Content-Crs"] == f"<{CRS84}>"


@pytest.mark.parametrize("name", ["crs", "bbox-crs"])
def test_a_crs_not_offered_is_400_naming_the_parameter(client, name):
    r = client.get("/ogc/collections/complaints/items",
                   query_string={name: "http://www.opengis.net/def/crs/EPSG/0/3857"})
    doc = r.get_json()
    assert r.status_code == 400 and doc["parameter"] == name and CRS84 in doc["description_en"]


def test_single_item_by_tracking_code(client, city_data):
    """/items/{fid} returns one Feature with self and collection links."""
    r = client.get(f"/ogc/collections/complaints/items/{city_data['pii_code']}")
    doc = r.get_json()
    assert r.mimetype == GEOJSON and doc["type"] == "Feature" and doc["id"] == city_data["pii_code"]
    assert {"self", "collection"} <= set(_rels(doc))


def test_an_item_asked_for_by_a_code_typed_by_hand_is_found_with_its_own_id(client, city_data):
    typed = city_data["pii_code"].lower().replace("-", "")
    doc = client.get(f"/ogc/collections/complaints/items/{typed}").get_json()
    assert doc["type"] == "Feature" and doc["id"] == city_data["pii_code"]


def test_unknown_item_is_404(client, city_data):
    """A feature id that does not exist answers 404 in OGC shape."""
    r = client.get("/ogc/collections/kelurahan/items/00.00.00.0000")
    assert r.status_code == 404 and r.get_json()["code"] == "NotFound"


def test_complaint_items_never_carry_reporter_data(client, city_data):
    """No reporter name, phone or e-mail appears in any complaints item."""
    body = client.get("/ogc/collections/complaints/items?limit=10000").get_data(as_text=True)
    assert city_data["pii_code"] in body
    assert not any(v in body for v in PII.values())


def test_kelurahan_population_missing_is_null(client):
    """A kelurahan without a known population has population null."""
    doc = client.get("/ogc/collections/kelurahan/items/99.01.01.1002").get_json()
    assert doc["properties"]["population"] is None and doc["geometry"]["type"] == "MultiPolygon"


def test_hexbins_items_are_h3_cells_with_counts(client, city_data):
    """hexbins items are H3 polygons whose counts add up to the period's complaints."""
    doc = client.get("/ogc/collections/hexbins/items?limit=10000").get_json()
    assert doc["features"][0]["geometry"]["type"] == "Polygon"
    assert sum(f["properties"]["count"] for f in doc["features"]) == city_data["loaded"]


def test_hotspots_items_carry_class_and_bin(client, city_data):
    """hotspots items carry the Gi* z, p, bin and class."""
    props = client.get("/ogc/collections/hotspots/items?limit=1").get_json()["features"][0]["properties"]
    assert {"z", "p", "gi_bin", "class"} <= set(props)


def test_hexbins_period_from_an_interval_open_at_the_start(client, city_data):
    """An interval ending long ago still gives a (empty) period rather than an error."""
    doc = client.get("/ogc/collections/hexbins/items?datetime=../2020-01-31&limit=5").get_json()
    assert doc["numberMatched"] > 0 and all(f["properties"]["count"] == 0 for f in doc["features"])
