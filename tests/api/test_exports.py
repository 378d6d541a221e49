"""Exports of public complaints and layers (GeoJSON, CSV, GeoPackage): filtered, public fields only."""
from __future__ import annotations

import csv
import io

import pyogrio
import pytest
from sqlalchemy import text

from tests import planner_data
from tests.planner_data import PII

city_data = planner_data.city_data  # the fixture, by name


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_complaint_exports_never_contain_reporter_data(client, city_data, fmt):
    """The reporter's name, phone and e-mail appear in no export format, while the ticket itself does."""
    body = client.get(f"/planner/export/complaints.{fmt}").data
    assert city_data["pii_code"].encode() in body
    assert not any(v.encode() in body for v in PII.values())


def test_geojson_export_is_a_feature_collection_of_public_fields(client, city_data):
    """GeoJSON has one point per complaint and only the public property names."""
    r = client.get("/planner/export/complaints.geojson")
    doc = r.get_json(force=True)
    assert r.mimetype == "application/geo+json" and len(doc["features"]) == city_data["loaded"]
    props = set(doc["features"][0]["properties"])
    assert "reporter_id" not in props and "routing" not in props and "tracking_code" in props


def test_csv_export_has_lon_lat_and_an_attachment_name(client, city_data):
    """CSV carries lon/lat columns and downloads as a named file."""
    r = client.get("/planner/export/complaints.csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == city_data["loaded"] and {"lon", "lat"} <= set(rows[0])
    assert "attachment" in r.headers["Content-Disposition"]


def test_gpkg_export_opens_as_a_layer(client, city_data, tmp_path):
    """The GeoPackage opens with pyogrio as a layer of points in EPSG:4326."""
    path = tmp_path / "x.gpkg"
    path.write_bytes(client.get("/planner/export/complaints.gpkg").data)
    info = pyogrio.read_info(path, layer="complaints")
    assert info["features"] == city_data["loaded"] and info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326"


def test_export_applies_the_filter(client, city_data):
    """category=sampah exports only waste complaints."""
    doc = client.get("/planner/export/complaints.geojson?category=sampah").get_json(force=True)
    assert doc["features"] and {f["properties"]["category"] for f in doc["features"]} == {"sampah"}


def test_non_public_complaints_are_not_exported(client, city_data, engine):
    """A complaint flagged non-public (confidential) is left out."""
    with engine.begin() as conn:
        hidden = conn.execute(text("UPDATE complaint SET public = false WHERE id = (SELECT min(id) FROM complaint) "
                                   "RETURNING tracking_code")).scalar_one()
    assert hidden.encode() not in client.get("/planner/export/complaints.csv").data


@pytest.mark.parametrize("name", ["hexbins", "hotspots", "emerging", "choropleth", "late"])
def test_layer_exports_as_gpkg(client, city_data, tmp_path, name):
    """Every layer exports as a GeoPackage with features."""
    path = tmp_path / f"{name}.gpkg"
    path.write_bytes(client.get(f"/planner/export/{name}.gpkg").data)
    assert pyogrio.read_info(path, layer=name)["features"] > 0


def test_layer_csv_has_wkt_for_polygons(client, city_data):
    """Polygon layers put their geometry in a WKT column."""
    header = client.get("/planner/export/hexbins.csv").get_data(as_text=True).splitlines()[0]
    assert header.endswith(",wkt") and "count" in header


def test_unknown_format_is_404(client):
    """Only geojson, csv and gpkg exist."""
    assert client.get("/planner/export/complaints.shp").status_code == 404


def test_unknown_layer_is_404(client):
    """An export of a layer that does not exist is a 404."""
    assert client.get("/planner/export/reporters.csv").status_code == 404
