"""Intake stores a routed complaint with its clocks, or nothing at all."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from aduan.errors import DomainError
from aduan.intake import Submission, submit, support
from aduan.photos import PhotoError
from geo.routing import OutsideCityError, RoutingError


@pytest.fixture
def session(conn):
    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        yield s


def _sub(**kw) -> Submission:
    base = dict(category="jalan-rusak", description="Jalan berlubang dalam di depan sekolah", lon=114.51,
                lat=-3.39)
    return Submission(**(base | kw))


def _count(conn, table):
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_submit_routes_and_stores_decision_and_clocks(session, conn, settings):
    """A good submission is routed to PUPR with its decision stored, due dates set and a 'created' event."""
    res = submit(session, _sub(name="Budi", phone="0812 3456 789"), settings)
    assert res.created and res.tracking_code.startswith("BJM-")
    row = conn.execute(text("SELECT to_jsonb(c.routing), s.code, c.followup_due_at < c.handling_due_at, "
                            "c.reporter_id, c.anonymous FROM complaint c JOIN skpd s ON s.id = c.skpd_id")).one()
    assert row[0]["kelurahan_code"] == "99.01.01.1001" and row[1] == "PUPR" and row[2]
    assert row[3] is not None and row[4] is False
    assert _count(conn, "complaint_event") == 1


def test_anonymous_stores_no_reporter(session, conn, settings):
    """Choosing anonymity stores no contact data at all."""
    submit(session, _sub(name="Budi", email="b@example.id", anonymous=True), settings)
    assert _count(conn, "reporter") == 0


def test_outside_city_stores_nothing(session, conn, settings):
    """A point far outside is refused and leaves no row anywhere."""
    with pytest.raises(OutsideCityError):
        submit(session, _sub(lon=114.9, name="X", phone="0812345678"), settings)
    assert _count(conn, "complaint") == 0 and _count(conn, "reporter") == 0


@pytest.mark.parametrize("kw,field", [
    (dict(category="nope"), "category"), (dict(description="  "), "description"),
    (dict(description="x" * 5001), "description"), (dict(email="not-an-email"), "email"),
    (dict(phone="call me"), "phone"), (dict(accuracy_m="far"), "accuracy_m"),
])
def test_bad_fields_name_the_field(session, conn, settings, kw, field):
    """Each bad field gives a DomainError naming it, and nothing is stored."""
    with pytest.raises(DomainError) as err:
        submit(session, _sub(**kw), settings)
    assert err.value.field == field and err.value.message_id and err.value.message_en
    assert _count(conn, "complaint") == 0


@pytest.mark.parametrize("lon", ["abc", float("nan"), float("inf"), None])
def test_bad_coordinates_store_nothing(session, conn, settings, lon):
    """NaN, Infinity, strings and missing coordinates are refused."""
    with pytest.raises(RoutingError):
        submit(session, _sub(lon=lon), settings)
    assert _count(conn, "complaint") == 0


def test_html_is_stored_as_text(session, conn, settings):
    """Script tags are kept verbatim as text (escaped when shown), control characters dropped."""
    submit(session, _sub(description="<script>alert(1)</script>\x00 banjir"), settings)
    assert conn.execute(text("SELECT description FROM complaint")).scalar() == "<script>alert(1)</script> banjir"


def test_idempotency_key_gives_one_ticket(session, conn, settings):
    """The same idempotency key twice returns the first ticket."""
    a = submit(session, _sub(idempotency_key="k-1"), settings)
    b = submit(session, _sub(idempotency_key="k-1"), settings)
    assert a.tracking_code == b.tracking_code and b.created is False
    assert _count(conn, "complaint") == 1


def test_fake_photo_stores_nothing(session, conn, settings):
    """A text file named .jpg is refused before anything is written."""
    with pytest.raises(PhotoError):
        submit(session, _sub(photos=[b"GIF89a not really"]), settings)
    assert _count(conn, "complaint") == 0


def test_photo_is_stored_without_metadata(session, conn, settings):
    """A JPEG with EXIF is re-encoded: stored bytes carry no EXIF."""
    img = Image.new("RGB", (640, 480), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert b"SecretCam" in buf.getvalue()
    submit(session, _sub(photos=[buf.getvalue()]), settings)
    data = bytes(conn.execute(text("SELECT data FROM attachment")).scalar())
    assert b"SecretCam" not in data and b"Exif" not in data


def test_confidential_category_is_not_public(session, conn, settings):
    """A confidential category makes the ticket non-public and anonymous."""
    conn.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    submit(session, _sub(category="lampu-jalan", name="Siti", phone="0812345678"), settings)
    assert conn.execute(text("SELECT public, anonymous, reporter_id FROM complaint")).one() == (False, True, None)


def test_support_counts_and_refuses_closed(session, conn, settings):
    """Support increments supporters on an open ticket; a closed one is refused."""
    code = submit(session, _sub(), settings).tracking_code
    assert support(session, code) == 1
    conn.execute(text("UPDATE complaint SET status = 'closed'"))
    with pytest.raises(DomainError):
        support(session, code)


def test_messy_idempotency_key_is_matched_as_stored(session, conn, settings):
    """A key with spaces and over 100 characters still deduplicates (looked up as it is stored)."""
    key = "  " + "k" * 150 + "\x00 "
    a = submit(session, _sub(idempotency_key=key), settings)
    b = submit(session, _sub(idempotency_key=key), settings)
    assert a.tracking_code == b.tracking_code and _count(conn, "complaint") == 1
