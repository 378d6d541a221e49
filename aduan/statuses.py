"""The one list of ticket statuses, their names in Indonesian and English, and what "open" means.

Open311 calls new/verified/in_progress `open` and the rest `closed`. SQL takes the lists as bound parameters;
statements whose plans depend on an open-ticket partial index use `open_condition` (or, in the models' index
definitions, `OPEN_SQL`), which write the same list into the SQL text, so the words are still written once.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam

STATUSES = ("new", "verified", "in_progress", "resolved", "closed", "rejected", "duplicate")
OPEN_STATUSES = ("new", "verified", "in_progress")
CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
# Not a separate problem on the ground: left out of maps and layers by default.
NOT_A_PROBLEM = ("rejected", "duplicate")
LABELS = {
    "new": ("Baru", "New"),
    "verified": ("Terverifikasi", "Verified"),
    "in_progress": ("Sedang ditangani", "In progress"),
    "resolved": ("Selesai ditangani", "Resolved"),
    "closed": ("Ditutup", "Closed"),
    "rejected": ("Ditolak", "Rejected"),
    "duplicate": ("Duplikat", "Duplicate"),
}


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


OPEN_SQL = "IN " + _sql_list(OPEN_STATUSES)  # "IN ('new', 'verified', 'in_progress')", the partial indexes' predicate
ALL_SQL = "IN " + _sql_list(STATUSES)


# The states FixMyStreet-style front ends read from Open311 servicerequestupdates (mapped by their map_state).
UPDATE_STATES = {"new": "OPEN", "verified": "INVESTIGATING", "in_progress": "IN_PROGRESS", "resolved": "FIXED",
                 "closed": "CLOSED", "rejected": "NO_FURTHER_ACTION", "duplicate": "DUPLICATE"}


def is_open(status: str) -> bool:
    """Still waiting for the city: new, verified or in progress."""
    return status in OPEN_STATUSES


def open311_status(status: str) -> str:
    """Open311's two states: open = new/verified/in_progress; everything else is closed."""
    return "open" if is_open(status) else "closed"


def label(status: str | None, lang: str = "id") -> str:
    """The status's name in the reader's language (an unknown value is shown as it is)."""
    if status not in LABELS:
        return status or ""
    return LABELS[status][1 if lang == "en" else 0]


def open_condition(status: ColumnElement) -> ColumnElement[bool]:
    """`status IN ('new', 'verified', 'in_progress')` with the values written into the SQL (not bound), exactly as
    the open-ticket partial indexes' predicate, so the planner can always prove that those indexes apply."""
    return status.in_(bindparam("open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True))
