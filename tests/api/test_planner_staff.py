"""Logged-in staff see confidential complaints in aggregates; anonymous visitors and exports never do."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from tests.fieldkit import login, make_user


def _seed(engine, settings):
    with engine.begin() as c:
        c.execute(text("TRUNCATE layer_cache"))
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
        frame = pd.DataFrame([(114.51, -3.39, "lampu-jalan", "Rahasia satu", "2026-10-05 09:00", "new"),
                              (114.51, -3.39, "jalan-rusak", "Lubang", "2026-10-05 09:00", "new")],
                             columns=["lon", "lat", "category", "description", "created_at", "status"])
        load_complaints(c, frame, settings=settings)


def _tickets_by_skpd(client) -> dict:
    rows = client.get("/planner/performance.csv?group=skpd&start=2026-01-01").get_data(as_text=True).splitlines()
    header = rows[0].split(",")
    return {r.split(",")[header.index("skpd")]: int(float(r.split(",")[header.index("tickets")])) for r in rows[1:]}


def test_staff_performance_counts_confidential_but_anonymous_does_not(client, engine, settings):
    """Dinas Perhubungan's confidential ticket counts for a logged-in planner, not for an anonymous visitor."""
    _seed(engine, settings)
    try:
        assert "Dinas Perhubungan" not in _tickets_by_skpd(client)
        make_user(engine, "rencana@bappeda.test", "planner")
        login(client, "rencana@bappeda.test")
        assert _tickets_by_skpd(client).get("Dinas Perhubungan") == 1
        export = client.get("/planner/export/complaints.geojson?start=2026-01-01").get_data(as_text=True)
        assert "Rahasia satu" not in export and "Lubang" in export
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))
            c.execute(text("TRUNCATE layer_cache"))
