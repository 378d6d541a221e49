"""Assignment (no Flask): an SKPD admin, the desk or an admin gives an open ticket to one officer of the ticket's
SKPD, or takes it back; each change is a staff-only "assign" event in the history. It does not change the
ticket's version: an officer's open update form stays valid when the ticket is handed to someone."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, func, select, text

from aduan import history
from aduan.errors import DomainError, NotFound
from aduan.models import User
from aduan.partitions import code_span
from aduan.permissions import SKPD_ROLES, StaffUser, check_assign
from aduan.statuses import OPEN_STATUSES

USER = User.__table__


def officers(conn: Connection, skpd_id: int) -> list[dict]:
    """Who a ticket of this SKPD can be given to: its active officers and SKPD admins, by name."""
    return [dict(r) for r in conn.execute(
        select(USER.c.id, func.coalesce(USER.c.name, USER.c.email).label("label"), USER.c.role)
        .where(USER.c.skpd_id == skpd_id, USER.c.active, USER.c.role.in_(SKPD_ROLES))
        .order_by(func.coalesce(USER.c.name, USER.c.email))).mappings()]


def assign(conn: Connection, actor: StaffUser, code: str, officer_id: int | None,
           now: dt.datetime | None = None) -> str | None:
    """Give the ticket to `officer_id` (None: to nobody); returns the officer's name. In the caller's transaction."""
    now = now or dt.datetime.now(dt.UTC)
    ticket = conn.execute(text(
        "SELECT c.id, c.status, c.skpd_id, c.assigned_to_id, COALESCE(u.name, u.email) AS current "
        "FROM complaint c LEFT JOIN app_user u ON u.id = c.assigned_to_id "
        "WHERE c.tracking_code = :code AND c.id >= :lo AND c.id < :hi FOR UPDATE OF c"),
        {"code": code, **code_span(code)}).mappings().first()
    if ticket is None:
        raise NotFound("Aduan tidak ditemukan.", "Ticket not found.", field="code")
    check_assign(actor, ticket)
    if ticket["status"] not in OPEN_STATUSES:
        raise DomainError("Hanya aduan yang masih terbuka yang dapat ditugaskan.",
                          "Only an open ticket can be assigned.", field="officer")
    label = None
    if officer_id is not None:
        chosen = {o["id"]: o["label"] for o in officers(conn, ticket["skpd_id"])}
        if officer_id not in chosen:
            raise DomainError("Petugas itu bukan petugas aktif SKPD penanggung jawab.",
                              "That officer is not an active officer of the responsible SKPD.", field="officer")
        label = chosen[officer_id]
    if officer_id == ticket["assigned_to_id"]:
        return label
    conn.execute(text("UPDATE complaint SET assigned_to_id = :o, updated_at = :now WHERE id = :id"),
                 {"o": officer_id, "now": now, "id": ticket["id"]})
    note = f"Ditugaskan ke {label} / assigned to {label}" if label else "Penugasan dicabut / assignment removed"
    history.add_event(conn, ticket["id"], "assign", at=now, public=False, actor_user_id=actor.id,
                      actor_label=actor.label, note=note,
                      data={"from": ticket["assigned_to_id"], "from_label": ticket["current"], "to": officer_id,
                            "to_label": label})
    return label


# Why release() took a ticket back (Indonesian, English), written into its staff-only step.
TICKET_MOVED = ("aduan dialihkan ke SKPD lain", "the ticket moved to another SKPD")
OFFICER_MOVED = ("petugas pindah peran atau SKPD", "the officer moved to another role or SKPD")
OFFICER_DISABLED = ("akun petugas dinonaktifkan", "the officer's account was disabled")


def release(conn: Connection, reason: tuple[str, str], *, officer_id: int | None = None,
            complaint_id: int | None = None, actor: StaffUser | None = None, actor_label: str,
            now: dt.datetime | None = None) -> int:
    """Take open tickets back from officers who can no longer work them (disabled, moved to another role or
    SKPD, or the ticket moved to another SKPD), each with its "assign" event; only `officer_id`'s tickets, or
    only ticket `complaint_id`, when given. Left assigned, such a ticket names an officer who gets 403 on it, and
    its SKPD's "unassigned" list hides it. Call it after the change, in its transaction; returns how many."""
    now = now or dt.datetime.now(dt.UTC)
    released = conn.execute(text(
        "UPDATE complaint c SET assigned_to_id = NULL, updated_at = :now FROM app_user u "
        "WHERE u.id = c.assigned_to_id AND c.status = ANY(:open) "
        "AND (NOT u.active OR u.role <> ALL(:roles) OR u.skpd_id IS DISTINCT FROM c.skpd_id) "
        "AND (CAST(:officer AS integer) IS NULL OR c.assigned_to_id = :officer) "
        "AND (CAST(:complaint AS bigint) IS NULL OR c.id = :complaint) "
        "RETURNING c.id, u.id AS officer_id, COALESCE(u.name, u.email) AS officer"),
        {"now": now, "open": list(OPEN_STATUSES), "roles": list(SKPD_ROLES), "officer": officer_id,
         "complaint": complaint_id}).mappings().all()
    for r in released:
        history.add_event(conn, r["id"], "assign", at=now, public=False,
                          actor_user_id=actor.id if actor else None, actor_label=actor_label,
                          note=f"Penugasan dicabut: {reason[0]} / assignment removed: {reason[1]}",
                          data={"from": r["officer_id"], "from_label": r["officer"], "to": None, "to_label": None})
    return len(released)
