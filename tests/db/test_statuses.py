"""The one list of statuses agrees with what the database enforces and what the labels and Open311 say."""
from __future__ import annotations

import re

from sqlalchemy import text

from aduan import statuses


def test_database_check_constraint_allows_exactly_the_status_list(conn):
    """The migrations' CHECK on complaint.status names the same statuses as aduan.statuses.STATUSES."""
    definition = conn.execute(text(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'complaint_status' "
        "AND conrelid = 'complaint'::regclass")).scalar_one()  # each monthly partition has a copy
    assert set(re.findall(r"'(\w+)'", definition)) == set(statuses.STATUSES)


def test_partial_indexes_use_the_open_statuses(conn):
    """The open-ticket partial indexes are defined over exactly the open statuses (the hot plans rely on it)."""
    defs = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname IN "
                             "('complaint_open_due', 'complaint_open_geom_m')")).scalars().all()
    assert len(defs) == 2
    for d in defs:
        assert set(re.findall(r"'(\w+)'", d)) == set(statuses.OPEN_STATUSES)


def test_every_status_has_both_labels_and_an_open311_state():
    """Each status is named in Indonesian and English and is open or closed for Open311."""
    assert set(statuses.LABELS) == set(statuses.STATUSES)
    assert all(statuses.label(s) and statuses.label(s, "en") for s in statuses.STATUSES)
    assert [s for s in statuses.STATUSES if statuses.open311_status(s) == "open"] == list(statuses.OPEN_STATUSES)
    assert statuses.OPEN_SQL == "IN ('new', 'verified', 'in_progress')"
