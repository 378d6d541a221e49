"""The ticket workflow (no Flask): legal transitions, the clocks they stop, and an event for every change.

Transitions (action: from → to):

| action    | from                      | to            | also                                               |
|-----------|---------------------------|---------------|----------------------------------------------------|
| verify    | new                       | verified      |                                                    |
| start     | new, verified             | in_progress   |                                                    |
| resolve   | in_progress               | resolved      | handling clock stops (resolved_at); on-site; evidence* |
| close     | resolved                  | closed        | closed_at                                          |
| reject    | new, verified             | rejected      | reason required; closed_at                         |
| duplicate | new, verified             | duplicate     | linked both ways; supporters (+ the reporter) move |
| reopen    | resolved, closed          | in_progress   | reason required; resolved_at/closed_at cleared     |
| reopen    | rejected, duplicate       | new           | reason required; the duplicate link is cleared     |
| note      | any                       | (unchanged)   | note required                                      |
| reroute   | new, verified, in_progress| (in_progress → verified) | reason required; see below              |

*Where the category asks (`resolve_needs_evidence`), resolving needs an after-photo and a public note.

Clocks (choices where the issue is silent):
- Follow-up stops (followed_up_at) at the first status change or *public* note by staff; a staff-only note or a
  re-route is not a response to the citizen.
- Handling stops at resolution (resolved_at). Re-opening clears resolved_at but keeps the due dates: they
  stay anchored to intake, so a re-opened ticket past its due date is shown late.
- Re-routing neither restarts nor pauses the clocks: the citizen has been waiting since intake and the misroute
  is the city's error. A follow-up already given stays. The event records both SKPDs and the due dates.

Every change takes the ticket's `version` as read by the user: a ticket changed in between answers 409
(StaleUpdate) and nothing is written, so the second of two officers loses nothing but a retry.
Authorization (app/auth/permissions.py) is checked here, on the locked row, for every action.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from aduan import assignment, history, notifications
from aduan.errors import Conflict, DomainError, NotFound
from aduan.permissions import ACTIONS, StaffUser, check_action
from aduan.photos import ProcessedPhoto, process_photo
from aduan.settings import Settings
from aduan.statuses import OPEN_STATUSES, label
from aduan.text import clean_text
from geo.routing import check_in_city

TRANSITIONS: dict[tuple[str, str], str] = {
    ("new", "verify"): "verified",
    ("new", "start"): "in_progress",
    ("verified", "start"): "in_progress",
    ("in_progress", "resolve"): "resolved",
    ("resolved", "close"): "closed",
    ("new", "reject"): "rejected",
    ("verified", "reject"): "rejected",
    ("new", "duplicate"): "duplicate",
    ("verified", "duplicate"): "duplicate",
    ("resolved", "reopen"): "in_progress",
    ("closed", "reopen"): "in_progress",
    ("rejected", "reopen"): "new",
    ("duplicate", "reopen"): "new",
}
REASON_REQUIRED = frozenset({"note", "reject", "reopen", "reroute"})
MAX_NOTE = 2000
ACTION_LABELS = {
    "note": ("Tambah catatan", "Add a note"), "verify": ("Verifikasi", "Verify"),
    "start": ("Mulai tangani", "Start work"), "resolve": ("Selesai ditangani", "Resolve"),
    "close": ("Tutup", "Close"), "reject": ("Tolak", "Reject"), "duplicate": ("Tandai duplikat", "Mark duplicate"),
    "reopen": ("Buka kembali", "Re-open"), "reroute": ("Alihkan ke SKPD lain", "Re-route to another SKPD"),
}


class StaleUpdate(Conflict):
    code = "stale_update"


class IllegalTransition(Conflict):
    code = "illegal_transition"


@dataclass(frozen=True)
class Position:
    """Where the officer stood, from the browser (WGS84)."""

    lon: float
    lat: float
    accuracy_m: float | None = None


@dataclass(frozen=True)
class Change:
    """One requested change, as the user submitted it against the `version` they saw."""

    action: str
    version: int
    note: str = ""
    public: bool = False  # staff-only unless the officer says otherwise
    position: Position | None = None
    photo: bytes | None = None
    photo_role: str | None = None  # before | after; by default "after" when resolving
    duplicate_of: str | None = None  # tracking code of the original ticket
    skpd_code: str | None = None  # re-route target


@dataclass(frozen=True)
class Outcome:
    """What the change did, for the confirmation message."""

    tracking_code: str
    status: str
    version: int
    event_id: int
    flags: tuple[str, ...] = ()
    data: dict = field(default_factory=dict)


def legal_actions(status: str) -> list[str]:
    """Actions the transition table allows from `status` (before permissions)."""
    status_actions = [a for a in ACTIONS if (status, a) in TRANSITIONS]
    return ["note", *status_actions, *(["reroute"] if status in OPEN_STATUSES else [])]


def apply(conn: Connection, settings: Settings, actor: StaffUser, tracking_code: str, change: Change,
          now: dt.datetime | None = None) -> Outcome:
    """Check and apply one change in the caller's transaction (the caller commits)."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        return _apply(conn, settings, actor, tracking_code, change, now)
    except OperationalError as exc:  # deadlock / serialization failure: the same remedy as a stale page
        if getattr(exc.orig, "sqlstate", "") in ("40P01", "40001"):
            raise StaleUpdate("Aduan sedang diubah orang lain; coba lagi.",
                              "The ticket is being changed by someone else; try again.") from None
        raise


