"""Heatmap points for display: complaints binned on a ~55 m lon/lat grid in SQL, weighted by count.

The browser never receives a million points: binning keeps the picture (the heat kernel is wider than a bin)
and bounds the payload by the city's area, not by the number of complaints.
"""
from __future__ import annotations

from sqlalchemy import Connection, func, select

from aduan.models import Complaint
from layers.filters import LayerFilter

BIN_DEG = 0.0005


def heat_points(conn: Connection, flt: LayerFilter, bin_deg: float = BIN_DEG) -> list[list[float]]:
    """[[lat, lon, weight], …] (Leaflet order) with weight = complaints in the bin."""
    c = Complaint.__table__
    lat = ((func.floor(func.ST_Y(c.c.geom) / bin_deg) + 0.5) * bin_deg).label("lat")
    lon = ((func.floor(func.ST_X(c.c.geom) / bin_deg) + 0.5) * bin_deg).label("lon")
    stmt = select(lat, lon, func.count()).where(flt.condition(c)).group_by(lat, lon).order_by(lat, lon)
    return [[round(y, 6), round(x, 6), int(n)] for y, x, n in conn.execute(stmt)]
