"""Set-based loading: the same routing as one submission, bad rows reported, good rows loaded."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from aduan.bulk_load import load_complaints


def _frame(rows):
    return pd.DataFrame(rows, columns=["lon", "lat", "category", "description", "created_at", "status"])


def test_good_rows_load_with_routing_and_due_dates(conn, settings):
    """Rows inside the city are routed like single submissions and get working-day due dates."""
    df = _frame([
        (114.51, -3.39, "jalan-rusak", "Lubang besar", "2026-11-06 10:00", "new"),      # Friday, WITA
        (114.53, -3.379, "sampah", "Sampah menumpuk", "2026-11-07T09:00+08:00", "resolved"),  # Saturday
    ])
    report = load_complaints(conn, df, settings=settings)
    assert report.loaded == 2 and report.refused == []
    rows = conn.execute(text(
        "SELECT c.description, s.code, c.routing->>'kelurahan_rule', "
        "to_char(c.followup_due_at AT TIME ZONE 'Asia/Makassar', 'YYYY-MM-DD HH24:MI:SS') "
        "FROM complaint c JOIN skpd s ON s.id = c.skpd_id ORDER BY c.created_at")).all()
    # Friday 6 Nov + 5 working days = Friday 13 Nov, due at its end.
    assert rows[0] == ("Lubang besar", "PUPR", "covers", "2026-11-13 23:59:59")
    # Saturday counts from Monday: also due end of Friday 13 Nov.
    assert rows[1][1] == "DISHUB" and rows[1][3] == "2026-11-13 23:59:59"


def test_bad_rows_are_refused_with_reasons_and_nothing_half_written(conn, settings):
    """NaN, unknown category, empty text, bad date and outside-city rows are reported; the good one loads."""
    df = _frame([
        (float("nan"), -3.39, "jalan-rusak", "x", "2026-01-01", "new"),
        (114.51, -3.39, "tidak-ada", "x", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "   ", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "x", "bukan tanggal", "new"),
        (114.70, -3.39, "jalan-rusak", "jauh", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "baik", "2026-01-01", "selesai??"),
        (114.51, -3.39, "jalan-rusak", "baik", "2026-01-01", "closed"),
    ])
    report = load_complaints(conn, df, settings=settings)
    reasons = dict(report.refused)
    assert report.loaded == 1
    assert set(reasons) == {0, 1, 2, 3, 4, 5}
    assert "outside" in reasons[4] and "unknown category" == reasons[1]
    assert conn.execute(text("SELECT count(*) FROM complaint")).scalar() == 1
    assert conn.execute(text("SELECT count(*) FROM complaint_event")).scalar() >= 1


def test_codes_are_unique_and_formatted(conn, settings):
    """Many rows get distinct codes of the documented shape."""
    df = _frame([(114.51, -3.39, "jalan-rusak", f"aduan {i}", "2026-03-02 08:00", "new") for i in range(500)])
    assert load_complaints(conn, df, settings=settings).loaded == 500
    codes = conn.execute(text("SELECT tracking_code FROM complaint")).scalars().all()
    assert len(set(codes)) == 500
    assert all(c.startswith("BJM-2603-") and len(c) == 15 for c in codes)
