"""The public projection of a complaint: the one place that says which fields leave the building.

OGC API items, exports, the late-ticket layer and vector tiles all select through here. Nothing joins the
reporter table; the internal id, routing internals, channel, idempotency key and external ids stay inside.
Only complaints flagged public (not confidential categories) are ever selected.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

PUBLIC_FIELDS = ("tracking_code", "category", "category_name", "category_name_en", "status", "description",
                 "address", "created_at", "updated_at", "followup_due_at", "handling_due_at", "followed_up_at",
                 "resolved_at", "closed_at", "supporters", "kelurahan_code", "kelurahan", "kecamatan",
                 "skpd_code", "skpd")

_SELECT = """
SELECT c.tracking_code, cat.code AS category, cat.name_id AS category_name, cat.name_en AS category_name_en,
       c.status, c.description, c.address, c.created_at, c.updated_at, c.followup_due_at, c.handling_due_at,
       c.followed_up_at, c.resolved_at, c.closed_at, c.supporters, k.code AS kelurahan_code, k.name AS kelurahan,
       kc.name AS kecamatan, s.code AS skpd_code, s.name AS skpd,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat {extra}
  FROM complaint c
  JOIN category cat ON cat.id = c.category_id
  JOIN skpd s ON s.id = c.skpd_id
  JOIN kelurahan k ON k.id = c.kelurahan_id
  LEFT JOIN kecamatan kc ON kc.id = c.kecamatan_id
 WHERE c.public AND ({where})
 ORDER BY c.id
"""


def select_public(conn: Connection, where: str, params: dict, *, limit: int | None = None, offset: int = 0,
                  extra: str = "") -> list[dict]:
    """Public complaints matching `where` (constant SQL over alias `c`, values bound in `params`), by id."""
    where = where or "true"
    if limit is not None:  # page over ids alone, then join names for that page only (deep offsets stay cheap)
        where = (f"c.id IN (SELECT c.id FROM complaint c WHERE c.public AND ({where}) ORDER BY c.id "
                 "LIMIT :p_limit OFFSET :p_offset)")
        params = {**params, "p_limit": limit, "p_offset": offset}
    sql = _SELECT.format(where=where, extra=extra)
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def count_public(conn: Connection, where: str, params: dict) -> int:
    """How many public complaints match (for numberMatched)."""
    return conn.execute(text("SELECT count(*) FROM complaint c WHERE c.public AND (" + (where or "true") + ")"),
                        params).scalar_one()


def iso(value: object) -> object:
    """Datetimes as ISO 8601 text with their offset; everything else unchanged."""
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def feature(row: dict, fields: tuple[str, ...] = PUBLIC_FIELDS, extra: tuple[str, ...] = ()) -> dict:
    """A GeoJSON feature of a public complaint; its id is the tracking code."""
    props = {f: iso(row[f]) for f in fields + extra}
    return {"type": "Feature", "id": row["tracking_code"],
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}, "properties": props}
