"""Layers against real PostGIS: counts, rates, change, late tickets, working days, cache — known answers."""
from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from aduan.clocks import WorkCalendar
from aduan.settings import Settings
from geo.cells import cell_name, cells_of
from layers import cache
from layers.choropleth import choropleth_table
from layers.counts import recount
from layers.filters import LayerFilter
from layers.hexbins import hexbin_table
from layers.hotspots import hotspot_table
from layers.late import late_tickets
from layers.performance import performance_table

RES = 9
FLT = LayerFilter(dt.date(2026, 9, 1), dt.date(2026, 11, 1))


def _load(conn, settings, rows):
    frame = pd.DataFrame(rows, columns=["lon", "lat", "category", "description", "created_at", "status",
                                        "followed_up_at", "resolved_at"])
    report = load_complaints(conn, frame, settings=settings)
    assert report.refused == []
    return report


def _row(lon, lat, created, status="new", cat="jalan-rusak", followed=None, resolved=None):
    return (lon, lat, cat, "uji", created, status, followed, resolved)


@pytest.fixture
def settings(database_url):
    """These tests use a finer grid than the default (PETA_H3_RESOLUTION=RES)."""
    return Settings(database_url=database_url, secret_key="test-secret", h3_resolution=RES)


@pytest.fixture(autouse=True)
def _counts_at_res(conn):
    """… and so the counts are kept at RES, inside the test's rolled-back transaction."""
    recount(conn, RES, FLT.tz)


def test_cells_use_lon_lat_order():
    """A point gets the cell h3 gives for (lat, lon): coordinates are not swapped."""
    cells = cells_of(np.array([114.51]), np.array([-3.39]), RES)
    assert cell_name(cells[0]) == h3.latlng_to_cell(-3.39, 114.51, RES)


def test_hexbin_counts_and_change_against_previous_period(conn, settings):
    """Three complaints now and one in the previous two months in one cell give count 3, prev 1, change +2."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-10 10:00")] * 3 + [_row(114.51, -3.39, "2026-08-01 10:00")])
    table = hexbin_table(conn, FLT, RES).set_index("cell")
    cell = h3.latlng_to_cell(-3.39, 114.51, RES)
    assert table.loc[cell, ["count", "count_prev", "change"]].tolist() == [3, 1, 2]
    assert table.loc[cell, "change_pct"] == pytest.approx(200.0)
    assert table.loc[cell, "per_km2"] == pytest.approx(3 / h3.cell_area(cell, unit="km^2"))


def test_hexbin_grid_covers_the_city_with_zero_cells(conn, settings):
    """The grid holds every cell whose centre is in the city, empty ones with zero."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-10 10:00")])
    table = hexbin_table(conn, FLT, RES)
    area = 4 * 0.02 * 0.02 * 111.3 * 111.1  # about 19.8 km² of test city
    assert len(table) == pytest.approx(area / h3.average_hexagon_area(RES, unit="km^2"), rel=0.2)
    assert (table["count"] == 0).sum() == len(table) - 1


def test_filter_by_category_and_status(conn, settings):
    """Only complaints of the asked category and status are counted."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-10 10:00", cat="sampah"),
                           _row(114.51, -3.39, "2026-09-10 10:00", status="rejected"),
                           _row(114.51, -3.39, "2026-09-10 10:00")])
    flt = LayerFilter(FLT.start, FLT.end, categories=("jalan-rusak",))
    assert hexbin_table(conn, flt, RES)["count"].sum() == 1  # rejected is out by default


def test_choropleth_rates_and_missing_population(conn, settings):
    """Per km² divides by area; per 1,000 residents is null where population is unknown."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-10 10:00")] * 6 + [_row(114.53, -3.39, "2026-09-10 10:00")])
    table = choropleth_table(conn, FLT).set_index("code")
    a, b = table.loc["99.01.01.1001"], table.loc["99.01.01.1002"]
    assert a["count"] == 6 and a["per_1000"] == pytest.approx(0.5)
    assert a["per_km2"] == pytest.approx(6 / a["area_km2"])
    assert b["count"] == 1 and pd.isna(b["per_1000"]) and b["population"] is None
    assert table.loc["99.01.02.1001", "count"] == 0 and table.loc["99.01.02.1001", "per_1000"] == 0


