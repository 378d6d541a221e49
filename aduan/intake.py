"""Intake: check a submission, route it, store it with its decision and clocks, hand back a tracking code.

Everything a submission writes (reporter, complaint, first event, photos) goes in one transaction: a bad photo,
a point outside the city or a lost race leaves nothing behind. An idempotency key makes resubmits (a double tap,
a form sent twice, an Open311 client retrying) return the first ticket instead of creating a second one.

The desk enters complaints that reached the city elsewhere (WhatsApp, LAPOR!, a phone call): with the channel's
own reference the same message entered twice — two clerks, a double click — is one ticket, and the clerk who
entered it and when it was received (the clocks start then, not when it was typed in) are on the ticket.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aduan import history, notifications, partitions
from aduan.channels import CHANNELS, DESK_CHANNELS, channel_name
from aduan.clocks import WorkCalendar
from aduan.errors import DomainError, NotFound
from aduan.models import Category, Complaint, ComplaintKey, Reporter, Skpd, User
from aduan.photos import ProcessedPhoto, process_photos
from aduan.settings import Settings
from aduan.statuses import OPEN_STATUSES
from aduan.text import MAX_DESCRIPTION, clean_text
from aduan.tracking import tracking_code
from geo.cells import cell_of
from geo.points import bound_point
from geo.routing import RoutingDecision, check_in_city, check_lon_lat, route_point

MIN_DESCRIPTION = 3
MAX_PHOTOS = 3
MAX_BACKDATE = dt.timedelta(days=366)  # a desk entry received longer ago is a typo (or an import's job)
CLOCK_SKEW = dt.timedelta(minutes=10)  # "received" a little in the future: a clerk's clock, not a typo
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{6,20}$")


@dataclass
class Submission:
    """A complaint as sent by a citizen or a client, before it is checked."""

    category: str
    description: str
    lon: object
    lat: object
    accuracy_m: object = None
    address: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    anonymous: bool = False
    idempotency_key: str | None = None
    idempotency_scope: str = "api"  # whose keys these are: web, api, open311:<client id>; scopes never meet
    channel: str = "web"
    device_id: str | None = None
    photos: list[bytes] = field(default_factory=list)
    lang: str = "id"  # the reporter's language: messages to them use it
    attributes: dict[str, list[str]] | None = None  # answers to the category's Open311 attributes, checked
    channel_ref: str | None = None  # the channel's own id of the message: one ticket per (channel, reference)
    received_at: dt.datetime | None = None  # when the city received it elsewhere; the clocks start then
    entered_by_id: int | None = None  # the desk clerk who entered it
    entered_by_label: str | None = None


@dataclass(frozen=True)
class Entry:
    """Who entered an existing desk ticket and when: shown to a second clerk entering the same message."""

    by: str | None
    at: dt.datetime


@dataclass(frozen=True)
class SubmitResult:
    """The stored ticket: its code, the routing it got, who handles it now and by when."""

    complaint_id: int
    tracking_code: str
    decision: dict
    created: bool  # False when an idempotent resubmit returned the existing ticket
    skpd_name: str
    handling_due_at: dt.datetime
    entry: Entry | None = None  # for a desk entry: who entered it first, and when


def _bad(field_name: str, msg_id: str, msg_en: str) -> DomainError:
    return DomainError(msg_id, msg_en, field=field_name)


# What intake needs of a category, as a plain row (an ORM object cost ~0.5 ms more per submission).
_CATEGORY = (select(Category.id, Category.confidential, Category.followup_days, Category.handling_days)
             .where(Category.code == bindparam("code"), Category.active))


# The longest value stored for each free-text field of a submission (the reporter's and the place's); longer is
# refused, whichever door it came through (the API's schema says the same, Open311 relies on this).
TEXT_LIMITS = {"name": 200, "phone": 40, "email": 200, "device_id": 200, "address": 500}


def _check(sub: Submission, session: Session) -> tuple[Row, str, float | None]:
    category = session.connection().execute(_CATEGORY, {"code": (sub.category or "").strip()}).first()
    if category is None:
        raise _bad("category", "Kategori tidak dikenal.", "Unknown category.")
    raw = "" if sub.description is None else str(sub.description)
    if len(raw) > MAX_DESCRIPTION:
        raise _bad("description", f"Uraian terlalu panjang (maksimal {MAX_DESCRIPTION} karakter).",
                   f"Description too long (at most {MAX_DESCRIPTION} characters).")
    description = clean_text(raw, MAX_DESCRIPTION) or ""
    if len(description) < MIN_DESCRIPTION:
        raise _bad("description", "Uraian masalah wajib diisi.", "Please describe the problem.")
    accuracy = None
    if sub.accuracy_m not in (None, ""):
        try:
            accuracy = float(sub.accuracy_m)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _bad("accuracy_m", "Akurasi harus berupa angka.", "Accuracy must be a number.") from None
        if not (0 <= accuracy < 100_000):
            raise _bad("accuracy_m", "Akurasi tidak masuk akal.", "Accuracy is out of range.")
    for name, limit in TEXT_LIMITS.items():
        value = getattr(sub, name)
        if value is not None and len(str(value)) > limit:
            raise _bad(name, f"«{name}» terlalu panjang (maksimal {limit} karakter).",
                       f"«{name}» is too long (at most {limit} characters).")
    if sub.email and not EMAIL_RE.match(sub.email.strip()):
        raise _bad("email", "Alamat email tidak valid.", "The email address is not valid.")
    if sub.phone and not PHONE_RE.match(sub.phone.strip()):
        raise _bad("phone", "Nomor telepon tidak valid.", "The phone number is not valid.")
    if len(sub.photos) > MAX_PHOTOS:
        raise _bad("photos", f"Paling banyak {MAX_PHOTOS} foto.", f"At most {MAX_PHOTOS} photos.")
    return category, description, accuracy


def check_channel(sub: Submission, now: dt.datetime) -> None:
    """The desk's fields: a known channel, a reference of sane length, a time of receipt in the past year."""
    if sub.channel not in CHANNELS:
        raise _bad("channel", f"Kanal tidak dikenal; pilih salah satu: {', '.join(DESK_CHANNELS)}.",
                   f"Unknown channel; choose one of: {', '.join(DESK_CHANNELS)}.")
    sub.channel_ref = clean_text(sub.channel_ref, 300) or None
    if sub.received_at is None:
        return
    if sub.received_at.tzinfo is None:
        raise _bad("received_at", "Waktu diterima harus menyebut zona waktu.", "The time received needs a zone.")
    if sub.received_at > now + CLOCK_SKEW:
        raise _bad("received_at", "Waktu diterima tidak boleh di masa depan.", "The time received is in the future.")
    if sub.received_at < now - MAX_BACKDATE:
        raise _bad("received_at", "Waktu diterima lebih dari setahun lalu; gunakan impor data.",
                   "The time received is more than a year ago; use the data import.")


