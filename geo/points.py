"""A WGS 84 point from bound `lon`/`lat` values, for statements built once and run with each request's values."""
from __future__ import annotations

from sqlalchemy import Float, bindparam, func
from sqlalchemy.sql.elements import ColumnElement


def bound_point() -> ColumnElement:
    """`ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)`; NULL when both values are None (ST_MakePoint is strict)."""
    return func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), 4326)
