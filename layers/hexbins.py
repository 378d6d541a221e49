"""H3 hexagon bins: counts, density per km² and change against the previous period of the same length.

Counts come from `complaint_count` (layers/counts.py), summed per cell in PostgreSQL. The grid is every H3
cell whose centre lies in the active city boundary plus every cell holding a complaint, so empty cells are
present with zero counts (the hotspot statistics need them).
"""
from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo.cells import cell_names
from layers.cache import cached_bytes, cached_frame
from layers.counts import cell_totals
from layers.filters import LayerFilter

_CITY = text("""
SELECT ST_AsGeoJSON(ST_Union(k.geom), 7) FROM kelurahan k
  JOIN boundary_generation g ON g.id = k.generation_id AND g.active
""")


def _city_cells(conn: Connection, res: int) -> list[str]:
    shape = conn.execute(_CITY).scalar()
    return sorted(h3.geo_to_cells(json.loads(shape), res)) if shape else []


def city_cells(conn: Connection, res: int) -> list[str]:
    """Cells whose centre lies inside the active city boundary, sorted for reproducible order; cached per boundary
    generation (the union of the kelurahan costs more than the counts it frames)."""
    generation = conn.execute(text("SELECT max(id) FROM boundary_generation WHERE active")).scalar()
    payload = cached_bytes(conn, "city_cells", {"res": res}, lambda: json.dumps(_city_cells(conn, res)).encode(),
                           version=f"generation:{generation}")
    return json.loads(payload)


def full_grid(conn: Connection, res: int, cells_with_data: pd.Series | np.ndarray) -> list[str]:
    """City cells plus the cells where complaints fall outside them (snapped points at the edge)."""
    return sorted(set(city_cells(conn, res)) | set(np.asarray(cells_with_data).tolist()))


def hexbin_table(conn: Connection, flt: LayerFilter, res: int, cells: list[int] | None = None) -> pd.DataFrame:
    """One row per cell: count, previous-period count, change, per km²; empty cells included. With `cells`, the
    rows of those cells only (a tile's: the same values, without summing the whole city)."""
    totals = cell_totals(conn, flt, res, previous=True, cells=cells).set_index("cell")
    grid = full_grid(conn, res, totals.index)
    if cells is not None:
        wanted = set(cell_names(cells))
        grid = [c for c in grid if c in wanted]
    totals = totals.reindex(grid, fill_value=0)
    out = pd.DataFrame({"cell": grid, "count": totals["count"].to_numpy(dtype=np.int64),
                        "count_prev": totals["count_prev"].to_numpy(dtype=np.int64)})
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