@dataclass
class _Ctx:
    """One change in flight: the locked rows, the ticket's new values and the event's data."""

    conn: Connection
    settings: Settings
    actor: StaffUser
    change: Change
    now: dt.datetime
    rows: dict[str, dict]
    ticket: dict
    new: dict
    data: dict = field(default_factory=dict)


def _apply(conn: Connection, settings: Settings, actor: StaffUser, code: str, change: Change,
           now: dt.datetime) -> Outcome:
    if change.action not in ACTIONS:
        raise DomainError("Tindakan tidak dikenal.", "Unknown action.", field="action")
    # stored, mailed and shown as any other text: control and invisible characters dropped, so a reason the
    # action requires cannot be one nobody can read (not cut: the length check below refuses a long note)
    change = replace(change, note=clean_text(change.note, None) or "")
    rows = _lock(conn, [code, change.duplicate_of] if change.action == "duplicate" else [code])
    ticket = _pick(rows, code, "Aduan tidak ditemukan.", "Ticket not found.", "code")
    check_action(actor, ticket, change.action)
    _check_version(ticket, change)
    ctx = _Ctx(conn, settings, actor, change, now, rows, ticket, dict(ticket))
    ctx.new["status"] = _target(ticket["status"], change.action)
    _check_note(change)
    photo = process_photo(change.photo, settings.max_upload_bytes) if change.photo is not None else None
    if change.position is not None:
        ctx.data.update(_position_data(conn, settings, ticket["id"], change.position))
    ACTION_EFFECTS.get(change.action, _no_effect)(ctx)
    if ctx.new["followed_up_at"] is None and _is_followup(change):
        ctx.new["followed_up_at"] = now
    return _write(ctx, photo)


def _check_version(ticket: dict, change: Change) -> None:
    if ticket["version"] != change.version:
        raise StaleUpdate(
            f"Aduan ini sudah diubah orang lain sejak Anda membukanya (versi {change.version} → "
            f"{ticket['version']}). Perubahan Anda belum disimpan: periksa status terbaru lalu kirim lagi.",
            f"Someone else changed this ticket after you opened it (version {change.version} → "
            f"{ticket['version']}). Your change was not saved: check the latest state and submit again.")


