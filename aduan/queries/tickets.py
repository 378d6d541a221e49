"""A ticket as staff see it (no Flask): details, clocks, history with staff-only notes, photos, and the
reporter's contact only for the owning SKPD, the desk and admins; others allowed to see the ticket (planners) read
its texts as the public does, moderated and masked. Authorization is checked here, not in the template."""
from __future__ import annotations

from sqlalchemy import Connection, text

from aduan import assignment, history, notifications
from aduan.errors import NotFound
from aduan.partitions import code_span
from aduan.permissions import StaffUser, can_assign, can_change, can_view_contact, check_view_private
from aduan.statuses import OPEN_STATUSES
from aduan.text import mask_contacts, mask_json
from aduan.workflow import legal_actions

_TICKET = text("""
SELECT c.id, c.tracking_code, c.status, c.version, c.description, c.public_description, c.address, c.public,
       c.anonymous, c.channel, c.created_at, c.updated_at, c.followup_due_at, c.handling_due_at, c.followed_up_at,
       c.resolved_at, c.closed_at, c.supporters, to_jsonb(c.routing) AS routing, c.routing_manual, c.routing_flags,
       c.skpd_id, c.reporter_id, c.accuracy_m, c.attributes,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       cat.code AS category_code, cat.name_id AS category_name_id, cat.name_en AS category_name_en,
       s.code AS skpd_code, s.name AS skpd_name, k.name AS kelurahan_name, k.code AS kelurahan_code,
       d.tracking_code AS duplicate_of, c.channel_ref, c.received_at, COALESCE(u.name, u.email) AS entered_by,
       c.assigned_to_id, COALESCE(a.name, a.email) AS assigned_to
  FROM complaint c
  JOIN category cat ON cat.id = c.category_id
  JOIN skpd s ON s.id = c.skpd_id
  JOIN kelurahan k ON k.id = c.kelurahan_id
  LEFT JOIN complaint d ON d.id = c.duplicate_of_id
  LEFT JOIN app_user u ON u.id = c.entered_by_id
  LEFT JOIN app_user a ON a.id = c.assigned_to_id
 WHERE c.tracking_code = :code AND c.id >= :lo AND c.id < :hi
""")
_EVENTS = text("""
SELECT e.id, e.kind, e.from_status, e.to_status, e.actor_label, e.note, e.public, e.data, e.created_at,
       ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat
  FROM complaint_event e WHERE e.complaint_id = :id ORDER BY e.created_at DESC, e.id DESC
""")
_PHOTOS = text("""
SELECT id, event_id, role, public, width, height, created_at FROM attachment WHERE complaint_id = :id ORDER BY id
""")
_CONTACT = text("SELECT name, phone, email FROM reporter WHERE id = :id")


def staff_ticket(conn: Connection, user: StaffUser, code: str) -> dict:
    """Everything the ticket page shows this user; 404 for unknown codes, 403 for another SKPD's officer."""
    row = conn.execute(_TICKET, {"code": code, **code_span(code)}).mappings().first()
    if row is None:
        raise NotFound("Aduan tidak ditemukan.", "Ticket not found.", field="code")
    check_view_private(user, row)
    t = dict(row)
    t["events"] = [dict(e) for e in conn.execute(_EVENTS, {"id": t["id"]}).mappings()]
    t["photos"] = [dict(p) for p in conn.execute(_PHOTOS, {"id": t["id"]}).mappings()]
    t["duplicates"] = [m["tracking_code"] for m in history.merged_into(conn, t["id"])]
    t["can_view_contact"] = can_view_contact(user, row)
    contact = None
    if t["can_view_contact"] and t["reporter_id"] is not None:
        contact = conn.execute(_CONTACT, {"id": t["reporter_id"]}).mappings().first()
    t["contact"] = dict(contact) if contact else None
    t["actions"] = [a for a in legal_actions(t["status"]) if can_change(user, row, a)]
    t["messages"] = notifications.sent_status(conn, t["id"])
    t["can_assign"] = can_assign(user, row) and t["status"] in OPEN_STATUSES
    t["officers"] = assignment.officers(conn, t["skpd_id"]) if t["can_assign"] else []
    return t if t["can_view_contact"] else _without_contact(t)


def _without_contact(t: dict) -> dict:
    """The ticket for staff who may not see the reporter's contact: every free text masked (contact typed into a
    description, an address, a reply or a note, a channel's reference, an SMTP error naming an address), the
    description as the public reads it (moderated)."""
    t["description"] = mask_contacts(t["public_description"] or t["description"])
    for key in ("address", "channel_ref"):
        t[key] = mask_contacts(t[key])
    t["attributes"] = mask_json(t["attributes"])
    for e in t["events"]:
        e["note"] = mask_contacts(e["note"])
    for m in t["messages"]:
        m["last_error"] = mask_contacts(m["last_error"])
    return t


def photo_for_staff(conn: Connection, user: StaffUser, photo_id: int) -> tuple[bytes, str]:
    """A photo's bytes for a staff member allowed to see the ticket's private parts."""
    row = conn.execute(text(
        "SELECT a.data, a.content_type, c.skpd_id FROM attachment a JOIN complaint c ON c.id = a.complaint_id "
        "WHERE a.id = :id"), {"id": photo_id}).mappings().first()
    if row is None:
        raise NotFound("Foto tidak ditemukan.", "Photo not found.")
    check_view_private(user, row)
    return row["data"], row["content_type"]
