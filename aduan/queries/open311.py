"""Open311 reads: service requests as the public view of a complaint (aduan/queries/public.py) shows them, with the
latest public note and the first public photo; every filter an expression with bound values. Notes leave masked
(`public.masked`) like every public text.

Asked for by tracking code, a confidential ticket is found too (whoever holds its code may follow it) and is
redacted by the public view; every other query lists public complaints only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, select, text, true

from aduan.partitions import created_between, of_code
from aduan.queries import public
from aduan.queries.public import CAT, EVENT, PHOTO, C
from aduan.statuses import OPEN_STATUSES
from geo.metric import metric_pin

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

def _view() -> Select:
    """The public view plus the latest public note (status_notes) and the first public photo (media_url)."""
    note = (select(EVENT.c.note)
            .where(EVENT.c.complaint_id == C.c.id, EVENT.c.public, EVENT.c.kind != "support",
                   func.coalesce(EVENT.c.note, "") != "")
            .order_by(EVENT.c.created_at.desc(), EVENT.c.id.desc()).limit(1).lateral("n"))
    photo = (select(PHOTO.c.id, PHOTO.c.content_type).where(PHOTO.c.complaint_id == C.c.id, PHOTO.c.public)
             .order_by(PHOTO.c.id).limit(1).lateral("p"))
    return (public.public_view(public.masked(note.c.note).label("status_notes"), photo.c.id.label("photo_id"),
                               photo.c.content_type.label("photo_type"))
            .outerjoin(note, true()).outerjoin(photo, true()))


def _conditions(q: RequestQuery, srid: int) -> ColumnElement[bool]:
    """One expression for the query's filters."""
    if q.ids:
        return C.c.tracking_code.in_(q.ids)
    parts = [C.c.created_at >= q.start, C.c.created_at <= q.end, created_between(C.c.id, q.start, q.end)]
    if q.service_codes:
        parts.append(CAT.c.code.in_(q.service_codes))
    if q.status:
        is_open = C.c.status.in_(OPEN_STATUSES)
        parts.append(is_open if q.status == "open" else ~is_open)
    if q.bbox:
        parts.append(C.c.geom.op("&&")(func.ST_MakeEnvelope(*q.bbox, 4326)))
    if q.near:
        lon, lat, radius = q.near
        here = metric_pin(lon, lat, srid)  # None: far outside the city, so nothing is near it
        parts.append(false() if here is None else func.ST_DWithin(C.c.geom_m, here, radius))
    return public.listed(and_(*parts))


def find_requests(conn: Connection, q: RequestQuery, srid: int) -> list[dict]:
    """Service requests matching the filters, newest first, one page; confidential ones redacted."""
    stmt = (_view().where(_conditions(q, srid)).order_by(C.c.created_at.desc(), C.c.id.desc())
            .limit(q.page_size).offset((q.page - 1) * q.page_size))
    return [public.redact(dict(r)) for r in conn.execute(stmt).mappings()]


def find_request(conn: Connection, code: str) -> dict | None:
    """One service request by its tracking code."""
    rows = find_requests(conn, RequestQuery(ids=[code], page_size=1), srid=4326)
    return rows[0] if rows else None


def request_exists(conn: Connection, code: str) -> bool:
    """Whether a tracking code is ours (tokens are tracking codes)."""
    return conn.execute(select(C.c.id).where(C.c.tracking_code == code, of_code(C.c.id, code))).first() is not None


_UPDATES = text("""
SELECT e.id AS update_id, c.tracking_code, e.kind, e.created_at, CASE WHEN e.public THEN e.note END AS note,
       coalesce(e.to_status, (SELECT p.to_status FROM complaint_event p
                               WHERE p.complaint_id = e.complaint_id AND p.to_status IS NOT NULL
                                 AND (p.created_at, p.id) <= (e.created_at, e.id)
                               ORDER BY p.created_at DESC, p.id DESC LIMIT 1), c.status) AS status,
       a.id AS photo_id, a.content_type AS photo_type
  FROM complaint_event e
  JOIN complaint c ON c.id = e.complaint_id
  LEFT JOIN LATERAL (SELECT x.id, x.content_type FROM attachment x WHERE x.event_id = e.id AND x.public
                      ORDER BY x.id LIMIT 1) a ON true
 WHERE c.public AND e.created_at >= :start AND e.created_at <= :end AND e.kind <> ALL(:skipped)
   AND (e.public OR e.kind = ANY(:steps))
 ORDER BY e.created_at, e.id
 LIMIT :limit OFFSET :offset
""").columns(note=public.MaskedText())  # a public note leaves masked, as in the public view


def find_updates(conn: Connection, start: dt.datetime, end: dt.datetime, *, page: int = 1,
                 page_size: int = MAX_PAGE_SIZE) -> list[dict]:
    """Public updates of public requests in [start, end], oldest first: every status step and public note, with
    the status the request had after it (the ticket's creation and citizens' support are not updates)."""
    rows = conn.execute(_UPDATES, {"start": start, "end": end, "skipped": ["created", "support"],
                                   "steps": list(public.STEP_KINDS), "limit": page_size,
                                   "offset": (page - 1) * page_size}).mappings()
    return [dict(r) for r in rows]
