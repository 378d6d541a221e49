"""Mapbox vector tiles built by PostGIS (ST_AsMVTGeom / ST_AsMVT).

- `complaints` at zoom ≥ RAW_MIN_ZOOM: one point per public complaint with a few public fields.
  (z15: ~0.25 km² per tile; at z14 the centre of a dense city is already ~6 MB of points.)
- `complaints` from BIN_MIN_ZOOM below it: counts on a 64-unit grid of the tile (64 × 64 bins), placed at the
  mean position of the bin's complaints. Mercator x/y are computed from lon/lat arithmetically.
- `complaints` below BIN_MIN_ZOOM: one point per H3 cell of the layers' grid at the cell's centre with its
  count, from the per-cell counts (layers/counts.py) — a tile of the whole city without reading its points.
- `hexbins`: the H3 cells within two cell edges of the tile (`tile_cells`), encoded from arrays by ST_AsMVT.

Tiles are cached per tile: below BIN_MIN_ZOOM on the city's data version (such a tile shows the whole city),
from it on the newest change among the cells that touch the tile, so a new complaint in one kelurahan leaves
the tiles elsewhere cached. A binned tile is summed from parts per cell and city-time month cached the same way,
so the write that changes it costs reading the points of its own cell in its own month, not of the whole tile.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace
from itertools import groupby
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Float,
    LargeBinary,
    Select,
    cast,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from aduan.db import array_literal, plan_for_values, serial_plans
from aduan.models import Category, Complaint
from geo.cells import cell_names
from layers.cache import cached_bytes, cached_frame, cached_many, data_version
from layers.counts import cell_month_versions, cell_totals, cells_version, check_grid
from layers.filters import LayerFilter, next_month
from layers.hexbins import cell_polygon, hexbin_table, hexbins

EXTENT = 4096  # tile coordinate space
BUFFER = 64  # geometry kept this far outside the tile, in tile units
BIN = 64  # tile units per bin at low zoom (64 × 64 bins)
RAW_MIN_ZOOM = 15
BIN_MIN_ZOOM = 13
MAX_ZOOM = 22
HALF_WORLD = 20037508.342789244  # WebMercatorQuad bounds (metres)
EARTH_RADIUS = 6378137.0

_HEX = """
WITH t AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
SELECT ST_AsMVT(q, 'hexbins', :extent, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(h.g), 4326), 3857), t.env, :extent, :buffer, true)
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


def _mvt(rows: Select, layer: str) -> Select:
    """ST_AsMVT over the rows of a subquery `q` whose `geom` is in tile coordinates."""
    q = rows.subquery("q")
    return select(func.ST_AsMVT(q.table_valued(), layer, EXTENT, "geom")).select_from(q)


def _in_tile(c, z: int, x: int, y: int, margin: float = 0.0) -> ColumnElement[bool]:
    """Points whose bounding box meets the tile (grown by `margin` of its size), on the GiST index of geom."""
    envelope = text("ST_TileEnvelope(:z, :x, :y, margin => :margin)").bindparams(z=z, x=x, y=y, margin=margin)
    return c.c.geom.op("&&")(func.ST_Transform(envelope, 4326))


def _raw(flt: LayerFilter, z: int, x: int, y: int) -> Select:
    """One point per public complaint with a few public fields (the point layer's properties)."""
    c, cat = Complaint.__table__, Category.__table__
    envelope = func.ST_TileEnvelope(z, x, y)
    geom = func.ST_AsMVTGeom(func.ST_Transform(c.c.geom, 3857), envelope, EXTENT, BUFFER, True)
    rows = (select(geom.label("geom"), c.c.tracking_code, cat.c.code.label("category"), c.c.status,
                   func.to_char(func.timezone(flt.tz, c.c.created_at), "YYYY-MM-DD").label("created"))
            .select_from(c.join(cat, cat.c.id == c.c.category_id))
            .where(_in_tile(c, z, x, y, margin=BUFFER / EXTENT), flt.condition(c), c.c.public))
    return _mvt(rows, "complaints")


