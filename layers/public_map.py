"""The public map's points, kept compressed in the layer cache: the page every visitor opens.

The document (the newest 20,000 public complaints of 90 days, ~6.8 MB of GeoJSON at 1M complaints) is the same
for every visitor until the data changes, so it is built once per data version and city day (the 90 days move
at midnight even when nothing is written) and stored gzip-compressed: a hit costs reading ~0.7 MB, not building
the document (~0.2 s) and compressing it (~60 ms) for each visitor.
"""
from __future__ import annotations

import datetime as dt
import gzip
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from aduan.queries import public
from layers.cache import cached_bytes, data_version


def version(conn: Connection, timezone: str) -> str:
    """What the map depends on: the data version, the category names and the city's date."""
    today = dt.datetime.now(ZoneInfo(timezone)).date().isoformat()
    return f"{data_version(conn)}|{public.map_names_version(conn)}|{today}"


def points_gzip(conn: Connection, *, timezone: str, status: str | None, at_version: str) -> bytes:
    """The map's GeoJSON, gzip-compressed (`public.map_points`), from the cache or built and kept."""
    def build() -> bytes:
        return gzip.compress(public.map_points(conn, timezone=timezone, status=status), compresslevel=6, mtime=0)
    return cached_bytes(conn, "public_map", {"status": status, "timezone": timezone}, build, version=at_version)
