"""Who may see and do what, in one table (no Flask): checked on the server for every page, API call and action.

| role        | sees private parts (staff notes, positions, staff photos) | sees reporter contact | may do            |
|-------------|-----------------------------------------------------------|-----------------------|-------------------|
| officer     | own SKPD's tickets                                        | own SKPD's tickets    | OFFICER_ACTIONS   |
| skpd_admin  | own SKPD's tickets                                        | own SKPD's tickets    | every action      |
| planner     | every ticket (read-only everywhere)                       | never                 | nothing           |
| desk        | every ticket                                              | every ticket          | DESK_ACTIONS      |
| admin       | every ticket                                              | every ticket          | every action      |

The desk (the city's complaint desk, Diskominfotik clerks) also enters complaints that arrived through other
channels on the reporter's behalf and moderates what the public sees (DESK_ROLES).

Officers of another SKPD see only the public parts of a ticket (through the public pages and public tickets
in the nearby list); they get 403 on its staff page and on every change.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from aduan.errors import Forbidden

# Every workflow action (app/workflow.py holds the status transitions they cause).
ACTIONS = ("note", "verify", "start", "resolve", "close", "reject", "duplicate", "reopen", "reroute")
# Field officers work the ticket; deciding that it is not a ticket (reject, duplicate), closing it, re-opening it
# and sending it to another SKPD are the desk's or the SKPD admin's call.
OFFICER_ACTIONS = frozenset({"note", "verify", "start", "resolve"})
DESK_ACTIONS = frozenset({"note", "verify", "close", "reject", "duplicate", "reopen", "reroute"})
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "officer": OFFICER_ACTIONS,
    "skpd_admin": frozenset(ACTIONS),
    "planner": frozenset(),
    "desk": DESK_ACTIONS,
    "admin": frozenset(ACTIONS),
}
ROLES = ("officer", "skpd_admin", "planner", "desk", "admin")
SKPD_ROLES = ("officer", "skpd_admin")
CITY_WIDE_ROLES = ("desk", "admin")  # act on every SKPD's tickets
DESK_ROLES = ("desk", "admin")  # enter complaints from other channels, moderate


@dataclass(frozen=True)
class StaffUser:
    """The logged-in staff member, as the permission checks and the workflow need it."""

    id: int
    email: str
    name: str | None
    role: str
    skpd_id: int | None
    skpd_code: str | None = None

    @property
    def label(self) -> str:
        """How the user appears in ticket history."""
        return self.name or self.email


class _HasSkpd(Protocol):
    skpd_id: int


OwnedBySkpd = _HasSkpd | Mapping  # an ORM Complaint or a row mapping with "skpd_id"


def owns(user: StaffUser, complaint: OwnedBySkpd) -> bool:
    """The ticket belongs to the user's own SKPD."""
    skpd_id = complaint["skpd_id"] if isinstance(complaint, Mapping) else complaint.skpd_id
    return user.role in SKPD_ROLES and user.skpd_id is not None and user.skpd_id == skpd_id


def can_view_private(user: StaffUser, complaint: OwnedBySkpd) -> bool:
    """Staff-only notes, officers' positions and staff photos: the owning SKPD, planners and admins."""
    return user.role in ("admin", "planner", "desk") or owns(user, complaint)


def can_view_contact(user: StaffUser, complaint: OwnedBySkpd) -> bool:
    """Reporter contact data (PII): only the owning SKPD, the desk and admins."""
    return user.role in CITY_WIDE_ROLES or owns(user, complaint)


def allowed_actions(user: StaffUser, complaint: OwnedBySkpd) -> frozenset[str]:
    """The actions this user may take on this ticket, whatever its status."""
    if user.role in CITY_WIDE_ROLES or owns(user, complaint):
        return ROLE_ACTIONS.get(user.role, frozenset())
    return frozenset()


def can_change(user: StaffUser, complaint: OwnedBySkpd, action: str | None = None) -> bool:
    """Whether the user may change this ticket at all (or take `action` on it)."""
    actions = allowed_actions(user, complaint)
    return bool(actions) if action is None else action in actions


def can_assign(user: StaffUser, complaint: OwnedBySkpd) -> bool:
    """Give a ticket to an officer: its SKPD's admin, the desk, admins (officers are given work, not take it)."""
    return user.role in CITY_WIDE_ROLES or (user.role == "skpd_admin" and owns(user, complaint))


def check_assign(user: StaffUser, complaint: OwnedBySkpd) -> None:
    if not can_assign(user, complaint):
        raise Forbidden("Hanya admin SKPD penanggung jawab, meja aduan atau admin yang dapat menugaskan aduan.",
                        "Only the responsible SKPD's admin, the desk or an admin may assign a ticket.",
                        field="officer")


def can_enter(user: StaffUser) -> bool:
    """May enter a complaint on a reporter's behalf with its channel, reference and time of receipt."""
    return user.role in DESK_ROLES


def check_enter(user: StaffUser) -> None:
    if not can_enter(user):
        raise Forbidden("Hanya petugas meja aduan yang dapat mencatat aduan dari kanal lain.",
                        "Only the complaint desk may enter complaints from other channels.")


def check_view_private(user: StaffUser, complaint: OwnedBySkpd) -> None:
    """Raise 403 unless the user may see the ticket's private parts."""
    if not can_view_private(user, complaint):
        raise Forbidden("Aduan ini ditangani SKPD lain; Anda tidak berhak melihat bagian internalnya.",
                        "This ticket belongs to another SKPD; you may not see its internal parts.")


def check_action(user: StaffUser, complaint: OwnedBySkpd, action: str) -> None:
    """Raise 403 unless the user may take `action` on the ticket."""
    if can_change(user, complaint, action):
        return
    if user.role == "planner":
        raise Forbidden("Perencana hanya dapat melihat, tidak dapat mengubah aduan.",
                        "Planners have read-only access and cannot change tickets.")
    if not can_change(user, complaint):
        raise Forbidden("Aduan ini ditangani SKPD lain; Anda tidak dapat mengubahnya.",
                        "This ticket belongs to another SKPD; you cannot change it.")
    raise Forbidden("Peran Anda tidak boleh melakukan tindakan ini.",
                    "Your role is not allowed to take this action.", field="action")


def check_admin(user: StaffUser) -> None:
    """Only the city's administrators change users, keys, categories, areas, boundaries and days off."""
    if user.role != "admin":
        raise Forbidden("Hanya administrator kota yang dapat membuka halaman ini.",
                        "Only the city's administrators may open this page.")


def check_skpd(user: StaffUser, code: str) -> None:
    """An SKPD admin may open (and edit the names and e-mail of) their own SKPD only."""
    if user.role == "admin" or (user.role == "skpd_admin" and user.skpd_code == code):
        return
    raise Forbidden("Anda hanya dapat membuka SKPD Anda sendiri.", "You may only open your own SKPD.")
