"""H3 hexagon bins: counts, density per km² and change against the previous period of the same length.

Points are fetched once per filter and indexed with h3 in one pass; counting is a pandas group-by. The grid is
every H3 cell whose centre lies in the active city boundary plus every cell holding a complaint, so empty
cells are present with zero counts (the hotspot statistics need them).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import h3
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, func, literal, select, text

from aduan.models import Complaint
from layers.cache import cached_frame
from layers.filters import LayerFilter

_CITY = text("""
SELECT ST_AsGeoJSON(ST_Union(k.geom), 7) FROM kelurahan k
  JOIN boundary_generation g ON g.id = k.generation_id AND g.active
""")


def city_cells(conn: Connection, res: int) -> list[str]:
    """Cells whose centre lies inside the active city boundary, sorted for reproducible order."""
    shape = conn.execute(_CITY).scalar()
    return sorted(h3.geo_to_cells(json.loads(shape), res)) if shape else []


def assign_cells(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    """The H3 cell of every point (h3 has no array API; one tight pass is ~1 µs a point)."""
    cell = h3.latlng_to_cell
    return np.fromiter((cell(y, x, res) for y, x in zip(lat.tolist(), lon.tolist(), strict=True)),
                       dtype=object, count=len(lon)) if len(lon) else np.array([], dtype=object)


EPOCH = dt.date(2000, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 2000-01-01: local days travel from SQL as small integers, not as text."""
    return (day - EPOCH).days


def month_labels(days: np.ndarray) -> np.ndarray:
    """'YYYY-MM' of day numbers, vectorised."""
    dates = np.datetime64(EPOCH, "D") + np.asarray(days, dtype="int64").astype("timedelta64[D]")
    return np.datetime_as_string(dates.astype("datetime64[M]"), unit="M")


def fetch_points(conn: Connection, flt: LayerFilter) -> pd.DataFrame:
    """lon, lat and the local day number of every matching complaint."""
    c = Complaint.__table__
    day = func.timezone(flt.tz, c.c.created_at).cast(Date) - literal(EPOCH, Date)
    rows = conn.execute(select(func.ST_X(c.c.geom), func.ST_Y(c.c.geom), day).where(flt.condition(c))).all()
    frame = pd.DataFrame(rows, columns=["lon", "lat", "day"])
    return frame.astype({"lon": "float64", "lat": "float64", "day": "int64"})


def cell_points(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """Each matching complaint's cell and local day."""
    pts = fetch_points(conn, flt)
    return pd.DataFrame({"cell": assign_cells(pts["lon"].to_numpy(), pts["lat"].to_numpy(), res),
                         "day": pts["day"].to_numpy()})


def full_grid(conn: Connection, res: int, cells_with_data: np.ndarray) -> list[str]:
    """City cells plus the cells where complaints fall outside them (snapped points at the edge)."""
    return sorted(set(city_cells(conn, res)) | set(cells_with_data.tolist()))


def _counts(cells: pd.Series, grid: list[str]) -> np.ndarray:
    return cells.value_counts().reindex(grid, fill_value=0).to_numpy(dtype=np.int64)


def hexbin_table(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """One row per cell: count, previous-period count, change, per km²; empty cells included."""
    prev = flt.previous()
    pts = cell_points(conn, replace(flt, start=prev.start), res)
    current = pts["day"] >= day_number(flt.start)
    grid = full_grid(conn, res, pts["cell"].unique())
    out = pd.DataFrame({"cell": grid, "count": _counts(pts.loc[current, "cell"], grid),
                        "count_prev": _counts(pts.loc[~current, "cell"], grid)})
    out["change"] = out["count"] - out["count_prev"]
    out["change_pct"] = np.where(out["count_prev"] > 0,
                                 100.0 * out["change"] / out["count_prev"].where(out["count_prev"] > 0, 1), np.nan)
    out["area_km2"] = [h3.cell_area(c, unit="km^2") for c in grid]
    out["per_km2"] = out["count"] / out["area_km2"]
    return out


def hexbins(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """The cached hex-bin layer for a filter."""
    return cached_frame(conn, "hexbins", {"filter": flt.key(), "res": res}, lambda: hexbin_table(conn, flt, res))


def cell_polygon(cell: str) -> dict:
    """GeoJSON polygon of a cell (lon, lat order, closed ring)."""
    ring = [[round(lng, 7), round(lat, 7)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def cell_features(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """GeoJSON features for cells with the given columns as properties (NaN becomes null)."""
    props = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict(orient="records")
    return [{"type": "Feature", "id": c, "geometry": cell_polygon(c), "properties": {"cell": c, **p}}
            for c, p in zip(frame["cell"], props, strict=True)]
