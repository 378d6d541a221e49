"""JSON-ready values: datetimes in ISO 8601 with the city's offset (e.g. WITA, +08:00), decimals as floats."""
from __future__ import annotations

import datetime as dt
import decimal
from zoneinfo import ZoneInfo


def jsonable(value: object, tz: str) -> object:
    """Recursively convert rows and values for JSON."""
    if isinstance(value, dt.datetime):
        return value.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, tz) for v in value]
    return value
