"""The ticket workflow on real PostGIS: the transition table, clocks, events, on-site check, duplicates, re-routing."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from aduan.errors import DomainError, NotFound
from aduan.permissions import StaffUser
from aduan.statuses import STATUSES
from aduan.workflow import Change, IllegalTransition, Position, StaleUpdate, apply
from app.errors import status_of
from geo.routing import OutsideCityError
from tests.fieldkit import jpeg_bytes

NOW = dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC)  # Wednesday 10:00 WITA
A = (114.51, -3.39)  # Kelurahan A; a PUPR road ticket
# The legal moves, written out from the issue (not derived from the code under test).
LEGAL = {
    ("new", "verify"): "verified", ("new", "start"): "in_progress", ("new", "reject"): "rejected",
    ("new", "duplicate"): "duplicate", ("verified", "start"): "in_progress", ("verified", "reject"): "rejected",
    ("verified", "duplicate"): "duplicate", ("in_progress", "resolve"): "resolved", ("resolved", "close"): "closed",
    ("resolved", "reopen"): "in_progress", ("closed", "reopen"): "in_progress", ("rejected", "reopen"): "new",
    ("duplicate", "reopen"): "new",
}
STATUS_ACTIONS = ("verify", "start", "resolve", "close", "reject", "duplicate", "reopen")


def _ticket(conn, settings, status="new", lon=A[0], lat=A[1], category="jalan-rusak") -> str:
    frame = pd.DataFrame([(lon, lat, category, f"uji {status}", "2026-11-02 09:00", status)],
                         columns=["lon", "lat", "category", "description", "created_at", "status"])
    assert load_complaints(conn, frame, settings=settings).loaded == 1
    return conn.execute(text("SELECT tracking_code FROM complaint ORDER BY id % 10000000000 DESC LIMIT 1")  # newest
                        ).scalar_one()


def _user(conn, role="admin", skpd=None) -> StaffUser:
    uid = conn.execute(text(
        "INSERT INTO app_user (email, password_hash, role, skpd_id) VALUES (:e, 'x', :r, "
        "(SELECT id FROM skpd WHERE code = :s)) RETURNING id"), {"e": f"{role}-{skpd}@t.test", "r": role,
                                                                  "s": skpd}).scalar_one()
    skpd_id = conn.execute(text("SELECT id FROM skpd WHERE code = :s"), {"s": skpd}).scalar()
    return StaffUser(uid, f"{role}-{skpd}@t.test", None, role, skpd_id, skpd)


def _row(conn, code) -> dict:
    return dict(conn.execute(text("SELECT * FROM complaint WHERE tracking_code = :c"), {"c": code}).mappings().one())


def _events(conn, code) -> list[dict]:
    return [dict(r) for r in conn.execute(text(
        "SELECT e.*, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat FROM complaint_event e "
        "JOIN complaint c ON c.id = e.complaint_id WHERE c.tracking_code = :c AND e.kind <> 'created' ORDER BY e.id"),
        {"c": code}).mappings()]


def _full_change(conn, settings, action: str) -> Change:
    """A change carrying whatever the action needs (reason, original ticket, target SKPD)."""
    extra = {}
    if action == "duplicate":
        extra["duplicate_of"] = _ticket(conn, settings, "in_progress")
    return Change(action, 1, note="alasan uji", **extra)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", STATUS_ACTIONS)
def test_transition_table(conn, settings, status, action):
    """Each (status, action) pair either moves to the documented status or is refused as illegal."""
    code = _ticket(conn, settings, status)
    change = _full_change(conn, settings, action)
    if (status, action) in LEGAL:
        assert apply(conn, settings, _user(conn), code, change, NOW).status == LEGAL[(status, action)]
        assert _row(conn, code)["status"] == LEGAL[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            apply(conn, settings, _user(conn), code, change, NOW)
        assert _row(conn, code)["status"] == status


def test_every_change_is_one_event_with_actor_note_flag_and_position(conn, settings):
    """A status change writes one event: who, when, from/to, the note, its visibility and the officer's position."""
    code = _ticket(conn, settings)
    officer = _user(conn, "officer", "PUPR")
    apply(conn, settings, officer, code, Change("start", 1, note="Tim berangkat", public=True,
                                                position=Position(114.5101, -3.3901, 8.0)), NOW)
    [event] = _events(conn, code)
    assert (event["kind"], event["from_status"], event["to_status"]) == ("status", "new", "in_progress")
    assert (event["actor_user_id"], event["note"], event["public"]) == (officer.id, "Tim berangkat", True)
    assert (round(event["lon"], 4), round(event["lat"], 4)) == (114.5101, -3.3901)
    assert event["data"]["position"]["accuracy_m"] == 8.0 and event["created_at"] == NOW


