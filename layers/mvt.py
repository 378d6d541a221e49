"""Mapbox vector tiles built by PostGIS (ST_AsMVTGeom / ST_AsMVT).

- `complaints` at zoom ≥ RAW_MIN_ZOOM: one point per public complaint with a few public fields.
  (z15: ~0.25 km² per tile; at z14 the centre of a dense city is already ~6 MB of points.)
- `complaints` below it: counts on a 64-unit grid of the tile (64 × 64 bins), placed at the mean position of
  the bin's complaints. Raw points at z12 over the city are ~10 MB and seconds per tile; bins are kilobytes.
  Mercator x/y are computed from lon/lat arithmetically (cheaper than ST_Transform on 400k points).
- `hexbins`: the cached H3 cells near the tile, encoded from arrays by ST_AsMVT.
"""
from __future__ import annotations

import json
import math

import h3
import pandas as pd
from sqlalchemy import Connection, text

from layers.cache import cached_bytes
from layers.filters import LayerFilter
from layers.hexbins import cell_polygon, hexbins

EXTENT = 4096
BUFFER = 64
BIN = 64
RAW_MIN_ZOOM = 15
MAX_ZOOM = 22

_RAW = """
WITH t AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
SELECT ST_AsMVT(q, 'complaints', 4096, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), t.env, 4096, 64, true) AS geom,
         c.tracking_code, cat.code AS category, c.status,
         to_char(c.created_at AT TIME ZONE :tz, 'YYYY-MM-DD') AS created
    FROM complaint c JOIN category cat ON cat.id = c.category_id, t
   WHERE c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.016), 4326) AND {where}
) q
"""

_BINNED = """
WITH t AS (SELECT ST_XMin(e) AS x0, ST_YMax(e) AS y1, ST_XMax(e) - ST_XMin(e) AS size
             FROM ST_TileEnvelope(:z, :x, :y) e),
m AS (
  SELECT radians(ST_X(c.geom)) * 6378137 AS mx,
         ln(tan(pi() / 4 + radians(ST_Y(c.geom)) / 2)) * 6378137 AS my
    FROM complaint c
   WHERE c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) AND {where}
),
b AS (
  SELECT floor((m.mx - t.x0) / t.size * 4096 / :bin) AS bx, floor((t.y1 - m.my) / t.size * 4096 / :bin) AS by,
         avg((m.mx - t.x0) / t.size * 4096) AS px, avg((t.y1 - m.my) / t.size * 4096) AS py, count(*) AS count
    FROM m, t GROUP BY 1, 2
)
SELECT ST_AsMVT(q, 'complaints', 4096, 'geom') FROM (
  SELECT ST_MakePoint(round(px), round(py)) AS geom, count::int AS count FROM b
   WHERE bx BETWEEN 0 AND 4096 / :bin - 1 AND by BETWEEN 0 AND 4096 / :bin - 1
) q
"""

_HEX = """
WITH t AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
SELECT ST_AsMVT(q, 'hexbins', 4096, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(h.g), 4326), 3857), t.env, 4096, 64, true)
           AS geom, h.cell, h.count, h.count_prev, h.change, h.per_km2
    FROM unnest(CAST(:g AS text[]), CAST(:cell AS text[]), CAST(:count AS int[]), CAST(:count_prev AS int[]),
                CAST(:change AS int[]), CAST(:per_km2 AS float8[])) AS h(g, cell, count, count_prev, change, per_km2),
         t
) q WHERE q.geom IS NOT NULL
"""


def valid_tile(z: int, x: int, y: int) -> bool:
    """Inside the WebMercatorQuad tile matrix set (and not deeper than MAX_ZOOM)."""
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east, north of a tile in degrees."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def complaints_tile(conn: Connection, flt: LayerFilter, z: int, x: int, y: int) -> bytes:
    """Raw public points at high zoom, binned counts below."""
    where, params = flt.where("c")
    params = {**params, "z": z, "x": x, "y": y, "tz": flt.tz, "bin": BIN}
    sql = (_RAW if z >= RAW_MIN_ZOOM else _BINNED).format(where=where + " AND c.public")
    return bytes(conn.execute(text(sql), params).scalar() or b"")


def hexbins_tile(conn: Connection, cells: pd.DataFrame, z: int, x: int, y: int) -> bytes:
    """The hex-bin cells whose centre lies within a cell's width of the tile."""
    if cells.empty:
        return b""
    w, s, e, n = tile_bounds(z, x, y)
    pad = 2 * h3.average_hexagon_edge_length(h3.get_resolution(cells["cell"].iloc[0]), unit="km") / 111.0
    centres = [h3.cell_to_latlng(c) for c in cells["cell"]]
    keep = [w - pad <= lng <= e + pad and s - pad <= lat <= n + pad for lat, lng in centres]
    part = cells[keep]
    params = {"z": z, "x": x, "y": y, "cell": part["cell"].tolist(),
              "g": [_geojson_text(c) for c in part["cell"]], "count": part["count"].astype(int).tolist(),
              "count_prev": part["count_prev"].astype(int).tolist(), "change": part["change"].astype(int).tolist(),
              "per_km2": part["per_km2"].astype(float).tolist()}
    return bytes(conn.execute(text(_HEX), params).scalar() or b"")


def _geojson_text(cell: str) -> str:
    return json.dumps(cell_polygon(cell))


LAYERS = ("complaints", "hexbins")


def cached_tile(conn: Connection, layer: str, flt: LayerFilter, z: int, x: int, y: int, res: int,
                version: str) -> bytes:
    """A tile of `layer`, from the shared cache or built and stored."""
    params = {"filter": flt.key(), "z": z, "x": x, "y": y, "res": res}
    if layer == "complaints":
        return cached_bytes(conn, "tile:complaints", params, lambda: complaints_tile(conn, flt, z, x, y), version)
    return cached_bytes(conn, "tile:hexbins", params,
                        lambda: hexbins_tile(conn, hexbins(conn, flt, res), z, x, y), version)
