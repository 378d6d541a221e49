"""What real GIS clients tripped over: exact boxes, small boxes inside a cell, queryables that match their
properties, RFC 7946 rings and precision, GeoPackage 1.2 with real dates, clean content types, long URLs."""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pyogrio
import pytest
import shapely.geometry

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar"}


def _submit(client, lon: float, lat: float) -> str:
    r = client.post("/api/v1/complaints", json=GOOD | {"lon": lon, "lat": lat})
    assert r.status_code == 201
    return r.get_json()["tracking_code"]


def test_a_complaint_just_outside_the_box_is_not_in_it(client):
    """bbox is exact: a point ~1 m east of the box's east edge is left out, one just inside is in."""
    inside, outside = _submit(client, 114.51999, -3.39), _submit(client, 114.52001, -3.39)
    doc = client.get("/ogc/collections/complaints/items?bbox=114.50,-3.40,114.52,-3.38").get_json()
    ids = {f["id"] for f in doc["features"]}
    assert inside in ids and outside not in ids and doc["numberMatched"] == 1


def test_a_small_box_inside_one_hexagon_finds_that_hexagon(client):
    """A box smaller than a cell, with no cell corner inside it, still matches the cell it lies in."""
    _submit(client, 114.51, -3.39)
    doc = client.get("/ogc/collections/hexbins/items?bbox=114.5099,-3.3901,114.5101,-3.3899").get_json()
    assert doc["numberMatched"] == 1
    cell = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert cell.contains(shapely.geometry.Point(114.51, -3.39))


def test_queryables_match_the_properties_they_are_named_after(client):
    """kelurahan=<name> and skpd=<name> filter like GDAL's -where on those properties; *_code take codes."""
    code = _submit(client, 114.51, -3.39)
    for query in ("kelurahan=Kelurahan A", "kelurahan_code=99.01.01.1001", "skpd=Dinas PUPR", "skpd_code=PUPR"):
        doc = client.get(f"/ogc/collections/complaints/items?{query}").get_json()
        assert [f["id"] for f in doc["features"]] == [code], query
    assert client.get("/ogc/collections/complaints/items?kelurahan=99.01.01.1001").get_json()["features"] == []


def test_polygons_are_counter_clockwise_and_coordinates_short(client):
    """Exterior rings wind counter-clockwise (RFC 7946) and carry at most 7 decimals."""
    for path in ("/ogc/collections/kelurahan/items", "/ogc/collections/kecamatan/items", "/api/v1/kelurahan.geojson"):
        for f in client.get(path).get_json()["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            for poly in getattr(geom, "geoms", [geom]):
                assert poly.exterior.is_ccw, (path, f["id"])
    _submit(client, 114.512345678901, -3.391234567890)
    [f] = client.get("/ogc/collections/complaints/items").get_json()["features"]
    assert all(len(str(v).split(".")[1]) <= 7 for v in f["geometry"]["coordinates"])


def test_geopackage_exports_are_version_1_2_with_real_dates(client):
    """GDAL 3.6 and QGIS 3.22 read the file without a version warning; times are DATETIME columns."""
    _submit(client, 114.51, -3.39)
    resp = client.get("/planner/export/complaints.gpkg")
    path = Path(tempfile.mkdtemp()) / "x.gpkg"
    path.write_bytes(resp.data)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (10200,)
    info = pyogrio.read_info(path)
    assert str(dict(zip(info["fields"], info["dtypes"], strict=True))["created_at"]).startswith("datetime64")


@pytest.mark.parametrize("path", ["/planner/export/complaints.csv", "/planner/performance.csv"])
def test_csv_says_its_charset_once(client, path):
    """Content-Type: text/csv; charset=utf-8 — not twice."""
    assert client.get(path).headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_ogc_description_declares_paging_and_form_arrays(client):
    """Each collection's items path declares limit's default and maximum and bbox as a form array."""
    doc = client.get("/ogc/api").get_json()
    params = {p["name"]: p for p in doc["paths"]["/collections/complaints/items"]["get"]["parameters"]}
    assert params["limit"]["schema"]["default"] == 100 and params["limit"]["schema"]["maximum"] == 10_000
    assert (params["bbox"]["style"], params["bbox"]["explode"]) == ("form", False)
    assert {"kelurahan", "kelurahan_code", "skpd", "skpd_code"} <= set(params)


def test_open311_takes_its_documented_thousand_ids_in_one_url(client):
    """1,000 service_request_id values (about 16 KB of URL) are answered, not refused for length."""
    ids = ",".join(f"BJM-2612-{i:06d}" for i in range(1000))
    resp = client.get(f"/open311/v2/requests.json?service_request_id={ids}")
    assert resp.status_code == 200 and resp.get_json() == []
