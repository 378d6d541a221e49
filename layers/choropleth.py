"""Kelurahan choropleth: complaints, per km² and per 1,000 residents of the active boundary generation.

Complaints keep the kelurahan they were routed to (a snapshot); they are matched to the active generation by
kelurahan code, so a re-import of boundaries does not need a 1M-point spatial join. A kelurahan without a known
population gets no rate (null, shown as "no data"), never a rate of zero.
"""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Connection, text

from layers.cache import cached_frame
from layers.filters import LayerFilter

_SQL = """
WITH counts AS (
    SELECT k0.code, count(*) AS n
      FROM complaint c JOIN kelurahan k0 ON k0.id = c.kelurahan_id
     WHERE {where}
     GROUP BY k0.code
)
SELECT k.id, k.code, k.name, kc.code AS kecamatan_code, kc.name AS kecamatan_name, k.population, k.area_km2,
       coalesce(counts.n, 0) AS count
  FROM kelurahan k
  JOIN boundary_generation g ON g.id = k.generation_id AND g.active
  LEFT JOIN kecamatan kc ON kc.id = k.kecamatan_id
  LEFT JOIN counts ON counts.code = k.code
 ORDER BY k.code
"""


def choropleth_table(conn: Connection, flt: LayerFilter) -> pd.DataFrame:
    """One row per kelurahan with count, per_km2 and per_1000 (null where population is unknown)."""
    where, params = flt.where("c")
    frame = pd.DataFrame(conn.execute(text(_SQL.format(where=where)), params).mappings().all(),
                         columns=["id", "code", "name", "kecamatan_code", "kecamatan_name", "population",
                                  "area_km2", "count"])
    frame["population"] = frame["population"].astype("Float64")
    frame["per_km2"] = frame["count"] / frame["area_km2"].where(frame["area_km2"] > 0)
    rate = 1000.0 * frame["count"] / frame["population"].where(frame["population"] > 0)
    frame["per_1000"] = rate.astype("float64")
    frame["population"] = frame["population"].astype(object).where(frame["population"].notna(), None)
    return frame


def choropleth(conn: Connection, flt: LayerFilter) -> pd.DataFrame:
    """The cached kelurahan layer for a filter."""
    return cached_frame(conn, "choropleth", {"filter": flt.key()}, lambda: choropleth_table(conn, flt))


def kelurahan_geometries(conn: Connection) -> dict[str, dict]:
    """GeoJSON geometry of each active kelurahan by code (simplified ~5 m for the browser)."""
    rows = conn.execute(text(
        "SELECT k.code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(k.geom, 0.00005), 6) FROM kelurahan k "
        "JOIN boundary_generation g ON g.id = k.generation_id AND g.active")).all()
    return {code: json.loads(g) for code, g in rows}