def _lock(conn: Connection, codes: list[str | None]) -> dict[str, dict]:
    """Lock the ticket (and a duplicate's original) in id order, so two locks never wait on each other."""
    rows = conn.execute(text(
        "SELECT id, tracking_code, status, version, skpd_id, followed_up_at, resolved_at, closed_at, "
        "duplicate_of_id, supporters, followup_due_at, handling_due_at, "
        "(SELECT resolve_needs_evidence FROM category WHERE category.id = complaint.category_id) AS needs_evidence "
        "FROM complaint WHERE tracking_code = ANY(:codes) ORDER BY id FOR UPDATE OF complaint"),
        {"codes": [c for c in codes if c]}).mappings().all()
    return {r["tracking_code"]: dict(r) for r in rows}


def _pick(rows: dict[str, dict], code: str | None, msg_id: str, msg_en: str, field_name: str) -> dict:
    if not code or code not in rows:
        raise NotFound(msg_id, msg_en, field=field_name)
    return rows[code]


def _target(status: str, action: str) -> str:
    if action == "note" or (action == "reroute" and status in OPEN_STATUSES):
        return "verified" if action == "reroute" and status == "in_progress" else status
    if (status, action) not in TRANSITIONS:
        allowed = legal_actions(status)
        raise IllegalTransition(
            f"Tindakan «{ACTION_LABELS[action][0]}» tidak berlaku untuk aduan berstatus «{label(status)}». "
            f"Yang mungkin: {', '.join(ACTION_LABELS[a][0] for a in allowed)}.",
            f"«{ACTION_LABELS[action][1]}» is not possible for a ticket that is «{label(status, 'en')}». "
            f"Possible: {', '.join(ACTION_LABELS[a][1] for a in allowed)}.", field="action")
    return TRANSITIONS[(status, action)]


def _check_note(change: Change) -> None:
    if len(change.note) > MAX_NOTE:
        raise DomainError(f"Catatan maksimal {MAX_NOTE} karakter.", f"Notes may have at most {MAX_NOTE} characters.",
                          field="note")
    if change.action in REASON_REQUIRED and not change.note.strip():
        raise DomainError("Tindakan ini memerlukan catatan/alasan.", "This action needs a note or reason.",
                          field="note")


def _is_followup(change: Change) -> bool:
    """The responsible SKPD's first response to the citizen: a status change or a public note. Not a staff-only
    note, and never a re-route, even with a public note: handing the ticket on answers nothing, and the new
    SKPD's follow-up clock must keep running until it responds itself."""
    if change.action == "reroute":
        return False
    return change.action != "note" or change.public


def _position_data(conn: Connection, settings: Settings, complaint_id: int, pos: Position) -> dict:
    check_in_city(conn, pos.lon, pos.lat, city_name=settings.city_name, tolerance_m=settings.snap_tolerance_m)
    distance = conn.execute(text(
        "SELECT ST_Distance(geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), "
        "CAST(:srid AS integer))) FROM complaint WHERE id = :id"),
        {"lon": pos.lon, "lat": pos.lat, "srid": settings.metric_srid, "id": complaint_id}).scalar_one()
    return {"position": {"lon": pos.lon, "lat": pos.lat, "accuracy_m": pos.accuracy_m,
                         "distance_m": round(float(distance), 1)}}


def _no_effect(ctx: _Ctx) -> None:
    return None


def _resolve(ctx: _Ctx) -> None:
    """Stops the handling clock; flags a resolution reported from farther than `onsite_max_m` (or from nowhere).
    Where the category asks for evidence (roads, bridges, drains, lights…), the officer shows the work done: an
    after-photo and a note the citizen can read."""
    if ctx.ticket["needs_evidence"]:
        _check_evidence(ctx.change)
    ctx.new["resolved_at"] = ctx.now
    pos, limit = ctx.data.get("position"), ctx.settings.onsite_max_m
    ctx.data["onsite"] = {"max_m": limit, "distance_m": pos["distance_m"] if pos else None,
                          "ok": None if pos is None else pos["distance_m"] <= limit}


def _check_evidence(change: Change) -> None:
    if not change.photo or _photo_role(change) != "after":
        raise DomainError("Untuk kategori ini, penyelesaian memerlukan foto sesudah perbaikan.",
                          "For this category, resolving needs a photo after the work.", field="photo")
    if not change.note.strip() or not change.public:
        raise DomainError("Untuk kategori ini, penyelesaian memerlukan catatan publik untuk warga.",
                          "For this category, resolving needs a public note for the citizen.", field="note")