def submit(session: Session, sub: Submission, settings: Settings) -> SubmitResult:
    """Check, route and store one complaint; commit and return its tracking code."""
    sub.idempotency_key = scoped_key(sub.idempotency_scope, sub.idempotency_key)  # looked up exactly as stored
    check_channel(sub, dt.datetime.now(dt.UTC))
    if (existing := _existing(session, sub)) is not None:
        return existing
    point = check_lon_lat(sub.lon, sub.lat)
    try:
        category, description, accuracy = _check(sub, session)
    except DomainError as err:
        if err.field == "category":  # a pin outside the city greys out every category: say where the problem is
            check_in_city(session.connection(), *point, city_name=settings.city_name,
                          tolerance_m=settings.snap_tolerance_m)
        raise
    photos = process_photos(sub.photos, settings.max_upload_bytes)
    decision = route_point(session.connection(), *point, category.id, city_name=settings.city_name,
                           tolerance_m=settings.snap_tolerance_m, near_border_m=settings.near_border_m)
    entered = dt.datetime.now(dt.UTC)
    store = lambda: _store(session.connection(), sub, point, category, description, accuracy,  # noqa: E731
                           decision, photos, settings, entered)
    try:
        stored = store()
        session.commit()
    except IntegrityError as err:
        session.rollback()
        if partitions.is_missing_partition(err):  # a month no one made yet (a desk entry dated long ago)
            partitions.ensure_months(session.connection(), [_month(sub, entered, settings)])
            session.commit()
        elif (again := _existing(session, sub)) is not None:
            return again
        # else a tracking-code collision (≈1 in 10⁹): one retry with a fresh code
        stored = store()
        session.commit()
    complaint_id, code, handling_due_at = stored
    return SubmitResult(complaint_id, code, decision.as_record(), True, decision.skpd_name, handling_due_at)