def test_each_change_increments_the_version(conn, settings):
    """The version counts changes, so a stale form can be recognised."""
    code = _ticket(conn, settings)
    out = apply(conn, settings, _user(conn), code, Change("note", 1, note="satu"), NOW)
    assert out.version == 2 == _row(conn, code)["version"]


def test_stale_version_is_a_conflict_and_writes_nothing(conn, settings):
    """A change made against an old version is refused with 409 and leaves the ticket as it was."""
    code = _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, code, Change("verify", 1), NOW)
    with pytest.raises(StaleUpdate) as err:
        apply(conn, settings, admin, code, Change("start", 1, note="terlambat"), NOW)
    assert status_of(err.value) == 409 and "versi 1 → 2" in err.value.message_id
    assert _row(conn, code)["status"] == "verified" and len(_events(conn, code)) == 1


def test_unknown_ticket_is_not_found(conn, settings):
    """A code that does not exist is a 404."""
    with pytest.raises(NotFound):
        apply(conn, settings, _user(conn), "BJM-0000-XXXXXX", Change("verify", 1), NOW)


def test_first_status_change_stops_the_followup_clock(conn, settings):
    """Verifying is a response: followed_up_at is set to the moment of the change."""
    code = _ticket(conn, settings)
    apply(conn, settings, _user(conn), code, Change("verify", 1), NOW)
    assert _row(conn, code)["followed_up_at"] == NOW


def test_staff_only_note_does_not_stop_the_followup_clock(conn, settings):
    """An internal note is not a response to the citizen."""
    code = _ticket(conn, settings)
    apply(conn, settings, _user(conn), code, Change("note", 1, note="cek besok", public=False), NOW)
    assert _row(conn, code)["followed_up_at"] is None


def test_public_note_stops_the_followup_clock(conn, settings):
    """A public note is a substantive response."""
    code = _ticket(conn, settings)
    apply(conn, settings, _user(conn), code, Change("note", 1, note="Akan kami cek", public=True), NOW)
    assert _row(conn, code)["followed_up_at"] == NOW


@pytest.mark.parametrize("public", [False, True])
def test_a_reroute_does_not_stop_the_followup_clock_even_with_a_public_note(conn, settings, public):
    """Handing the ticket on answers nothing: the clock runs until the new SKPD responds, which then counts."""
    code = _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, code, Change("reroute", 1, note="Ini saluran, bukan jalan", skpd_code="DLH",
                                              public=public), NOW)
    assert _row(conn, code)["followed_up_at"] is None
    apply(conn, settings, admin, code, Change("verify", 2), NOW + dt.timedelta(hours=3))
    assert _row(conn, code)["followed_up_at"] == NOW + dt.timedelta(hours=3)


def test_later_changes_keep_the_first_followup_time(conn, settings):
    """Only the first response counts."""
    code = _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, code, Change("verify", 1), NOW)
    apply(conn, settings, admin, code, Change("start", 2), NOW + dt.timedelta(days=1))
    assert _row(conn, code)["followed_up_at"] == NOW


def test_resolution_stops_the_handling_clock(conn, settings):
    """Resolving sets resolved_at."""
    code = _ticket(conn, settings, "in_progress")
    apply(conn, settings, _user(conn), code, Change("resolve", 1), NOW)
    assert _row(conn, code)["resolved_at"] == NOW


@pytest.mark.parametrize(("change", "field"), [
    (Change("resolve", 1), "photo"),
    (Change("resolve", 1, note="Sudah ditambal", public=True), "photo"),
    (Change("resolve", 1, note="Sudah ditambal", public=True, photo=b"x", photo_role="before"), "photo"),
    (Change("resolve", 1, photo=b"x"), "note"),
    (Change("resolve", 1, note="Sudah ditambal", public=False, photo=b"x"), "note"),
])
def test_a_category_that_asks_for_evidence_is_not_resolved_without_it(conn, settings, change, field):
    """Roads and the like: resolving needs an after-photo and a note the citizen can read; nothing is written."""
    conn.execute(text("UPDATE category SET resolve_needs_evidence = true WHERE code = 'jalan-rusak'"))
    code = _ticket(conn, settings, "in_progress")
    if change.photo:
        change = dataclasses.replace(change, photo=jpeg_bytes())
    with pytest.raises(DomainError) as err:
        apply(conn, settings, _user(conn), code, change, NOW)
    assert err.value.field == field and status_of(err.value) == 400
    assert _row(conn, code)["status"] == "in_progress" and _events(conn, code) == []