def _closes(ctx: _Ctx) -> None:
    """Close, reject: the ticket leaves the open list (closed_at)."""
    ctx.new["closed_at"] = ctx.now


def _reopen(ctx: _Ctx) -> None:
    t = ctx.ticket
    ctx.data["previous"] = {"resolved_at": _iso(t["resolved_at"]), "closed_at": _iso(t["closed_at"]),
                            "duplicate_of_id": t["duplicate_of_id"]}
    ctx.new.update(resolved_at=None, closed_at=None, duplicate_of_id=None)


def _duplicate(ctx: _Ctx) -> None:
    """Link to the original; this ticket's supporters and its reporter become supporters of the original."""
    ticket = ctx.ticket
    original = _pick(ctx.rows, ctx.change.duplicate_of, "Aduan asli tidak ditemukan.", "Original ticket not found.",
                     "duplicate_of")
    if original["id"] == ticket["id"]:
        raise DomainError("Aduan tidak dapat menjadi duplikat dirinya sendiri.", "A ticket cannot duplicate itself.",
                          field="duplicate_of")
    if original["status"] in ("duplicate", "rejected"):
        raise DomainError("Aduan asli yang dipilih sudah ditolak/duplikat; pilih aduan asli yang aktif.",
                          "The chosen original is rejected or itself a duplicate; pick the live original.",
                          field="duplicate_of")
    check_action(ctx.actor, original, "duplicate")  # the original changes too (supporters, history)
    moved = ticket["supporters"] + 1
    ctx.new.update(duplicate_of_id=original["id"], closed_at=ctx.now, supporters=0)
    ctx.data["duplicate_of"] = {"id": original["id"], "code": original["tracking_code"], "supporters_moved": moved}
    ctx.conn.execute(text("UPDATE complaint SET supporters = supporters + :n, updated_at = :now WHERE id = :id"),
                     {"n": moved, "now": ctx.now, "id": original["id"]})
    _event(ctx.conn, original["id"], "duplicate", None, None, ctx.actor,
           f"Aduan {ticket['tracking_code']} digabungkan ke aduan ini / merged into this ticket", True, None,
           {"duplicate": {"id": ticket["id"], "code": ticket["tracking_code"], "supporters_moved": moved}}, ctx.now)


def _reroute(ctx: _Ctx) -> None:
    """Hand the ticket to another SKPD; clocks keep running from intake (see the module docstring)."""
    target = ctx.conn.execute(text("SELECT id, code FROM skpd WHERE code = :c AND active"),
                              {"c": (ctx.change.skpd_code or "").strip()}).first()
    if target is None:
        raise NotFound("SKPD tujuan tidak ditemukan.", "Target SKPD not found.", field="skpd")
    t = ctx.ticket
    if target.id == t["skpd_id"]:
        raise DomainError("Aduan sudah ditangani SKPD ini.", "The ticket is already with this SKPD.", field="skpd")
    old = ctx.conn.execute(text("SELECT code FROM skpd WHERE id = :id"), {"id": t["skpd_id"]}).scalar_one()
    ctx.new["skpd_id"] = target.id
    ctx.data["reroute"] = {"from_skpd_id": t["skpd_id"], "from_skpd": old, "to_skpd_id": target.id,
                           "to_skpd": target.code, "followup_due_at": _iso(t["followup_due_at"]),
                           "handling_due_at": _iso(t["handling_due_at"]), "clocks": "unchanged"}


