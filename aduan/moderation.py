"""Moderation by the complaint desk (no Flask): what the public sees of a ticket, and the review of its routing.

| action       | what changes                                          | event data `action`  |
|--------------|-------------------------------------------------------|----------------------|
| hide_photo   | attachment.public = false                             | hide_photo           |
| show_photo   | attachment.public = true (not a staff-only step's)    | show_photo           |
| public_text  | complaint.public_description (empty: the original)    | public_text          |
| hide_ticket  | complaint.public = false                              | hide_ticket          |
| show_ticket  | complaint.public = true (not a confidential category) | show_ticket          |
| confirm      | nothing: the routing is confirmed                     | (kind `review`)      |
| reroute      | the SKPD, through the workflow (aduan/workflow.py)    | (kind `review`)      |

Only DESK_ROLES (aduan/permissions.py) moderate. Every action appends a staff-only event — kind `moderation`
(or `review`), who, when, what before and after — to the ticket's history (aduan/history.py), in the caller's
transaction. The original text is never changed: staff pages show it, the public view shows `public_description`
when set (aduan/queries/public.py). A moderation touches `updated_at` (so cached layers and tiles, keyed on the
newest change, are recomputed) but not `version`: an officer's open update form stays valid.
A ticket leaves the review queue (aduan/queries/review.py) with its `review` event; a re-route from the review
page is the workflow's re-route plus that event.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan import history
from aduan.errors import DomainError, Forbidden, NotFound
from aduan.partitions import code_span
from aduan.permissions import DESK_ROLES, StaffUser
from aduan.settings import Settings
from aduan.text import MAX_DESCRIPTION, clean_text
from aduan.workflow import MAX_NOTE, Change, apply

ACTIONS = ("hide_photo", "show_photo", "public_text", "hide_ticket", "show_ticket", "confirm", "reroute")
ACTION_LABELS = {
    "hide_photo": ("Foto disembunyikan dari publik", "Photo hidden from the public"),
    "show_photo": ("Foto ditampilkan lagi", "Photo shown again"),
    "public_text": ("Teks publik diubah", "Public text edited"),
    "hide_ticket": ("Aduan dijadikan tidak publik", "Ticket made non-public"),
    "show_ticket": ("Aduan dijadikan publik lagi", "Ticket made public again"),
    "confirm": ("Rute dikonfirmasi", "Routing confirmed"),
    "reroute": ("Dialihkan setelah ditinjau", "Re-routed after review"),
}


@dataclass(frozen=True)
class Moderation:
    """One moderation request as the clerk sent it."""

    action: str
    attachment_id: int | None = None
    text: str | None = None  # the new public text; empty puts the original back
    note: str = ""  # why (required to re-route)
    skpd_code: str | None = None  # re-route target
    version: int | None = None  # the ticket version the clerk saw (re-route only)


def check_moderate(actor: StaffUser) -> None:
    """Only the complaint desk and admins moderate."""
    if actor.role not in DESK_ROLES:
        raise Forbidden("Hanya petugas meja aduan yang dapat memoderasi aduan.",
                        "Only the complaint desk may moderate tickets.")


def moderate(conn: Connection, settings: Settings, actor: StaffUser, code: str, m: Moderation,
             now: dt.datetime | None = None) -> int:
    """Check and apply one moderation in the caller's transaction; returns the id of the event recording it."""
    check_moderate(actor)
    if m.action not in ACTIONS:
        raise DomainError("Tindakan moderasi tidak dikenal.", "Unknown moderation action.", field="action")
    now = now or dt.datetime.now(dt.UTC)
    if m.action == "reroute":  # the workflow locks, checks and records the re-route itself
        outcome = apply(conn, settings, actor, code, Change("reroute", m.version or 0, note=m.note,
                                                            skpd_code=m.skpd_code), now)
        data = {"outcome": "rerouted", "to_skpd": outcome.data["reroute"]["to_skpd"]}
        return _record(conn, _lock(conn, code), actor, "review", data, m.note, now)
    ticket = _lock(conn, code)
    return _EFFECTS[m.action](conn, ticket, actor, m, now)


_LOCK = text("SELECT c.id, c.tracking_code, c.public, c.public_description, c.description, c.routing_flags, "
             "cat.confidential FROM complaint c JOIN category cat ON cat.id = c.category_id "
             "WHERE c.tracking_code = :code AND c.id >= :lo AND c.id < :hi FOR UPDATE OF c")