def _cell_bins(flt: LayerFilter, z: int, x: int, y: int, cells: list[int], months: list[dt.date]) -> Select:
    """The tile's public complaints of `cells` created in the consecutive city-time `months`, binned per cell and
    month on the tile's BIN grid: a row per (cell, month's position in `months` from 1) with its bins (bx, by, n,
    sx, sy: the sums of their pixel coordinates) packed as big-endian float64 bytes, one value for Python to
    convert instead of thousands of rows. Mercator x/y come from lon/lat arithmetically (cheaper than ST_Transform
    on many points). The points are found by the (cell, date) index in the months' partitions; the tile's box is a
    condition only where it cuts the cells. Where it does not it adds nothing but a wrong estimate: the planner
    takes a cell's points inside their own box for a tenth of them, and then sorted the densest cell's 34,000
    points to group them instead of hashing (68 → 50 ms)."""
    c = Complaint.__table__
    size = 2 * HALF_WORLD / 2**z
    x0, y1 = -HALF_WORLD + x * size, HALF_WORLD - y * size
    mx = func.radians(func.ST_X(c.c.geom)) * EARTH_RADIUS
    my = func.ln(func.tan(func.pi() / 4 + func.radians(func.ST_Y(c.c.geom)) / 2)) * EARTH_RADIUS
    px, py = (mx - x0) / size * EXTENT, (y1 - my) / size * EXTENT
    w, s, e, n = tile_bounds(z, x, y)
    corners = [ll for cell in cell_names(cells) for ll in h3.cell_to_boundary(cell)]
    lats, lngs = [a for a, _ in corners], [b for _, b in corners]
    within = replace(flt, start=max(flt.start, months[0]), end=min(flt.end, next_month(months[-1])))
    where = [c.c.h3_cell == func.any(cast(cells, ARRAY(BigInteger))), within.condition(c), c.c.public]
    if min(lngs) < w or max(lngs) > e or min(lats) < s or max(lats) > n:
        box = func.ST_MakeEnvelope(max(w, min(lngs)), max(s, min(lats)), min(e, max(lngs)), min(n, max(lats)), 4326)
        where.append(c.c.geom.op("&&")(box))
    zone = ZoneInfo(flt.tz)  # each month after the first begins at its local midnight
    firsts = [dt.datetime.combine(m, dt.time(0), zone) for m in months[1:]]
    month = func.width_bucket(c.c.created_at, cast(firsts, ARRAY(DateTime(timezone=True)))) + 1
    m = select(c.c.h3_cell.label("cell"), month.label("month"), px.label("px"), py.label("py")).where(*where)
    m = m.subquery("m")
    bx, by = func.floor(m.c.px / BIN), func.floor(m.c.py / BIN)
    g = (select(m.c.cell, m.c.month, bx.label("bx"), by.label("by"), func.count().label("n"),
                func.sum(m.c.px).label("sx"), func.sum(m.c.py).label("sy"))
         .group_by(m.c.cell, m.c.month, bx, by).cte("g").prefix_with("MATERIALIZED"))
    # MATERIALIZED: the bins are summed by hashing, as alone. Planned with the packing around them, both groupings
    # were done by one sort of all the points, which spilled to disk at z13 (351,587 points: 1.47 s against 0.87 s).
    packed = func.float8send(g.c.bx)
    for col in (g.c.by, cast(g.c.n, Float), g.c.sx, g.c.sy):
        packed = packed.op("||")(func.float8send(col))
    return (select(g.c.cell, g.c.month, func.string_agg(packed, literal(b"", LargeBinary)))
            .group_by(g.c.cell, g.c.month))


def _bin_parts(conn: Connection, flt: LayerFilter, z: int, x: int, y: int,
               parts: list[tuple[int, dt.date]]) -> list[bytes]:
    """Each (cell, month)'s part of the tile (rows of bx, by, n, sx, sy as float64): one query per run of
    consecutive months with parts wanted, for the cells wanted in them (a new tile: one query; after a new
    complaint: one for this month). The bins on the box's edge that fall outside the tile are dropped here, not by
    a HAVING on the bin expressions: the planner cannot estimate such a condition and then sorted tens of
    thousands of points (134 → 113 ms for the densest cell of the centre)."""
    wanted = sorted({month for _, month in parts})
    runs = [[wanted[0]]]
    for month in wanted[1:]:
        if month == next_month(runs[-1][-1]):
            runs[-1].append(month)
        else:
            runs.append([month])
    last = EXTENT // BIN - 1
    made: dict[tuple[int, dt.date], bytes] = {}
    for run in runs:
        cells = sorted({cell for cell, month in parts if run[0] <= month <= run[-1]})
        for cell, i, packed in conn.execute(_cell_bins(flt, z, x, y, cells, run)):
            values = np.frombuffer(packed, dtype=">f8").reshape(-1, 5).astype(np.float64)
            inside = (values[:, 0] >= 0) & (values[:, 0] <= last) & (values[:, 1] >= 0) & (values[:, 1] <= last)
            made[(cell, run[i - 1])] = values[inside].tobytes()
    return [made.get(p, b"") for p in parts]


