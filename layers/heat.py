"""Heatmap points for display: complaints binned on a ~55 m lon/lat grid in SQL, weighted by count.

The browser never receives a million points: binning keeps the picture (the heat kernel is wider than a bin)
and bounds the payload by the city's area, not by the number of complaints.
"""
from __future__ import annotations

from sqlalchemy import Connection, text

from layers.filters import LayerFilter

BIN_DEG = 0.0005


def heat_points(conn: Connection, flt: LayerFilter, bin_deg: float = BIN_DEG) -> list[list[float]]:
    """[[lat, lon, weight], …] (Leaflet order) with weight = complaints in the bin."""
    where, params = flt.where("c")
    sql = text(
        "SELECT (floor(ST_Y(c.geom) / :b) + 0.5) * :b AS lat, (floor(ST_X(c.geom) / :b) + 0.5) * :b AS lon, "
        "count(*) AS n FROM complaint c WHERE " + where + " GROUP BY 1, 2 ORDER BY 1, 2")
    return [[round(lat, 6), round(lon, 6), int(n)] for lat, lon, n in conn.execute(sql, {**params, "b": bin_deg})]
