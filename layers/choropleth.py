"""Kelurahan choropleth: complaints, per km² and per 1,000 residents of the active boundary generation.

Complaints keep the kelurahan they were routed to (a snapshot), counted in `complaint_count`; they are matched
to the active generation by kelurahan code, so a re-import of boundaries does not need a 1M-point spatial join.
A kelurahan without a known population gets no rate (null, shown as "no data"), never a rate of zero.
"""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import BigInteger, Connection, Select, func, select, text

from aduan.models import BoundaryGeneration, Kecamatan, Kelurahan
from layers.cache import cached_frame
from layers.counts import check_grid, kelurahan_totals
from layers.filters import LayerFilter


def _rows(flt: LayerFilter) -> Select:
    """Every active kelurahan with its count of matching complaints (matched by code, see above)."""
    routed, per_kelurahan = Kelurahan.__table__.alias("routed"), kelurahan_totals(flt).subquery("per_kelurahan")
    counts = (select(routed.c.code, func.sum(per_kelurahan.c.n).cast(BigInteger).label("n"))
              .select_from(per_kelurahan.join(routed, routed.c.id == per_kelurahan.c.kelurahan_id))
              .group_by(routed.c.code).cte("counts"))
    k, kc, g = Kelurahan.__table__, Kecamatan.__table__, BoundaryGeneration.__table__
    return (select(k.c.id, k.c.code, k.c.name, kc.c.code.label("kecamatan_code"), kc.c.name.label("kecamatan_name"),
                   k.c.population, k.c.area_km2, func.coalesce(counts.c.n, 0).label("count"))
            .select_from(k.join(g, (g.c.id == k.c.generation_id) & g.c.active)
                         .outerjoin(kc, kc.c.id == k.c.kecamatan_id).outerjoin(counts, counts.c.code == k.c.code))
            .order_by(k.c.code))


def choropleth_table(conn: Connection, flt: LayerFilter) -> pd.DataFrame:
    """One row per kelurahan with count, per_km2 and per_1000 (null where population is unknown)."""
    check_grid(conn, None, flt.tz)  # counts per kelurahan do not depend on the H3 resolution
    frame = pd.DataFrame(conn.execute(_rows(flt)).mappings().all(),
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
        "SELECT k.code, ST_AsGeoJSON(ST_ForcePolygonCCW(ST_SimplifyPreserveTopology(k.geom, 0.00005)), 6) "
        "FROM kelurahan k JOIN boundary_generation g ON g.id = k.generation_id AND g.active")).all()
    return {code: json.loads(g) for code, g in rows}
