"""A ticket's append-only history and the photos its steps bring: the one way events and attachments are written.

Intake (the `created` event and the report's photos), the workflow (every staff step) and citizen support all
write through here, in the caller's transaction. Photos arrive already checked and re-encoded (aduan/photos.py).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, text

from aduan.models import Attachment, ComplaintEvent
from aduan.photos import ProcessedPhoto
from geo.points import bound_point

EVENT = ComplaintEvent.__table__
PHOTO = Attachment.__table__


def add_event(conn: Connection, complaint_id: int, kind: str, *, at: dt.datetime, note: str | None = None,
              public: bool = True, from_status: str | None = None, to_status: str | None = None,
              actor_user_id: int | None = None, actor_label: str | None = None,
              position: tuple[float, float] | None = None, data: dict | None = None) -> int:
    """Append one event (kind: created, status, note, reroute, support, duplicate); returns its id."""
    lon, lat = position or (None, None)  # no position: ST_MakePoint(NULL, NULL) is NULL
    return conn.execute(_INSERT_EVENT, dict(
        complaint_id=complaint_id, kind=kind, from_status=from_status, to_status=to_status,
        actor_user_id=actor_user_id, actor_label=actor_label, note=note, public=public, lon=lon, lat=lat,
        data=data or {}, created_at=at)).scalar_one()


# Built once (every step of every ticket writes one); the values are all bound.
_INSERT_EVENT = insert(EVENT).values(geom=bound_point()).returning(EVENT.c.id)


def add_photo(conn: Connection, complaint_id: int, event_id: int, photo: ProcessedPhoto, *, role: str,
              public: bool) -> int:
    """Keep a photo with the event that brought it (role: report, before, after); returns its id."""
    return conn.execute(insert(PHOTO).values(
        complaint_id=complaint_id, event_id=event_id, sha256=photo.sha256, content_type=photo.content_type,
        size_bytes=len(photo.data), width=photo.width, height=photo.height, role=role, public=public,
        data=photo.data).returning(PHOTO.c.id)).scalar_one()


_MERGED_IDS = text("SELECT DISTINCT (data->'duplicate'->>'id')::bigint FROM complaint_event "
                   "WHERE complaint_id = :id AND kind = 'duplicate'")
_STILL_MERGED = text("SELECT id, tracking_code FROM complaint WHERE id = :dup AND duplicate_of_id = :id")


def merged_into(conn: Connection, complaint_id: int) -> list[dict]:
    """The tickets merged into this one and still merged (id, tracking_code), in id order. Found through its own
    'duplicate' steps (one partition) and then each by its id (one partition each): a search by duplicate_of_id
    has no month to go by and read every month's table (120 ms at 1M complaints)."""
    found = []
    for dup in sorted(conn.execute(_MERGED_IDS, {"id": complaint_id}).scalars()):
        row = conn.execute(_STILL_MERGED, {"dup": dup, "id": complaint_id}).mappings().first()
        if row is not None:
            found.append(dict(row))
    return found
