"""SQL for Open311 reads: service requests with their public fields only, categories as services.

Like app/public.py, nothing here joins the reporter table: reporter data cannot reach an Open311 answer.
Filters are fixed SQL fragments with bound parameters; no client text is ever put into SQL.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan.statuses import OPEN_STATUSES

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class RequestQuery:
    """The filters of GET requests: the spec's, then our documented extensions."""

    ids: list[str] | None = None
    service_codes: list[str] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: str | None = None  # 'open' | 'closed' | None (both)
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    near: tuple[float, float, float] | None = None  # lon, lat, radius in metres
    extensions: bool = False

_SELECT = """
SELECT c.id, c.tracking_code, c.status, c.description, c.address, c.public, c.created_at, c.updated_at,
       c.followup_due_at, c.handling_due_at, c.supporters, c.routing, c.routing_flags,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       cat.code AS service_code, cat.name_id AS service_name_id, cat.name_en AS service_name_en,
       s.code AS skpd_code, s.name AS skpd_name, k.code AS kelurahan_code, k.name AS kelurahan_name,
       kc.code AS kecamatan_code, kc.name AS kecamatan_name, d.tracking_code AS duplicate_of,
       n.note AS status_notes, p.id AS photo_id, p.content_type AS photo_type
  FROM complaint c
  JOIN category cat ON cat.id = c.category_id
  JOIN skpd s ON s.id = c.skpd_id
  JOIN kelurahan k ON k.id = c.kelurahan_id
  LEFT JOIN kecamatan kc ON kc.id = c.kecamatan_id
  LEFT JOIN complaint d ON d.id = c.duplicate_of_id
  LEFT JOIN LATERAL (
        SELECT e.note FROM complaint_event e
         WHERE e.complaint_id = c.id AND e.public AND e.kind <> 'support' AND coalesce(e.note, '') <> ''
         ORDER BY e.created_at DESC, e.id DESC LIMIT 1) n ON true
  LEFT JOIN LATERAL (
        SELECT a.id, a.content_type FROM attachment a
         WHERE a.complaint_id = c.id AND a.public ORDER BY a.id LIMIT 1) p ON true
"""
_ORDER = " ORDER BY c.created_at DESC, c.id DESC LIMIT :limit OFFSET :offset"


def _conditions(q: RequestQuery, srid: int) -> tuple[list[str], dict]:
    """WHERE fragments (fixed text) and their bound values for one query."""
    if q.ids:
        # Asked for by tracking code: the holder of a code may follow even a confidential ticket
        # (its text, address, photo and exact point are withheld when it is shown).
        return ["c.tracking_code = ANY(:ids)"], {"ids": q.ids}
    where = ["c.public", "c.created_at >= :start", "c.created_at <= :end"]
    params: dict = {"start": q.start, "end": q.end}
    if q.service_codes:
        where.append("cat.code = ANY(:codes)")
        params["codes"] = q.service_codes
    if q.status:
        where.append("c.status = ANY(:open)" if q.status == "open" else "NOT c.status = ANY(:open)")
        params["open"] = list(OPEN_STATUSES)
    if q.bbox:
        where.append("c.geom && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)")
        params.update(zip(("x1", "y1", "x2", "y2"), q.bbox, strict=True))
    if q.near:
        where.append("ST_DWithin(c.geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(:nx, :ny), 4326), :srid), :radius)")
        params.update(nx=q.near[0], ny=q.near[1], radius=q.near[2], srid=srid)
    return where, params


def find_requests(conn: Connection, q: RequestQuery, srid: int) -> list[dict]:
    """Service requests matching the filters, newest first, one page."""
    where, params = _conditions(q, srid)
    sql = text(_SELECT + " WHERE " + " AND ".join(where) + _ORDER)
    params.update(limit=q.page_size, offset=(q.page - 1) * q.page_size)
    return [dict(r) for r in conn.execute(sql, params).mappings()]


def find_request(conn: Connection, code: str) -> dict | None:
    """One service request by its tracking code."""
    rows = find_requests(conn, RequestQuery(ids=[code], page_size=1), srid=4326)
    return rows[0] if rows else None


def request_exists(conn: Connection, code: str) -> bool:
    """Whether a tracking code is ours (tokens are tracking codes)."""
    return conn.execute(text("SELECT 1 FROM complaint WHERE tracking_code = :c"), {"c": code}).first() is not None


def category(conn: Connection, code: str) -> dict | None:
    """An active category by its service_code, with what a service definition and a POST need."""
    row = conn.execute(text(
        "SELECT c.id, c.code, c.name_id, c.name_en, c.attributes, c.confidential, s.name AS skpd_name "
        "FROM category c JOIN skpd s ON s.id = c.default_skpd_id WHERE c.code = :c AND c.active"),
        {"c": code}).mappings().first()
    return dict(row) if row else None
