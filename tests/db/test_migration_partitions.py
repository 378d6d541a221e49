"""Migration 0020 moves a city's existing complaints into monthly partitions without losing or mixing anything,
and its downgrade gives the same rows back."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, make_url, text

from aduan.partitions import ID_MONTH
from aduan.schema import alembic_config, create_database, drop_database
from layers.counts import drift
from tests import citykit

# Two complaints in October and one in November 2026 as a city on revision 0019 has them; the second is received
# at 23:30 on 31 October in WITA (15:30 UTC): October in city time, the month its partition must be.
ROWS = [("BJM-2610-AAAAAA", "2026-10-05 10:00+08", None, "api:k1", None),
        ("BJM-2610-BBBBBB", "2026-10-31 23:30+08", None, None, "wamid.7"),
        ("BJM-2611-CCCCCC", "2026-11-02 08:00+08", "BJM-2610-AAAAAA", None, None)]


def _city_at_0019(url: str) -> None:
    command.upgrade(alembic_config(url), "0019")
    eng = create_engine(url)
    with eng.begin() as c:
        citykit.build_city(c)
        for code, at, dup, key, ref in ROWS:
            c.execute(text(
                "INSERT INTO complaint (tracking_code, category_id, description, geom, channel, generation_id, "
                "kelurahan_id, skpd_id, routing, created_at, followup_due_at, handling_due_at, h3_cell, "
                "duplicate_of_id, idempotency_key, channel_ref, status) "
                "SELECT :code, cat.id, 'lama', ST_SetSRID(ST_MakePoint(114.51, -3.39), 4326), "
                ":channel, k.generation_id, k.id, cat.default_skpd_id, "
                "'{}', :at, :at, :at, 613046395383414783, "
                "(SELECT id FROM complaint WHERE tracking_code = CAST(:dup AS text)), "
                ":key, :ref, :status "
                "FROM category cat, kelurahan k WHERE cat.code = 'sampah' ORDER BY k.id LIMIT 1"),
                {"code": code, "at": at, "dup": dup, "key": key, "ref": ref, "channel": "whatsapp" if ref else "web",
                 "status": "duplicate" if dup else "new"})
            c.execute(text("INSERT INTO complaint_event (complaint_id, kind, note, created_at) "
                           "SELECT id, 'created', 'masuk', created_at FROM complaint WHERE tracking_code = :c"),
                      {"c": code})
        c.execute(text("INSERT INTO attachment (complaint_id, event_id, sha256, content_type, size_bytes, width, "
                       "height, data) SELECT e.complaint_id, e.id, 'x', 'image/jpeg', 1, 1, 1, '\\x00' "
                       "FROM complaint_event e JOIN complaint c ON c.id = e.complaint_id "
                       "WHERE c.tracking_code = 'BJM-2610-BBBBBB'"))
        c.execute(text("INSERT INTO rating (complaint_id, score) SELECT id, 4 FROM complaint "
                       "WHERE tracking_code = 'BJM-2611-CCCCCC'"))
        c.execute(text("SELECT peta_recount_complaints()"))
    eng.dispose()


def _snapshot(c) -> list[tuple]:
    return c.execute(text(
        "SELECT c.id, c.tracking_code, d.tracking_code, (SELECT count(*) FROM complaint_event e "
        "WHERE e.complaint_id = c.id), (SELECT count(*) FROM attachment a JOIN complaint_event e "
        "ON e.id = a.event_id AND e.complaint_id = a.complaint_id WHERE a.complaint_id = c.id), "
        "(SELECT score FROM rating r WHERE r.complaint_id = c.id) "
        "FROM complaint c LEFT JOIN complaint d ON d.id = c.duplicate_of_id ORDER BY c.tracking_code")).all()


def test_0020_moves_complaints_into_their_months_and_back(database_url):
    """Ids gain their month (kept behind it), history, photos, ratings, duplicates and keys follow, counts
    stay equal; downgrading restores the plain tables with the old ids and keys."""
    url = make_url(database_url)
    scratch = create_database(url.set(database=f"{url.database}_mig20").render_as_string(hide_password=False),
                              replace=True)
    try:
        _city_at_0019(scratch)
        eng = create_engine(scratch)
        with eng.connect() as c:
            before = _snapshot(c)
        command.upgrade(alembic_config(scratch), "head")
        with eng.connect() as c:
            after = _snapshot(c)
            assert [r[1:] for r in after] == [r[1:] for r in before]
            assert [r[0] for r in after] == [202610 * ID_MONTH + before[0][0], 202610 * ID_MONTH + before[1][0],
                                             202611 * ID_MONTH + before[2][0]]
            placed = c.execute(text("SELECT tracking_code, tableoid::regclass::text FROM complaint "
                                    "ORDER BY 1")).all()
            assert [p[1] for p in placed] == ["complaint_y2026m10", "complaint_y2026m10", "complaint_y2026m11"]
            assert c.execute(text("SELECT kind, key FROM complaint_key ORDER BY 1")).all() == [
                ("channel", "whatsapp:wamid.7"), ("idempotency", "api:k1")]
            assert drift(c) == []
        command.downgrade(alembic_config(scratch), "0019")
        with eng.connect() as c:
            assert _snapshot(c) == before
            assert c.execute(text("SELECT count(*) FROM complaint WHERE idempotency_key = 'api:k1'")).scalar() == 1
            assert drift(c) == []
        eng.dispose()
    finally:
        drop_database(scratch)