_BIN_POINTS = """
SELECT ST_AsMVT(q, 'complaints', :extent, 'geom') FROM (
  SELECT ST_MakePoint(p.px, p.py) AS geom, p.count
    FROM unnest(CAST(:px AS float8[]), CAST(:py AS float8[]), CAST(:count AS int[])) AS p(px, py, count)
) q
"""


def _merged(parts: list[bytes]) -> np.ndarray:
    """Parts (rows of bx, by, n, sx, sy as float64 bytes) summed per bin, ordered by (bx, by)."""
    side = EXTENT // BIN
    rows = np.concatenate([np.frombuffer(p, dtype=np.float64).reshape(-1, 5) for p in parts] or [np.empty((0, 5))])
    bins = (rows[:, 0] * side + rows[:, 1]).astype(np.int64)
    sums = np.stack([np.bincount(bins, weights=rows[:, k], minlength=side * side) for k in (2, 3, 4)], axis=1)
    held = np.flatnonzero(sums[:, 0])
    return np.column_stack([held // side, held % side, sums[held]]).astype(np.float64)


def _binned(conn: Connection, flt: LayerFilter, z: int, x: int, y: int, res: int) -> bytes:
    """Counts on a BIN-unit grid of the tile, each placed at the mean position of its complaints, summed from one
    cached part per cell, each summed from cached parts per city-time month of that cell. After a write the part
    of the written cell is summed again from its months' parts, and only the written month's is read from the
    points (a new complaint: its cell's complaints of this month, ~2,400 at 1M in the densest cell of the centre,
    not its 45,000). The parts' versions are the newest change of their (cell, month) pairs within the filter's
    months; a pair without a recorded change holds no complaint and has no part."""
    check_grid(conn, res, flt.tz)  # the cells and months stored are the cells and months asked for
    cells, months = tile_cells(z, x, y, res), flt.months()
    versions = cell_month_versions(conn, cells, months)
    held: dict[int, list[tuple[dt.date, int]]] = {}
    for (cell, month), v in sorted(versions.items()):
        held.setdefault(cell, []).append((month, v))
    tile = {"filter": flt.key(), "z": z, "x": x, "y": y}

    def cell_parts(wanted: list[int]) -> list[bytes]:  # from the months' parts, the missing ones from the points
        entries = [(cell, month, v) for cell in wanted for month, v in held[cell]]
        parts = cached_many(conn, "tile:bins:month", [({**tile, "cell": cell, "month": month.isoformat()}, str(v))
                                                      for cell, month, v in entries],
                            lambda missing: _bin_parts(conn, flt, z, x, y, [entries[i][:2] for i in missing]))
        by_cell = groupby(zip(entries, parts, strict=True), key=lambda entry: entry[0][0])  # entries run by cell
        return [_merged([p for _, p in group]).tobytes() for _, group in by_cell]

    order = list(held)
    parts = cached_many(conn, "tile:bins", [({**tile, "cell": cell}, str(max(v for _, v in held[cell])))
                                            for cell in order], lambda missing: cell_parts([order[i] for i in missing]))
    bins = _merged(parts)
    if not len(bins):
        return b""
    n = bins[:, 2]
    params = {"extent": EXTENT, "count": array_literal(n.astype(int)), "px": array_literal(np.round(bins[:, 3] / n)),
              "py": array_literal(np.round(bins[:, 4] / n))}
    return bytes(conn.execute(text(_BIN_POINTS), params).scalar() or b"")


_CELL_POINTS = """
SELECT ST_AsMVT(q, 'complaints', :extent, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), 3857), ST_TileEnvelope(:z, :x, :y),
                      :extent, 0, true) AS geom, p.count
    FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[]), CAST(:count AS int[])) AS p(lon, lat, count)
) q WHERE q.geom IS NOT NULL
"""


def _cell_points(conn: Connection, cells: pd.DataFrame, z: int, x: int, y: int) -> bytes:
    """A point at the centre of each cell with complaints whose centre lies in the tile (once over all tiles)."""
    w, s, e, n = tile_bounds(z, x, y)
    part = cells[cells["count"] > 0]
    centres = [h3.cell_to_latlng(c) for c in part["cell"]]
    keep = [w <= lng < e and s < lat <= n for lat, lng in centres]
    if not any(keep):
        return b""
    lat, lon = zip(*(c for c, k in zip(centres, keep, strict=True) if k), strict=True)
    params = {"z": z, "x": x, "y": y, "extent": EXTENT, "lon": list(lon), "lat": list(lat),
              "count": array_literal(part.loc[keep, "count"].astype(int))}
    return bytes(conn.execute(text(_CELL_POINTS), params).scalar() or b"")


def complaints_tile(conn: Connection, flt: LayerFilter, z: int, x: int, y: int, res: int) -> bytes:
    """Raw public points at high zoom, binned counts below, per-cell counts at city scale."""
    plan_for_values(conn)  # planned for this tile's box and dates (a cache hit never gets here)
    serial_plans(conn)  # while the city works the cores are taken: workers would cost more than they save
    if z < BIN_MIN_ZOOM:  # the period's counts (not the period before), summed once for all tiles of a version
        totals = cached_frame(conn, "cell_totals", {"filter": flt.key(), "res": res},
                              lambda: cell_totals(conn, flt, res))
        return _cell_points(conn, totals, z, x, y)
    if z < RAW_MIN_ZOOM:
        return _binned(conn, flt, z, x, y, res)
    return bytes(conn.execute(_raw(flt, z, x, y)).scalar() or b"")


def hexbins_tile(conn: Connection, cells: pd.DataFrame, z: int, x: int, y: int, res: int) -> bytes:
    """The hex-bin cells near the tile as polygons with their counts: from BIN_MIN_ZOOM `cells` holds exactly
    `tile_cells` (those its version follows); at city scale the whole city's, kept where their centre lies within
    the same padded bounds (enumerating every cell of a z2 tile would be millions)."""
    if z >= BIN_MIN_ZOOM:
        part = cells
    else:
        w, s, e, n = _padded_bounds(z, x, y, res)
        centres = [h3.cell_to_latlng(c) for c in cells["cell"]]
        part = cells[[w <= lng <= e and s <= lat <= n for lat, lng in centres]]
    if part.empty:
        return b""
    params = {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER, "cell": part["cell"].tolist(),
              "g": [_geojson_text(c) for c in part["cell"]], "count": array_literal(part["count"].astype(int)),
              "count_prev": array_literal(part["count_prev"].astype(int)),
              "change": array_literal(part["change"].astype(int)), "per_km2": array_literal(part["per_km2"])}
    return bytes(conn.execute(text(_HEX), params).scalar() or b"")


def _geojson_text(cell: str) -> str:
    return json.dumps(cell_polygon(cell))


LAYERS = ("complaints", "hexbins")


def tile_cells(z: int, x: int, y: int, res: int) -> list[int]:
    """The cells of the layers' grid whose centre lies within two cell edges of the tile: the cells its hex-bin
    layer draws, and a superset of those its points (buffer included) fall in, since a point is never farther
    than one edge from its cell's centre."""
    w, s, e, n = tile_bounds(z, x, y)
    west, south, east, north = _padded_bounds(z, x, y, res)
    ring = [(south, west), (south, east), (north, east), (north, west)]
    inside = {*h3.polygon_to_cells(h3.LatLngPoly(ring), res), h3.latlng_to_cell((s + n) / 2, (w + e) / 2, res)}
    return sorted(h3.str_to_int(c) for c in inside)


def _padded_bounds(z: int, x: int, y: int, res: int) -> tuple[float, float, float, float]:
    """The tile's bounds grown by two cell edges (in degrees of latitude, and of longitude at its latitude)."""
    w, s, e, n = tile_bounds(z, x, y)
    pad = 2 * h3.average_hexagon_edge_length(res, unit="km") / 111.0
    wide = pad / max(0.05, math.cos(math.radians(max(abs(s), abs(n)))))
    return w - wide, s - pad, e + wide, n + pad


def tile_version(conn: Connection, z: int, x: int, y: int, res: int) -> str:
    """What a tile depends on: the city's data version below BIN_MIN_ZOOM, from it the newest change among the
    cells it touches (and the boundary generation, which frames the hex-bin grid)."""
    if z < BIN_MIN_ZOOM:
        return data_version(conn)
    return cells_version(conn, tile_cells(z, x, y, res))


def cached_tile(conn: Connection, layer: str, flt: LayerFilter, z: int, x: int, y: int, res: int,
                version: str) -> bytes:
    """A tile of `layer`, from the shared cache or built and stored (`version` from `tile_version`)."""
    params = {"filter": flt.key(), "z": z, "x": x, "y": y, "res": res}
    if layer == "complaints":
        return cached_bytes(conn, "tile:complaints", params, lambda: complaints_tile(conn, flt, z, x, y, res),
                            version)

    def cells() -> pd.DataFrame:  # a city-scale tile shares the cached layer; a closer one sums its own cells
        return hexbins(conn, flt, res) if z < BIN_MIN_ZOOM else hexbin_table(conn, flt, res, tile_cells(z, x, y, res))

    return cached_bytes(conn, "tile:hexbins", params, lambda: hexbins_tile(conn, cells(), z, x, y, res), version)
