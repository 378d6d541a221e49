"""The public map (/api/v1/map-points): one GeoJSON written by PostgreSQL, kept compressed per data version,
read from the months of its window only, and equal to what the rows say."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, bindparam, select, text
from sqlalchemy.dialects import postgresql

from aduan import partitions
from aduan.queries import public
from app.api.schemas import city_iso

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}


def _report(client, **kw) -> str:
    r = client.post("/api/v1/complaints", json=GOOD | kw)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["tracking_code"]


def _doc(resp) -> dict:
    body = gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
    return json.loads(body)


@pytest.mark.parametrize("zone", ["Asia/Makassar", "Asia/Jakarta", "Asia/Jayapura", "Asia/Kathmandu",
                                  "America/St_Johns", "UTC"])
def test_the_maps_times_are_written_as_the_api_writes_them(conn, zone):
    """SQL's city time equals `city_iso` to the character: offsets of +05:45 and -02:30/-03:30 (summer time),
    the last microsecond of a day, a moment on a month's first second in the city."""
    moments = [dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
               dt.datetime(2026, 6, 30, 16, 0, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 8, 5, 29, 1, tzinfo=dt.UTC),
               dt.datetime(2000, 2, 29, 2, 30, 0, 500, tzinfo=dt.UTC)]
    for moment in moments:
        moment_sql = bindparam("m", moment, type_=DateTime(timezone=True))
        written = conn.execute(select(public._city_iso(moment_sql, zone))).scalar_one()
        assert written == city_iso(moment, ZoneInfo(zone)), moment


def test_the_map_is_the_public_complaints_newest_first_with_exact_places(client, engine):
    """Each feature is a public complaint with its exact point, category names and city time; a confidential
    one is not there; the newest comes first."""
    codes = [_report(client, lon=114.51 + i / 1000, lat=-3.39 - i / 3000) for i in range(3)]
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET public = false WHERE tracking_code = :c"), {"c": codes[1]})
        rows = c.execute(text("SELECT c.tracking_code, ST_X(c.geom), ST_Y(c.geom), c.created_at, c.status, k.code, "
                              "k.name_id, k.name_en FROM complaint c JOIN category k ON k.id = c.category_id "
                              "WHERE c.public ORDER BY c.created_at DESC, c.id DESC")).all()
    doc = _doc(client.get("/api/v1/map-points"))
    assert doc["type"] == "FeatureCollection"
    got = [(f["properties"]["tracking_code"], *f["geometry"]["coordinates"], f["properties"]["created_at"],
            f["properties"]["status"], f["properties"]["category"], f["properties"]["name_id"],
            f["properties"]["name_en"]) for f in doc["features"]]
    assert got == [(r[0], r[1], r[2], city_iso(r[3], ZoneInfo("Asia/Makassar")), *r[4:]) for r in rows]
    assert codes[1] not in json.dumps(doc) and [g[0] for g in got][:2] == [codes[2], codes[0]]


def test_the_map_is_kept_compressed_and_changes_with_the_data(client, engine):
    """Sent gzip-compressed to a client that takes gzip and plain to one that does not, the same document; a 304
    while nothing changed; a new report, a status filter and a renamed category each give a new answer."""
    first = _report(client)
    zipped = client.get("/api/v1/map-points", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/api/v1/map-points")
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert _doc(zipped) == json.loads(plain.data) and first in plain.get_data(as_text=True)
    assert "Accept-Encoding" in zipped.headers["Vary"] and zipped.headers["Cache-Control"] == "public, max-age=60"
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM layer_cache WHERE layer = 'public_map'")).scalar() >= 1
    etag = zipped.headers["ETag"]
    assert etag.endswith(':gzip"') and plain.headers["ETag"] == etag.replace(":gzip", "")
    assert client.get("/api/v1/map-points", headers={"If-None-Match": etag}).status_code == 304

    second = _report(client, lon=114.512)
    again = client.get("/api/v1/map-points", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 200 and second in json.dumps(_doc(again))
    assert [f["properties"]["status"] for f in _doc(client.get("/api/v1/map-points?status=closed"))["features"]] == []

    with engine.begin() as c:
        c.execute(text("UPDATE category SET name_en = 'Broken road (renamed)' WHERE code = 'jalan-rusak'"))
    try:
        names = {f["properties"]["name_en"] for f in _doc(client.get("/api/v1/map-points"))["features"]}
        assert names == {"Broken road (renamed)"}
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET name_en = 'Broken road' WHERE code = 'jalan-rusak'"))


def test_the_map_reads_only_the_months_of_its_window(conn, settings):
    """Months before the 90 days (less a day's margin) are pruned from the plan; the window's months are read."""
    now = dt.datetime.now(ZoneInfo(settings.timezone))
    old, first = partitions.month_key(now - dt.timedelta(days=150)), partitions.month_key(now - dt.timedelta(days=91))
    partitions.ensure_months(conn, [old, first])
    stmt = public.map_points_statement(timezone=settings.timezone)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(conn.execute(text("EXPLAIN " + sql.replace("%%", "%"))).scalars())
    months = {int(y) * 100 + int(m) for y, m in re.findall(r"complaint_y(\d{4})m(\d{2})\b", plan)}
    assert old not in months and first in months and min(months) == first, plan