def test_planted_cluster_in_the_city_is_hot(conn, settings):
    """Eight complaints in each of seven adjacent cells, among a sprinkle elsewhere, are found hot — only there."""
    centre = h3.latlng_to_cell(-3.37, 114.53, RES)
    spread = [_row(114.501 + 0.0037 * (i % 10), -3.399 + 0.0037 * (i // 10), "2026-09-10 10:00") for i in range(100)]
    cluster = [_row(lon, lat, "2026-09-12 10:00") for c in h3.grid_disk(centre, 1)
               for lat, lon in [h3.cell_to_latlng(c)] * 8]
    _load(conn, settings, spread + cluster)
    table = hotspot_table(conn, FLT, RES).set_index("cell")
    assert table.loc[centre, "class"] == "hot_99"
    far = [c for c in table.index if h3.grid_distance(c, centre) >= 3]
    assert not table.loc[far, "class"].str.startswith("hot").any()


def test_late_tickets_are_open_and_past_due(conn, settings):
    """Open past follow-up is late; followed-up within handling time and resolved tickets are not."""
    old = "2026-06-01 10:00"
    _load(conn, settings, [_row(114.51, -3.39, old, "new"),
                           _row(114.51, -3.39, old, "resolved", followed="2026-06-02 10:00",
                                resolved="2026-06-05 10:00"),
                           _row(114.51, -3.39, "2026-06-29 10:00", "in_progress", followed="2026-06-30 10:00")])
    flt = LayerFilter(dt.date(2026, 5, 1), dt.date(2026, 8, 1))
    late = late_tickets(conn, flt, now=dt.datetime(2026, 7, 8, tzinfo=dt.UTC))
    assert [(r["status"], r["late_kind"]) for r in late] == [("new", "handling")]


def test_performance_working_days_match_the_calendar(conn, settings):
    """Median days to follow-up and handling are working days by the due-date calendar."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-07 10:00", "resolved", followed="2026-09-09 09:00",
                                resolved="2026-09-21 15:00")])
    table = performance_table(conn, FLT, ("skpd",), dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    cal = WorkCalendar.from_connection(conn)
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2026, 9, 7, 10, tzinfo=tz)
    row = table.iloc[0]
    assert row["followup_median"] == cal.working_days_between(start, dt.datetime(2026, 9, 9, 9, tzinfo=tz)) == 2
    assert row["handling_median"] == cal.working_days_between(start, dt.datetime(2026, 9, 21, 15, tzinfo=tz))
    assert (row["followup_within_5"], row["handling_within_15"], row["open_overdue"]) == (100.0, 100.0, 0)


def test_cache_returns_identical_frames_and_notices_new_data(conn, settings):
    """A cached layer equals the fresh one; a new complaint changes the version and the answer."""
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-10 10:00")])
    conn.execute(text("TRUNCATE layer_cache"))
    first = cache.cached_frame(conn, "hexbins", {"t": 1}, lambda: hexbin_table(conn, FLT, RES))
    again = cache.cached_frame(conn, "hexbins", {"t": 1}, lambda: pytest.fail("should be cached"))
    assert first.equals(again)
    _load(conn, settings, [_row(114.51, -3.39, "2026-09-11 10:00")])
    fresh = cache.cached_frame(conn, "hexbins", {"t": 1}, lambda: hexbin_table(conn, FLT, RES))
    assert fresh["count"].sum() == 2
    assert conn.execute(text("SELECT count(*) FROM layer_cache WHERE layer = 'hexbins'")).scalar() == 1  # replaced
