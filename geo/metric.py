"""A pin in the city's metric CRS, computed before it reaches SQL.

PostgreSQL folds `ST_Transform(<constant point>, srid)` at plan time, so a pin the CRS cannot represent (lon -150
for a city in UTM 50S) failed the whole query with "Point outside of projection domain" — a 500 for a typo. PROJ
through pyproj gives infinity for such a pin instead, which means "nowhere near the city": the caller answers
with nothing nearby. The same PROJ pipeline as PostGIS, so distances agree to well under a millimetre.
"""
from __future__ import annotations

import math
from functools import cache

from pyproj import Transformer
from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement


@cache
def _to_metric(srid: int) -> Transformer:
    return Transformer.from_crs(4326, srid, always_xy=True)


def metric_pin(lon: float, lat: float, srid: int) -> ColumnElement | None:
    """The pin as a geometry in `srid`, or None when the CRS cannot hold it (far outside the city)."""
    x, y = _to_metric(srid).transform(lon, lat)
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return func.ST_SetSRID(func.ST_MakePoint(x, y), srid)