def scoped_key(scope: str, key: object) -> str | None:
    """The stored form of a client's idempotency key: its scope first, so one client's key can never be taken
    for another's (an anonymous "open311:1:x" is "api:open311:1:x"); long keys are stored by their hash."""
    cleaned = clean_text(key, 1000)
    if not cleaned:
        return None
    stored = f"{scope}:{cleaned}"
    return stored if len(stored) <= 100 else f"{scope}:#{hashlib.sha256(cleaned.encode()).hexdigest()}"[:100]


def _keys(sub: Submission) -> list[dict[str, str]]:
    """The keys naming this submission's ticket for good (complaint_key): its idempotency key, its channel
    reference; in that order of precedence."""
    keys = [{"kind": "idempotency", "key": sub.idempotency_key}] if sub.idempotency_key else []
    return keys + ([{"kind": "channel", "key": f"{sub.channel}:{sub.channel_ref}"}] if sub.channel_ref else [])


def _existing(session: Session, sub: Submission) -> SubmitResult | None:
    """The ticket this submission already made: by its idempotency key, or by its channel reference."""
    for key in _keys(sub):
        found = _first(session, Complaint.id == select(ComplaintKey.complaint_id).where(
            ComplaintKey.kind == key["kind"], ComplaintKey.key == key["key"]).scalar_subquery())
        if found is not None:
            return found
    return None


def _month(sub: Submission, entered: dt.datetime, settings: Settings) -> int:
    """The city-time month the ticket is dated in: its partition, the month in its id and tracking code."""
    return partitions.month_key((sub.received_at or entered).astimezone(ZoneInfo(settings.timezone)))


def _first(session: Session, *where: object) -> SubmitResult | None:
    row = session.execute(select(Complaint.id, Complaint.tracking_code, Complaint.routing, Skpd.name,
                                 Complaint.handling_due_at, Complaint.created_at, Complaint.entered_by_id,
                                 func.coalesce(User.name, User.email).label("clerk"))
                          .join(Skpd, Skpd.id == Complaint.skpd_id)
                          .outerjoin(User, User.id == Complaint.entered_by_id).where(*where)).first()
    if row is None:
        return None
    entry = Entry(row.clerk, row.created_at) if row.entered_by_id else None
    return SubmitResult(row.id, row.tracking_code, row.routing, False, row.name, row.handling_due_at, entry)


