"""Exports of public complaints and layers as GeoJSON, CSV and GeoPackage, all from one FeatureCollection.

Whatever is exported went through `layers.public` (complaints) or is an aggregate (cells, kelurahan): no reporter
data can reach a file. CSV puts lon/lat columns for points and WKT for other geometries; list-valued properties
(monthly series) become JSON text.
"""
from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

FORMATS = {"geojson": "application/geo+json", "csv": "text/csv",  # Flask adds "; charset=utf-8" to text/*
           "gpkg": "application/geopackage+sqlite3"}


def _frame(fc: dict) -> gpd.GeoDataFrame:
    feats = [f for f in fc["features"] if f.get("geometry")]
    frame = gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326") if feats else gpd.GeoDataFrame(
        geometry=[], crs="EPSG:4326")
    for col in frame.columns:
        if col != "geometry" and frame[col].map(lambda v: isinstance(v, list | dict)).any():
            frame[col] = frame[col].map(json.dumps)
    return frame


def to_geojson(fc: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": fc["features"]}, ensure_ascii=False).encode()


def to_csv(fc: dict) -> bytes:
    frame = _frame(fc)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    if len(frame) and (frame.geom_type == "Point").all():
        table["lon"], table["lat"] = frame.geometry.x.round(7), frame.geometry.y.round(7)
    elif len(frame):
        table["wkt"] = frame.geometry.to_wkt(rounding_precision=7)
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    return buf.getvalue().encode()


DATETIME_COLUMNS = ("created_at", "updated_at", "followup_due_at", "handling_due_at", "followed_up_at",
                    "resolved_at", "closed_at")


def to_gpkg(fc: dict, layer: str) -> bytes:
    """GeoPackage 1.2 (what GDAL 3.6 and QGIS 3.22 read without a warning), times as real DATETIME columns."""
    frame = _frame(fc)
    for col in DATETIME_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.gpkg"
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", VERSION="1.2")
        return path.read_bytes()


def render(fc: dict, fmt: str, layer: str) -> bytes:
    """The file body in the asked format."""
    if fmt == "geojson":
        return to_geojson(fc)
    return to_csv(fc) if fmt == "csv" else to_gpkg(fc, layer)