def test_with_an_after_photo_and_a_public_note_it_is_resolved(conn, settings):
    conn.execute(text("UPDATE category SET resolve_needs_evidence = true WHERE code = 'jalan-rusak'"))
    code, admin = _ticket(conn, settings, "in_progress"), _user(conn)
    out = apply(conn, settings, admin, code, Change("resolve", 1, note="Lubang sudah ditambal", public=True,
                                                    photo=jpeg_bytes()), NOW)
    assert out.status == "resolved" and out.data["photo"]["role"] == "after"
    other = _ticket(conn, settings, "in_progress", category="lampu-jalan")  # a category that does not ask
    assert apply(conn, settings, admin, other, Change("resolve", 1), NOW).status == "resolved"


def test_reopen_clears_the_resolution_and_keeps_due_dates(conn, settings):
    """Re-opening a resolved ticket restarts handling against the original due dates."""
    code = _ticket(conn, settings, "in_progress")
    admin = _user(conn)
    before = _row(conn, code)
    apply(conn, settings, admin, code, Change("resolve", 1), NOW)
    apply(conn, settings, admin, code, Change("reopen", 2, note="Lubang muncul lagi"), NOW)
    after = _row(conn, code)
    assert after["resolved_at"] is None and after["status"] == "in_progress"
    assert after["handling_due_at"] == before["handling_due_at"]


def test_resolving_far_from_the_ticket_is_allowed_but_flagged(conn, settings):
    """An officer 300 m away may resolve; the event records off-site with the distance."""
    code = _ticket(conn, settings, "in_progress")
    out = apply(conn, settings, _user(conn), code, Change("resolve", 1, position=Position(114.5127, -3.39)), NOW)
    assert out.status == "resolved" and out.flags == ("offsite",)
    onsite = _events(conn, code)[0]["data"]["onsite"]
    assert onsite["ok"] is False and 290 < onsite["distance_m"] < 310 and onsite["max_m"] == 100


def test_resolving_on_site_is_not_flagged(conn, settings):
    """Within the on-site radius the resolution carries no flag."""
    code = _ticket(conn, settings, "in_progress")
    out = apply(conn, settings, _user(conn), code, Change("resolve", 1, position=Position(114.5103, -3.39)), NOW)
    assert out.flags == () and _events(conn, code)[0]["data"]["onsite"]["ok"] is True


def test_resolving_without_position_is_flagged(conn, settings):
    """No position means no on-site check; the event says so."""
    code = _ticket(conn, settings, "in_progress")
    assert apply(conn, settings, _user(conn), code, Change("resolve", 1), NOW).flags == ("no_position",)


def test_position_outside_the_city_is_refused(conn, settings):
    """A position far outside the city is a 422 and nothing is written."""
    code = _ticket(conn, settings, "in_progress")
    with pytest.raises(OutsideCityError):
        apply(conn, settings, _user(conn), code, Change("resolve", 1, position=Position(114.70, -3.39)), NOW)
    assert _row(conn, code)["status"] == "in_progress"


def test_reject_needs_a_reason(conn, settings):
    """Rejecting without a reason is refused with a message."""
    code = _ticket(conn, settings)
    with pytest.raises(DomainError) as err:
        apply(conn, settings, _user(conn), code, Change("reject", 1, note="  "), NOW)
    assert err.value.field == "note" and status_of(err.value) == 400


def test_reject_closes_the_ticket(conn, settings):
    """A rejected ticket leaves the open list with closed_at and the reason in its history."""
    code = _ticket(conn, settings)
    apply(conn, settings, _user(conn), code, Change("reject", 1, note="Bukan wewenang kota", public=True), NOW)
    assert _row(conn, code)["closed_at"] == NOW and _events(conn, code)[0]["note"] == "Bukan wewenang kota"


def test_duplicate_links_both_and_moves_supporters(conn, settings):
    """The duplicate points at the original; its supporters and its reporter become the original's supporters."""
    original, dup = _ticket(conn, settings), _ticket(conn, settings)
    conn.execute(text("UPDATE complaint SET supporters = 3 WHERE tracking_code = :c"), {"c": dup})
    apply(conn, settings, _user(conn), dup, Change("duplicate", 1, duplicate_of=original), NOW)
    o, d = _row(conn, original), _row(conn, dup)
    assert d["duplicate_of_id"] == o["id"] and d["status"] == "duplicate"
    assert (o["supporters"], d["supporters"]) == (4, 0)
    assert _events(conn, original)[0]["data"]["duplicate"]["code"] == dup


