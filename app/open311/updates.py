"""Open311 servicerequestupdates, as FixMyStreet's Open311 client uses it, both ways.

GET lists the public updates of public requests in a time window: every status step and public note, with the
status the request had after it in FixMyStreet's names (OPEN, INVESTIGATING, IN_PROGRESS, FIXED, CLOSED,
NO_FURTHER_ACTION, DUPLICATE) and our own in `external_status_code`. POST takes a citizen's update from the front
end (authorised by the client's key): kept for staff as the reporter's reply, once per client update id, its
media_url photos fetched later by the worker.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from aduan import media, replies
from aduan.models import ApiClient
from aduan.queries import open311 as queries
from aduan.settings import Settings
from app.open311 import records
from app.open311.georeport import authorise
from app.open311.params import _int, new_update, update_window
from app.open311.records import MediaUrl


def list_updates(conn: Connection, args: Mapping, settings: Settings, media_url: MediaUrl, lang: str) -> list[dict]:
    """GET servicerequestupdates: start_date..end_date (both, W3C; default the last 7 days), oldest first."""
    tz = ZoneInfo(settings.timezone)
    start, end = update_window(args, dt.datetime.now(dt.UTC), tz)
    rows = queries.find_updates(conn, start, end, page=_int(args, "page", 1, 1, 10_000),
                                page_size=_int(args, "page_size", queries.MAX_PAGE_SIZE, 1, queries.MAX_PAGE_SIZE))
    return [records.update_record(r, tz, media_url, lang) for r in rows]


def create_update(conn: Connection, engine: Engine, fields: Mapping[str, list], api_key: str | None) -> list[dict]:
    """POST servicerequestupdates: store the citizen's update; answer [{update_id}]."""
    client_id = authorise(engine, api_key)
    upd = new_update(fields)
    name = conn.execute(select(ApiClient.name).where(ApiClient.id == client_id)).scalar_one()
    event_id, created = replies.client_update(conn, upd.service_request_id, client_id, name, upd.description,
                                              upd.update_id, upd.status, dt.datetime.now(dt.UTC))
    if created and upd.media_urls:
        complaint_id = conn.execute(select(media.EVENT.c.complaint_id).where(media.EVENT.c.id == event_id)).scalar()
        media.queue(conn, complaint_id, upd.media_urls, public=False, event_id=event_id)
    return [{"update_id": str(event_id)}]
