"""The public view of a complaint: the one place that says which fields of a complaint leave the building.

Every public output builds on `public_view()` — the tracking page and the JSON API (`ticket`), the public map,
duplicate suggestions, OGC API items, exports, the late-ticket layer and Open311 (aduan/queries/open311.py). It
selects named public columns only and never joins the reporter table, so reporter contact data cannot reach a
public answer by accident. Lists select only complaints flagged public (not confidential categories); a
confidential ticket is found only by its tracking code, and `redact` then leaves nothing but its status, dates
and agency.

Free text leaves masked (`masked`, aduan/text.py's `mask_contacts`: phone numbers, e-mail addresses, NIK) — the
description, the address, public notes and the answers to a category's questions; the stored text is never
changed and staff pages show the original. A moderator's `public_description`, when set, is what the public
reads instead of the reporter's text (aduan/moderation.py). Masking is a column type applied as rows are read,
so whatever selects through this module gets it, whichever output the rows then become.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.expression import type_coerce
from sqlalchemy.types import Text, TypeDecorator

from aduan.errors import NotFound
from aduan.models import Attachment, Category, Complaint, ComplaintEvent, Kecamatan, Kelurahan, Skpd
from aduan.partitions import created_between, of_code
from aduan.statuses import OPEN_STATUSES
from aduan.text import mask_contacts, mask_json
from geo.metric import metric_pin
from geo.routing import check_lon_lat

C = Complaint.__table__
CAT = Category.__table__
SKPD = Skpd.__table__
KEL = Kelurahan.__table__
KEC = Kecamatan.__table__
EVENT = ComplaintEvent.__table__
PHOTO = Attachment.__table__
ORIGINAL = Complaint.__table__.alias("original")  # the ticket a duplicate was merged into

# What a feature of a public complaint carries (OGC API, exports, the late layer), in this order.
PUBLIC_FIELDS = ("tracking_code", "category", "category_name", "category_name_en", "status", "description",
                 "address", "created_at", "updated_at", "followup_due_at", "handling_due_at", "followed_up_at",
                 "resolved_at", "closed_at", "supporters", "kelurahan_code", "kelurahan", "kecamatan", "skpd_code",
                 "skpd")
# Steps the public history always shows (their note only when it is public).
STEP_KINDS = ("created", "status", "reroute", "duplicate")
# What a confidential ticket found by its code keeps hidden: everything but its status, dates and agency (its
# category too: a confidential category names what was reported, e.g. extortion by an official).
CONFIDENTIAL = ("category", "category_name", "category_name_en", "description", "address", "lon", "lat",
                "kelurahan_code", "kelurahan", "kecamatan_code",
                "kecamatan", "routing", "routing_flags", "status_notes", "photo_id", "photo_type", "attributes")


class MaskedText(TypeDecorator):
    """Text read with contact data masked (and then cut to `limit` characters, so no half number is left)."""

    impl = Text
    cache_ok = True

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = limit

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        value = mask_contacts(value)
        return value[:self.limit] if value is not None and self.limit is not None else value


class MaskedJson(TypeDecorator):
    """JSON read with contact data masked in every string it holds (answers to a category's questions)."""

    impl = JSONB
    cache_ok = True

    def process_result_value(self, value: object, dialect: object) -> object:
        return mask_json(value)


def masked(text: ColumnElement, limit: int | None = None) -> ColumnElement:
    """Free text as the public may read it: contact data masked when the row is read (Open311 uses it too)."""
    return type_coerce(text, MaskedText(limit))


def public_text(limit: int | None = None) -> ColumnElement:
    """The complaint's text the public reads: the moderated text when there is one, masked."""
    return masked(func.coalesce(C.c.public_description, C.c.description), limit)


def _columns() -> list[KeyedColumnElement]:
    return [
        C.c.id, C.c.tracking_code, C.c.status, CAT.c.code.label("category"), CAT.c.name_id.label("category_name"),
        CAT.c.name_en.label("category_name_en"), public_text().label("description"),
        masked(C.c.address).label("address"), C.c.created_at, C.c.updated_at,
        C.c.followup_due_at, C.c.handling_due_at, C.c.followed_up_at, C.c.resolved_at, C.c.closed_at,
        C.c.supporters, KEL.c.code.label("kelurahan_code"), KEL.c.name.label("kelurahan"),
        KEC.c.code.label("kecamatan_code"), KEC.c.name.label("kecamatan"), SKPD.c.code.label("skpd_code"),
        SKPD.c.name.label("skpd"), SKPD.c.name_en.label("skpd_en"),
        func.ST_X(C.c.geom).label("lon"), func.ST_Y(C.c.geom).label("lat"),
        C.c.public, C.c.routing, C.c.routing_flags, type_coerce(C.c.attributes, MaskedJson).label("attributes"),
        ORIGINAL.c.tracking_code.label("duplicate_of"),
    ]


def public_view(*extra: ColumnElement) -> Select:
    """SELECT of the public columns (plus `extra`) over complaint `C` with its names joined; add WHERE clauses."""
    joined = (C.join(CAT, CAT.c.id == C.c.category_id).join(SKPD, SKPD.c.id == C.c.skpd_id)
              .join(KEL, KEL.c.id == C.c.kelurahan_id).outerjoin(KEC, KEC.c.id == C.c.kecamatan_id)
              .outerjoin(ORIGINAL, ORIGINAL.c.id == C.c.duplicate_of_id))
    return select(*_columns(), *extra).select_from(joined)


def redact(row: dict) -> dict:
    """A confidential ticket (a code can be passed on) shows only its status, dates and agency."""
    if row["public"]:
        return row
    hidden = {k: None for k in CONFIDENTIAL if k in row}
    history = [{**h, "note": None, "photos": None} for h in row.get("history", [])]
    return {**row, **hidden, **({"photos": [], "history": history} if "history" in row else {})}


def ticket(conn: Connection, code: str) -> dict:
    """The tracking page's data: status, clocks, public history — never reporter details or staff notes."""
    row = conn.execute(public_view().where(C.c.tracking_code == code, of_code(C.c.id, code))).mappings().first()
    if row is None:
        raise NotFound("Kode pelacakan tidak ditemukan.", "Tracking code not found.")
    out = dict(row)
    out["history"] = history(conn, row["id"])
    out["photos"] = conn.execute(select(PHOTO.c.id).where(PHOTO.c.complaint_id == row["id"], PHOTO.c.public)
                                 .order_by(PHOTO.c.id)).scalars().all()
    return redact(out)


def history(conn: Connection, complaint_id: int) -> list[dict]:
    """Every step of the ticket (intake, each status change, re-routing, merging) and the public notes, oldest
    first, with their public photos; a staff-only note is left out, and a step made with one shows no note."""
    photos = (select(func.array_agg(aggregate_order_by(PHOTO.c.id, PHOTO.c.id)))
              .where(PHOTO.c.event_id == EVENT.c.id, PHOTO.c.public).scalar_subquery())
    stmt = (select(EVENT.c.kind, EVENT.c.from_status, EVENT.c.to_status,
                   masked(case((EVENT.c.public, EVENT.c.note))).label("note"), EVENT.c.created_at,
                   photos.label("photos"))
            .where(EVENT.c.complaint_id == complaint_id, or_(EVENT.c.public, EVENT.c.kind.in_(STEP_KINDS)))
            .order_by(EVENT.c.created_at, EVENT.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def listed(where: ColumnElement | None = None) -> ColumnElement:
    """Complaints that public lists may show: not confidential, and matching `where`."""
    return and_(C.c.public, where if where is not None else true())


def features(conn: Connection, where: ColumnElement | None = None, *, limit: int | None = None, offset: int = 0,
             extra: Sequence[ColumnElement] = ()) -> list[dict]:
    """Public complaints matching `where` (over `C`), by id; a page is chosen over ids alone, then named."""
    condition = listed(where)
    if limit is not None:  # deep offsets stay cheap: the page's ids come from the complaint table only
        page = select(C.c.id).where(condition).order_by(C.c.id).limit(limit).offset(offset)
        condition = C.c.id.in_(page.scalar_subquery())
    rows = conn.execute(public_view(*extra).where(condition).order_by(C.c.id)).mappings()
    return [dict(r) for r in rows]


def count(conn: Connection, where: ColumnElement | None = None) -> int:
    """How many public complaints match (OGC's numberMatched, the export limit)."""
    return conn.execute(select(func.count()).select_from(C).where(listed(where))).scalar_one()


def feature(row: dict, fields: tuple[str, ...] = PUBLIC_FIELDS, extra: tuple[str, ...] = ()) -> dict:
    """A GeoJSON feature of a public complaint; its id is the tracking code."""
    props = {f: _iso(row[f]) for f in fields + extra}
    return {"type": "Feature", "id": row["tracking_code"],
            "geometry": {"type": "Point", "coordinates": [round(row["lon"], 7), round(row["lat"], 7)]},
            "properties": props}


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def nearby_open(conn: Connection, lon: object, lat: object, category_code: str, *, srid: int, days: int = 30,
                limit: int = 5) -> list[dict]:
    """Open public complaints of the same category nearby: offered as 'support this one instead'."""
    x, y = check_lon_lat(lon, lat)
    cat = conn.execute(select(CAT.c.id, CAT.c.duplicate_radius_m).where(CAT.c.code == category_code)).first()
    if cat is None:
        raise NotFound("Kategori tidak dikenal.", "Unknown category.")
    here = metric_pin(x, y, srid)
    if here is None:  # far outside the city: nothing is near it
        return []
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    stmt = (select(C.c.tracking_code, public_text(160).label("description"), C.c.status,
                   C.c.created_at, C.c.supporters,
                   func.round(func.ST_Distance(C.c.geom_m, here)).cast(Integer).label("distance_m"),
                   func.ST_X(C.c.geom).label("lon"), func.ST_Y(C.c.geom).label("lat"))
            .where(listed(and_(C.c.category_id == cat.id, C.c.status.in_(OPEN_STATUSES), C.c.created_at >= since,
                               created_between(C.c.id, since, None),
                               func.ST_DWithin(C.c.geom_m, here, cat.duplicate_radius_m))))
            .order_by(C.c.geom_m.op("<->", return_type=Float)(here)).limit(limit))
    return [dict(r) | {"radius_m": cat.duplicate_radius_m} for r in conn.execute(stmt).mappings()]


def map_points_statement(*, timezone: str, days: int = 90, status: str | None = None,
                         limit: int = 20000) -> Select:
    """The public map's document (`map_points`) as one statement; the window is also bounded by id, so only the
    partitions of its months are read (`partitions.created_between`)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    where = and_(C.c.created_at >= since, created_between(C.c.id, since, None))
    if status is not None:
        is_open = C.c.status.in_(OPEN_STATUSES)
        where = and_(where, is_open if status == "open" else ~is_open)
    rows = (select(C.c.tracking_code, C.c.status, CAT.c.code.label("category"), CAT.c.name_id, CAT.c.name_en,
                   C.c.geom, C.c.created_at, C.c.id)
            .select_from(C.join(CAT, CAT.c.id == C.c.category_id))
            .where(listed(where)).order_by(C.c.created_at.desc(), C.c.id.desc()).limit(limit).subquery("r"))
    feature = func.json_build_object(
        "type", "Feature",
        "geometry", func.json_build_object(
            "type", "Point", "coordinates", func.json_build_array(func.ST_X(rows.c.geom), func.ST_Y(rows.c.geom))),
        "properties", func.json_build_object(
            "tracking_code", rows.c.tracking_code, "status", rows.c.status, "category", rows.c.category,
            "name_id", rows.c.name_id, "name_en", rows.c.name_en,
            "created_at", _city_iso(rows.c.created_at, timezone)))
    features = func.coalesce(func.json_agg(aggregate_order_by(feature, rows.c.created_at.desc(), rows.c.id.desc())),
                             func.json_build_array())
    return select(func.json_build_object("type", "FeatureCollection", "features", features).cast(Text))


def map_points(conn: Connection, *, timezone: str, days: int = 90, status: str | None = None,
               limit: int = 20000) -> bytes:
    """Non-confidential complaints for the public clustered map (public fields only), newest first, as one
    GeoJSON FeatureCollection written by PostgreSQL; status 'open' or 'closed'. Reading the 20,000 rows into
    Python, making dicts and encoding them cost ~0.5 s at 1M complaints, against ~0.2 s for this."""
    stmt = map_points_statement(timezone=timezone, days=days, status=status, limit=limit)
    return conn.execute(stmt).scalar_one().encode()


_MAP_NAMES = text("SELECT md5(coalesce(string_agg(concat_ws('|', code, name_id, name_en), ',' ORDER BY code), '')) "
                  "FROM category")


def map_names_version(conn: Connection) -> str:
    """A fingerprint of the category names the public map carries: renaming a category writes no complaint, so
    the data version alone would not see it."""
    return conn.execute(_MAP_NAMES).scalar_one()


def _city_iso(moment: ColumnElement, timezone: str) -> ColumnElement:
    """A timestamptz as app/api/schemas.py's `city_iso` writes it (2026-11-05T14:03:09+08:00), in SQL: the time
    in the zone to the second, then the zone's offset at that moment (tests/api compare the two)."""
    local = func.timezone(timezone, moment)
    minutes = cast(func.extract("epoch", local - func.timezone("UTC", moment)), Integer) // 60
    return func.concat(func.to_char(local, 'YYYY-MM-DD"T"HH24:MI:SS'),
                       case((minutes < 0, "-"), else_="+"),
                       func.lpad(cast(func.abs(minutes) // 60, Text), 2, "0"), ":",
                       func.lpad(cast(func.abs(minutes) % 60, Text), 2, "0"))


def photo(conn: Connection, attachment_id: int) -> tuple[bytes, str, str]:
    """A public photo of a public ticket (ids can be counted: a non-public ticket's photos stay in), its bytes
    already stripped of metadata at upload, and its SHA-256 (a validator: a cached copy is revalidated, so a
    photo the desk hides is gone from caches at the next look)."""
    row = conn.execute(select(PHOTO.c.data, PHOTO.c.content_type, PHOTO.c.sha256)
                       .join(C, C.c.id == PHOTO.c.complaint_id)
                       .where(PHOTO.c.id == attachment_id, PHOTO.c.public, C.c.public)).first()
    if row is None:
        raise NotFound("Foto tidak ditemukan.", "Photo not found.")
    return bytes(row.data), row.content_type, row.sha256