def test_duplicate_of_itself_is_refused(conn, settings):
    """A ticket cannot be its own original."""
    code = _ticket(conn, settings)
    with pytest.raises(DomainError):
        apply(conn, settings, _user(conn), code, Change("duplicate", 1, duplicate_of=code), NOW)


def test_duplicate_of_a_duplicate_is_refused(conn, settings):
    """The original must be live, so chains of duplicates do not form."""
    first, second, third = _ticket(conn, settings), _ticket(conn, settings), _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, second, Change("duplicate", 1, duplicate_of=first), NOW)
    with pytest.raises(DomainError) as err:
        apply(conn, settings, admin, third, Change("duplicate", 1, duplicate_of=second), NOW)
    assert err.value.field == "duplicate_of"


def test_reopen_of_a_duplicate_unlinks_it(conn, settings):
    """Re-opening a duplicate makes it a new ticket of its own again."""
    original, dup = _ticket(conn, settings), _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, dup, Change("duplicate", 1, duplicate_of=original), NOW)
    apply(conn, settings, admin, dup, Change("reopen", 2, note="Bukan masalah yang sama"), NOW)
    assert _row(conn, dup)["duplicate_of_id"] is None and _row(conn, dup)["status"] == "new"


def test_reroute_changes_skpd_and_keeps_the_clocks(conn, settings):
    """Re-routing moves the ticket to the new SKPD; due dates and the follow-up already given stay."""
    code = _ticket(conn, settings)
    admin = _user(conn)
    apply(conn, settings, admin, code, Change("start", 1), NOW)
    before = _row(conn, code)
    apply(conn, settings, admin, code, Change("reroute", 2, note="Ini saluran, bukan jalan", skpd_code="DLH"), NOW)
    after = _row(conn, code)
    assert after["skpd_id"] != before["skpd_id"] and after["status"] == "verified"
    assert (after["followup_due_at"], after["handling_due_at"], after["followed_up_at"]) == (
        before["followup_due_at"], before["handling_due_at"], before["followed_up_at"])
    event = _events(conn, code)[-1]
    assert event["kind"] == "reroute" and event["data"]["reroute"]["to_skpd"] == "DLH"
    assert after["routing_manual"]["reason"] == "Ini saluran, bukan jalan"  # the clerk's override, beside
    assert after["routing"] == before["routing"]  # the record of what routing decided, unchanged


def test_reroute_needs_a_reason(conn, settings):
    """Re-routing without a reason is refused."""
    code = _ticket(conn, settings)
    with pytest.raises(DomainError):
        apply(conn, settings, _user(conn), code, Change("reroute", 1, skpd_code="DLH"), NOW)


def test_reroute_to_unknown_skpd_is_not_found(conn, settings):
    """An unknown target SKPD is a 404 naming the field."""
    code = _ticket(conn, settings)
    with pytest.raises(NotFound) as err:
        apply(conn, settings, _user(conn), code, Change("reroute", 1, note="x", skpd_code="NOPE"), NOW)
    assert err.value.field == "skpd"


def test_resolution_photo_is_kept_as_after_photo(conn, settings):
    """A photo sent with the resolution is stored re-encoded, as the "after" photo, linked to the event."""
    code = _ticket(conn, settings, "in_progress")
    out = apply(conn, settings, _user(conn), code, Change("resolve", 1, photo=jpeg_bytes()), NOW)
    row = conn.execute(text("SELECT role, event_id, content_type, public FROM attachment")).mappings().one()
    assert dict(row) == {"role": "after", "event_id": out.event_id, "content_type": "image/jpeg", "public": False}


def test_fake_photo_is_refused_and_nothing_written(conn, settings):
    """A file that is not an image is a 400 with a message; the status does not change."""
    code = _ticket(conn, settings, "in_progress")
    with pytest.raises(DomainError) as err:
        apply(conn, settings, _user(conn), code, Change("resolve", 1, photo=b"MZ\x90\x00 not a photo"), NOW)
    assert err.value.code == "bad_photo" and _row(conn, code)["status"] == "in_progress"


def test_huge_photo_is_refused(conn, settings):
    """A photo over the size limit is refused before decoding."""
    code = _ticket(conn, settings, "in_progress")
    huge = b"\xff\xd8\xff" + b"0" * (settings.max_upload_mb * 1024 * 1024 + 1)
    with pytest.raises(DomainError) as err:
        apply(conn, settings, _user(conn), code, Change("resolve", 1, photo=huge), NOW)
    assert "terlalu besar" in err.value.message_id
