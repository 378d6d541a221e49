"""Open311 GeoReport v2 operations, one function per method; the views only parse and serialise around them.

Creating a request goes through app.intake.submit (channel "open311"): the same checks, routing, clocks and
idempotency as the citizen form. Reading goes through app/open311/queries.py, which never touches reporter data.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from aduan import media
from aduan.api_keys import verify_api_key
from aduan.errors import Forbidden, NotFound
from aduan.intake import Submission, submit
from aduan.queries import open311 as queries
from aduan.queries import reference
from aduan.settings import Settings
from aduan.tracking import normalise_code
from app.open311 import records
from app.open311.params import NewRequest, bad, new_request, request_query
from app.open311.records import MediaUrl

# Bump when the service list or a service definition changes shape (clients re-read services then).
CHANGESET = "2026-11-28 00:00"


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def discovery(endpoint_url: str, settings: Settings) -> dict:
    """Where our GeoReport v2 endpoint is and what it speaks."""
    return records.discovery(endpoint_url, settings.city_name, CHANGESET)


def services(conn: Connection, lang: str) -> list[dict]:
    """GET services: every active category."""
    return [records.service_record(c, lang) for c in reference.all_categories(conn)]


def service_definition(conn: Connection, code: str) -> dict:
    """GET services/{code}: 404 for an unknown code and for a service without attributes (metadata=false)."""
    cat = reference.category(conn, code)
    if cat is None:
        raise NotFound(f"service_code tidak dikenal: {code}.", f"Unknown service_code: {code}.")
    definition = records.service_definition(cat)
    if not definition["attributes"]:
        raise NotFound(f"Layanan {code} tidak memiliki atribut tambahan (metadata=false).",
                       f"Service {code} has no extra attributes (metadata=false).")
    return definition


def list_requests(conn: Connection, args: Mapping, settings: Settings, media_url: MediaUrl,
                  lang: str) -> list[dict]:
    """GET requests: the spec's filters (default: last 90 days, at most 1000) and our extensions."""
    tz = _tz(settings)
    q = request_query(args, dt.datetime.now(dt.UTC), tz)
    rows = queries.find_requests(conn, q, settings.metric_srid)
    return [records.request_record(r, tz, media_url, extensions=q.extensions, lang=lang) for r in rows]


def get_request(conn: Connection, code: str, settings: Settings, media_url: MediaUrl, *, extensions: bool,
                lang: str) -> list[dict]:
    """GET requests/{id}: a one-element list, or 404. The id may be typed as people type codes (lower case, no
    dashes, O for 0), as everywhere else a code is asked for."""
    code = normalise_code(code)
    row = queries.find_request(conn, code)
    if row is None:
        raise NotFound(f"service_request_id tidak ditemukan: {code}.", f"service_request_id not found: {code}.")
    return [records.request_record(row, _tz(settings), media_url, extensions=extensions, lang=lang)]


def token(conn: Connection, code: str) -> list[dict]:
    """GET tokens/{id}: our requests are created at once, so a token is its tracking code."""
    code = normalise_code(code)
    if not queries.request_exists(conn, code):
        raise NotFound(f"Token tidak ditemukan: {code}.", f"Token not found: {code}.")
    return [records.token(code)]


def authorise(engine: Engine, api_key: str | None) -> int:
    """The API client's id, or 403; checked in its own short transaction so no row lock is held."""
    with engine.begin() as conn:
        client_id = verify_api_key(conn, api_key)
    if client_id is None:
        raise Forbidden("api_key tidak ada atau tidak valid.", "Missing or invalid api_key.")
    return client_id


def create_request(session: Session, engine: Engine, fields: Mapping[str, list], photos: list[bytes],
                   api_key: str | None, idempotency_header: str | None, settings: Settings) -> list[dict]:
    """POST requests: authorise, check, submit through intake, answer [{service_request_id, …}]; photos sent as
    media_url are fetched by the worker afterwards (a slow or broken URL never fails the request)."""
    client_id = authorise(engine, api_key)
    req = new_request(fields, idempotency_header)
    cat = reference.category(session.connection(), req.service_code)
    if cat is None:
        raise NotFound(f"service_code tidak dikenal: {req.service_code}.", f"Unknown service_code: {req.service_code}.")
    result = submit(session, _submission(req, cat, client_id, photos), settings)
    if result.created and req.media_urls:
        with engine.begin() as conn:
            media.queue(conn, result.complaint_id, req.media_urls, public=not cat["confidential"])
    notice = records.service_notice(result.skpd_name, result.handling_due_at, _tz(settings))
    return [records.created(result.tracking_code, notice)]


def _submission(req: NewRequest, cat: Mapping, client_id: int, photos: list[bytes]) -> Submission:
    """Open311 fields → our Submission; an idempotency key is scoped to the client that sent it."""
    name = " ".join(p for p in (req.first_name, req.last_name) if p) or None
    return Submission(
        category=cat["code"], description=req.description,
        attributes=checked_attributes(cat["attributes"], req.attributes),
        lon=req.long, lat=req.lat, address=req.address_string, name=name, phone=req.phone, email=req.email,
        device_id=req.device_id, channel="open311", photos=photos,
        idempotency_key=req.idempotency_key, idempotency_scope=f"open311:{client_id}")


def checked_attributes(raw_definition: object, given: dict[str, list[str]]) -> dict[str, list[str]] | None:
    """The answers to the service definition's attributes, checked (required, listed keys, numbers), stored as
    structured data on the complaint; answers to codes the definition does not have are dropped."""
    answers = {}
    for attr in records.attribute_list(raw_definition):
        values = given.get(attr["code"], [])
        _check_attribute(attr, values)
        if attr["variable"] and values:
            answers[attr["code"]] = values
    return answers or None


def _check_attribute(attr: dict, values: list[str]) -> None:
    code = attr["code"]
    if attr["variable"] and attr["required"] and not values:
        raise bad(f"Atribut wajib belum diisi: attribute[{code}].", f"Required attribute missing: attribute[{code}].")
    if not values:
        return
    if attr["datatype"] in records.LIST_TYPES:
        keys = {v["key"] for v in attr.get("values", [])}
        if any(v not in keys for v in values) or (attr["datatype"] == "singlevaluelist" and len(values) > 1):
            raise bad(f"Nilai attribute[{code}] tidak ada dalam daftar.", f"attribute[{code}] has a value not listed.")
    if attr["datatype"] == "number":
        try:
            [float(v) for v in values]
        except ValueError:
            raise bad(f"attribute[{code}] harus berupa angka.", f"attribute[{code}] must be a number.") from None