def _store(conn: Connection, sub: Submission, point: tuple[float, float], category: Row, description: str,
           accuracy: float | None, decision: RoutingDecision, photos: list[ProcessedPhoto],
           settings: Settings, entered: dt.datetime) -> tuple[int, str, dt.datetime]:
    """Reporter (unless anonymous), complaint with its routing and clocks, its keys, the first event, the photos.

    A desk entry's complaint is dated when it was received (its clocks and every statistic start then); its
    first event is dated when it was entered, by the clerk."""
    now = sub.received_at or entered
    cal = WorkCalendar.from_connection(conn, settings.timezone)
    anonymous = sub.anonymous or category.confidential or not (sub.name or sub.phone or sub.email)
    reporter_id = None if anonymous else conn.execute(insert(Reporter.__table__).values(
        **{k: clean_text(getattr(sub, k), TEXT_LIMITS[k]) for k in ("name", "phone", "email", "device_id")},
        lang="en" if sub.lang == "en" else "id",
        token=secrets.token_urlsafe(32)).returning(Reporter.id)).scalar_one()
    code = tracking_code(settings.city_prefix, now.astimezone(cal.tz))
    handling_due_at = cal.due_at(now, category.handling_days)
    complaint_id = conn.execute(_INSERT_COMPLAINT, dict(
        month=_month(sub, entered, settings), lon=point[0], lat=point[1], tracking_code=code,
        category_id=category.id, description=description,
        address=clean_text(sub.address, TEXT_LIMITS["address"]), h3_cell=cell_of(*point, settings.h3_resolution),
        accuracy_m=accuracy, channel=sub.channel,
        status="new", public=not category.confidential, anonymous=anonymous, reporter_id=reporter_id,
        generation_id=decision.generation_id, kelurahan_id=decision.kelurahan_id,
        kecamatan_id=decision.kecamatan_id, service_area_id=decision.service_area_id, skpd_id=decision.skpd_id,
        routing=decision.as_record(), routing_flags=decision.flags, created_at=now, updated_at=now,
        followup_due_at=cal.due_at(now, category.followup_days),
        handling_due_at=handling_due_at,
        attributes=sub.attributes or None, channel_ref=sub.channel_ref, received_at=sub.received_at,
        entered_by_id=sub.entered_by_id)).scalar_one()
    if keys := _keys(sub):  # a second ticket with one of these keys fails here: the caller returns the first
        conn.execute(insert(ComplaintKey.__table__), [{**k, "complaint_id": complaint_id} for k in keys])
    via = f"{channel_name(sub.channel)} / {channel_name(sub.channel, 'en')}"
    event_id = history.add_event(
        conn, complaint_id, "created", at=entered, to_status="new", actor_user_id=sub.entered_by_id,
        actor_label=sub.entered_by_label or f"warga / citizen ({sub.channel})",
        note=f"Aduan diterima lewat {channel_name(sub.channel)} / complaint received via "
             f"{channel_name(sub.channel, 'en')}" if sub.entered_by_id else "Aduan diterima / complaint received",
        data={"routing_flags": decision.flags, "channel": sub.channel, "channel_ref": sub.channel_ref,
              "received_at": now.isoformat(), "via": via} if sub.entered_by_id or sub.channel_ref
        else {"routing_flags": decision.flags})
    for photo in photos:
        history.add_photo(conn, complaint_id, event_id, photo, role="report", public=not category.confidential)
    if reporter_id is not None:  # "received" goes to the reporter alone: an anonymous ticket has no one to tell
        notifications.enqueue(conn, complaint_id, "received", settings, event_id=event_id)
    return complaint_id, code, handling_due_at


# Built once: constructing a 30-column INSERT per submission cost ~1 ms of Python; the values are all bound. The
# id carries the ticket's month (aduan/partitions.py).
_INSERT_COMPLAINT = insert(Complaint.__table__).values(
    id=func.peta_next_complaint_id(bindparam("month")), geom=bound_point()).returning(Complaint.id)


def support(session: Session, code: str) -> int:
    """'Me too' on an open, public complaint instead of a duplicate; returns the new supporter count."""
    row = session.execute(text(
        "UPDATE complaint SET supporters = supporters + 1 WHERE tracking_code = :c AND id >= :lo AND id < :hi "
        "AND public AND status = ANY(:open) RETURNING id, supporters"),
        {"c": code, "open": list(OPEN_STATUSES), **partitions.code_span(code)}).first()
    if row is None:
        raise NotFound("Aduan tidak ditemukan atau sudah ditutup.", "Complaint not found or already closed.")
    history.add_event(session.connection(), row.id, "support", at=dt.datetime.now(dt.UTC),
                      actor_label="warga / citizen", note="Dukungan warga / citizen support")
    session.commit()
    return row.supporters