def _lock(conn: Connection, code: str) -> dict:
    row = conn.execute(_LOCK, {"code": code, **code_span(code)}).mappings().first()
    if row is None:
        raise NotFound("Aduan tidak ditemukan.", "Ticket not found.", field="code")
    return dict(row)


def _record(conn: Connection, ticket: dict, actor: StaffUser, kind: str, data: dict, note: str | None,
            now: dt.datetime) -> int:
    """The staff-only history line; the ticket's newest change moves so caches keyed on it are recomputed."""
    conn.execute(text("UPDATE complaint SET updated_at = :now WHERE id = :id"), {"now": now, "id": ticket["id"]})
    return history.add_event(conn, ticket["id"], kind, at=now, note=(note or "").strip()[:MAX_NOTE] or None,
                             public=False, actor_user_id=actor.id, actor_label=actor.label, data=data)


_PHOTO = text("""
SELECT a.id, a.public, coalesce(e.public, true) AS step_public
  FROM attachment a LEFT JOIN complaint_event e ON e.id = a.event_id
 WHERE a.id = :id AND a.complaint_id = :cid FOR UPDATE OF a
""")


def _photo(conn: Connection, ticket: dict, actor: StaffUser, m: Moderation, now: dt.datetime) -> int:
    """Hide or show one photo of this ticket; a staff-only step's photo never becomes public here."""
    show = m.action == "show_photo"
    row = conn.execute(_PHOTO, {"id": m.attachment_id or 0, "cid": ticket["id"]}).mappings().first()
    if row is None:
        raise NotFound("Foto tidak ditemukan pada aduan ini.", "No such photo on this ticket.", field="attachment_id")
    if show and not row["step_public"]:
        raise DomainError("Foto ini milik langkah internal petugas dan tidak dapat dipublikasikan.",
                          "This photo belongs to a staff-only step and cannot be made public.",
                          field="attachment_id")
    conn.execute(text("UPDATE attachment SET public = :p WHERE id = :id"), {"p": show, "id": row["id"]})
    return _record(conn, ticket, actor, "moderation",
                   {"action": m.action, "attachment_id": row["id"], "before": row["public"], "after": show},
                   m.note, now)


def _public_text(conn: Connection, ticket: dict, actor: StaffUser, m: Moderation, now: dt.datetime) -> int:
    """The text the public reads instead of the reporter's; empty (or the original itself) restores it. Too long
    is refused, not cut: the clerk would not see what the public then reads."""
    typed = (m.text or "").replace("\r\n", "\n")
    new = clean_text(typed, None)
    if new is not None and len(new) > MAX_DESCRIPTION:
        raise DomainError(f"Teks publik paling panjang {MAX_DESCRIPTION} karakter.",
                          f"The public text may have at most {MAX_DESCRIPTION} characters.", field="public_text")
    if new is None and typed.strip():
        raise DomainError("Teks publik hanya berisi karakter yang tidak terbaca; kosongkan untuk memakai teks "
                          "pelapor.", "The public text holds only characters nobody can read; leave it empty to "
                          "show the reporter's text.", field="public_text")
    if new == ticket["description"]:
        new = None
    conn.execute(text("UPDATE complaint SET public_description = :t WHERE id = :id"), {"t": new, "id": ticket["id"]})
    return _record(conn, ticket, actor, "moderation",
                   {"action": "public_text", "before": ticket["public_description"], "after": new}, m.note, now)


def _ticket_public(conn: Connection, ticket: dict, actor: StaffUser, m: Moderation, now: dt.datetime) -> int:
    """Make the ticket non-public (lists, map, tiles, exports drop it; its code shows status only) or public."""
    show = m.action == "show_ticket"
    if show and ticket["confidential"]:
        raise DomainError("Aduan kategori rahasia tidak dapat dijadikan publik.",
                          "A ticket of a confidential category cannot be made public.", field="action")
    conn.execute(text("UPDATE complaint SET public = :p WHERE id = :id"), {"p": show, "id": ticket["id"]})
    return _record(conn, ticket, actor, "moderation",
                   {"action": m.action, "before": ticket["public"], "after": show}, m.note, now)


def _confirm(conn: Connection, ticket: dict, actor: StaffUser, m: Moderation, now: dt.datetime) -> int:
    """The clerk checked the routing (and a desk entry): the ticket leaves the review queue."""
    return _record(conn, ticket, actor, "review",
                   {"outcome": "confirmed", "flags": list(ticket["routing_flags"] or [])}, m.note, now)


_EFFECTS = {"hide_photo": _photo, "show_photo": _photo, "public_text": _public_text, "hide_ticket": _ticket_public,
            "show_ticket": _ticket_public, "confirm": _confirm}
