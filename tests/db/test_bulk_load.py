"""Set-based loading: the same routing as one submission, bad rows reported, good rows loaded."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from aduan import bulk_load
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
        "SELECT c.description, s.code, (c.routing).kelurahan_rule, "
        "to_char(c.followup_due_at AT TIME ZONE 'Asia/Makassar', 'YYYY-MM-DD HH24:MI:SS') "
        "FROM complaint c JOIN skpd s ON s.id = c.skpd_id ORDER BY c.created_at")).all()
    # Friday 6 Nov + 5 working days = Friday 13 Nov, due at its end.
    assert rows[0] == ("Lubang besar", "PUPR", "covers", "2026-11-13 23:59:59")
    # Saturday counts from Monday: also due end of Friday 13 Nov.
    assert rows[1][1] == "DISHUB" and rows[1][3] == "2026-11-13 23:59:59"


@pytest.mark.parametrize("chunk_rows", [100, 3])
def test_bad_rows_are_refused_with_reasons_and_nothing_half_written(conn, settings, chunk_rows):
    """NaN, unknown category, empty text, bad date and outside-city rows are reported by their row in the file,
    whichever chunk they were read in; the good one loads."""
    df = _frame([
        (float("nan"), -3.39, "jalan-rusak", "x", "2026-01-01", "new"),
        (114.51, -3.39, "tidak-ada", "x", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "   ", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "x", "bukan tanggal", "new"),
        (114.70, -3.39, "jalan-rusak", "jauh", "2026-01-01", "new"),
        (114.51, -3.39, "jalan-rusak", "baik", "2026-01-01", "selesai??"),
        (114.51, -3.39, "jalan-rusak", "baik", "2026-01-01", "closed"),
    ])
    report = load_complaints(conn, df, settings=settings, chunk_rows=chunk_rows)
    reasons = dict(report.refused)
    assert report.loaded == 1
    assert set(reasons) == {0, 1, 2, 3, 4, 5} and reasons[3].startswith("created_at") and reasons[5] == "unknown status"
    assert "outside" in reasons[4] and "unknown category" == reasons[1]
    assert conn.execute(text("SELECT count(*) FROM complaint")).scalar() == 1
    assert conn.execute(text("SELECT count(*) FROM complaint_event")).scalar() >= 1


def test_codes_are_unique_and_formatted(conn, settings):
    """Many rows, read in chunks, get distinct codes of the documented shape. The larger sort memory the inserts
    take is given back: the caller's transaction goes on with its own."""
    df = _frame([(114.51, -3.39, "jalan-rusak", f"aduan {i}", "2026-03-02 08:00", "new") for i in range(500)])
    conn.execute(text("SET LOCAL work_mem = '5MB'"))
    assert load_complaints(conn, df, settings=settings, chunk_rows=70).loaded == 500
    assert conn.execute(text("SELECT current_setting('work_mem')")).scalar() == "5MB"
    codes = conn.execute(text("SELECT tracking_code FROM complaint")).scalars().all()
    assert len(set(codes)) == 500
    assert all(c.startswith("BJM-2603-") and len(c) == 15 for c in codes)


def test_text_and_numbers_arrive_exactly_as_given(conn, settings):
    """Whatever the staging copy has to escape arrives unchanged: backslashes, tabs, line breaks, quotes, commas,
    a literal \\N, non-Latin text; coordinates to the last bit; a missing external id as NULL, not text."""
    descriptions = ["C:\\temp\\N \\N\\\\", "tab\there\r\nand\nnewline", 'kutip "ganda", koma; \'satu\'',
                    "Jalan berlubang 🚧 di depan masjid — ราง", "\\"]
    df = pd.DataFrame({"lon": [114.51 + i * 1e-7 + 1 / 3 * 1e-9 for i in range(5)], "lat": -3.39,
                       "category": "jalan-rusak", "description": descriptions,
                       "created_at": [f"2026-03-0{i + 1} 08:00:00.123456" for i in range(5)],
                       "external_id": ["lama\t1", None, "", "x\\y", "wa:123"]})
    assert load_complaints(conn, df, settings=settings).loaded == 5
    rows = conn.execute(text(
        "SELECT description, ST_X(geom), external_id, to_char(created_at AT TIME ZONE 'Asia/Makassar', 'US') "
        "FROM complaint ORDER BY created_at")).all()
    assert [r[0] for r in rows] == descriptions
    assert [r[1] for r in rows] == df["lon"].tolist()
    assert [r[2] for r in rows] == ["lama\t1", None, None, "x\\y", "wa:123"]  # an empty id is no id
    assert {r[3] for r in rows} == {"123456"}


@pytest.mark.parametrize("chunk_rows", [100, 2])
def test_ids_follow_time_and_carry_their_month_whatever_the_file_order(conn, settings, chunk_rows):
    """A file out of time order, read in one chunk or three: each complaint's id carries its city-time month, and
    ids ascend with time (drawn as the rows are inserted in time order), so 'newest first' by id means by time."""
    times = ["2026-03-01 07:59", "2025-12-31 23:30", "2026-01-01 00:10", "2026-02-14 12:00", "2025-12-31 23:00"]
    df = _frame([(114.51, -3.39, "jalan-rusak", f"aduan {i}", t, "new") for i, t in enumerate(times)])
    assert load_complaints(conn, df, settings=settings, chunk_rows=chunk_rows).loaded == 5
    rows = conn.execute(text("SELECT id, to_char(created_at AT TIME ZONE 'Asia/Makassar', 'YYYYMM')::bigint "
                             "FROM complaint ORDER BY created_at")).all()
    assert [i // 10**10 for i, _ in rows] == [m for _, m in rows] == [202512, 202512, 202601, 202602, 202603]
    sequence = [i % 10**10 for i, _ in rows]
    assert sequence == sorted(sequence) and len(set(sequence)) == 5


def test_codes_drawn_again_are_unique_within_a_chunk_and_across_chunks(monkeypatch):
    """A code drawn twice in a chunk, or already given to an earlier chunk, is drawn again until none repeats."""
    draws = iter([["A", "B", "A", "C"], ["D"], ["C", "E", "F"], ["E"], ["G"]])
    monkeypatch.setattr(bulk_load, "tracking_codes", lambda prefix, yymm: np.array(next(draws), dtype="<U1"))
    taken: set[str] = set()
    first = bulk_load._fresh_codes("X", np.array(["2601"] * 4), taken)
    assert first.tolist() == ["A", "B", "D", "C"] and taken == {"A", "B", "C", "D"}
    second = bulk_load._fresh_codes("X", np.array(["2601"] * 3), taken)  # C is taken, then E is drawn twice
    assert second.tolist() == ["E", "G", "F"] and taken == set("ABCDEFG")