ACTION_EFFECTS = {"resolve": _resolve, "close": _closes, "reject": _closes, "reopen": _reopen,
                  "duplicate": _duplicate, "reroute": _reroute}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _write(ctx: _Ctx, photo: ProcessedPhoto | None) -> Outcome:
    conn, change, ticket, new, data = ctx.conn, ctx.change, ctx.ticket, ctx.new, ctx.data
    version = conn.execute(text(
        "UPDATE complaint SET status = :status, skpd_id = :skpd_id, followed_up_at = :followed_up_at, "
        "resolved_at = :resolved_at, closed_at = :closed_at, duplicate_of_id = :duplicate_of_id, "
        "supporters = :supporters, version = version + 1, updated_at = :now "
        "WHERE id = :id AND version = :version RETURNING version"), {**new, "now": ctx.now}).scalar()
    if version is None:  # unreachable while the row is locked; kept as the last line of defence
        raise StaleUpdate("Aduan ini sudah diubah orang lain.", "Someone else changed this ticket.")
    if "reroute" in data:
        manual = {**data["reroute"], "reason": change.note, "by": ctx.actor.id, "at": ctx.now.isoformat()}
        conn.execute(text("UPDATE complaint SET routing_manual = CAST(:m AS jsonb) WHERE id = :id"),
                     {"m": json.dumps(manual), "id": ticket["id"]})
        assignment.release(conn, assignment.TICKET_MOVED, complaint_id=ticket["id"], actor=ctx.actor,
                           actor_label=ctx.actor.label, now=ctx.now)
    kind = {"note": "note", "reroute": "reroute"}.get(change.action, "status")
    to_status = new["status"] if kind == "status" or new["status"] != ticket["status"] else None
    if photo is not None:
        data["photo"] = {"role": _photo_role(change), "sha256": photo.sha256}
    event_id = _event(conn, ticket["id"], kind, ticket["status"], to_status, ctx.actor, change.note.strip() or None,
                      change.public, change.position, data, ctx.now)
    if photo is not None:
        data["photo"]["id"] = _store_photo(conn, ticket["id"], event_id, change, photo)
    _tell_reporter(ctx, event_id)
    return Outcome(ticket["tracking_code"], new["status"], version, event_id, _flags(data), data)


NOTIFIED = {"resolve": "resolved", "reject": "rejected", "duplicate": "merged", "reroute": "rerouted",
            "reopen": "reopened"}


def _tell_reporter(ctx: _Ctx, event_id: int) -> None:
    """Steps the reporter (and followers) should know of go to the outbox in this transaction."""
    kind = NOTIFIED.get(ctx.change.action)
    if kind is None and ctx.ticket["followed_up_at"] is None and ctx.new["followed_up_at"] is not None:
        kind = "followed_up"
    if kind is None:
        return
    note = ctx.change.note.strip() if ctx.change.public else None
    original = (ctx.data.get("duplicate_of") or {}).get("code")
    notifications.enqueue(ctx.conn, ctx.ticket["id"], kind, ctx.settings, event_id=event_id, note=note or None,
                          original=original)
    if kind == "resolved":
        notifications.enqueue_for_merged(ctx.conn, ctx.ticket["id"], ctx.ticket["tracking_code"], ctx.settings,
                                         note=note or None)


def _flags(data: dict) -> tuple[str, ...]:
    onsite = data.get("onsite")
    if onsite is None:
        return ()
    return ("no_position",) if onsite["ok"] is None else (() if onsite["ok"] else ("offsite",))


def _event(conn: Connection, complaint_id: int, kind: str, from_status: str | None, to_status: str | None,
           actor: StaffUser, note: str | None, public: bool, pos: Position | None, data: dict | None,
           now: dt.datetime) -> int:
    return history.add_event(conn, complaint_id, kind, at=now, from_status=from_status, to_status=to_status,
                             actor_user_id=actor.id, actor_label=actor.label, note=note, public=public,
                             position=(pos.lon, pos.lat) if pos else None, data=data)


def _photo_role(change: Change) -> str:
    """Before/after photos: "after" when resolving unless the officer says otherwise."""
    if change.photo_role in ("before", "after"):
        return change.photo_role
    return "after" if change.action == "resolve" else "before"


def _store_photo(conn: Connection, complaint_id: int, event_id: int, change: Change, photo: ProcessedPhoto) -> int:
    """Kept with the event that brought it; public only when the event is."""
    return history.add_photo(conn, complaint_id, event_id, photo, role=_photo_role(change), public=change.public)
