"""The per-cell counts the layers read stay equal to a recount from the points, whatever writes them.

Every `conn` and `app` test also checks this on teardown (tests/conftest.py), so every intake, transition,
re-route, merge, moderation and import in the suite is covered; here are the cases picked on purpose, and the
layers compared with the same layers computed from the points as they were before the counts existed.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import h3
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints
from aduan.errors import Unavailable
from aduan.queries import ogc, public
from layers.choropleth import choropleth_table
from layers.counts import cell_month_versions, cells_version, drift, prune_changes, recount
from layers.emerging import emerging_table
from layers.filters import DEFAULT_STATUSES, LayerFilter
from layers.hexbins import full_grid, hexbin_table
from layers.hotspots import gi_star, hotspot_table
from layers.mvt import tile_cells

FLT = LayerFilter(dt.date(2026, 6, 1), dt.date(2026, 11, 1))
CATEGORIES = ["jalan-rusak", "sampah", "lampu-jalan"]
STATUSES = ["new", "verified", "in_progress", "resolved", "closed", "rejected"]


def _random_rows(n: int, seed: int = 7) -> pd.DataFrame:
    """Points over the test city (some near edges), spread over a year, in every category and status."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-12-01 00:00")
    return pd.DataFrame({
        "lon": rng.uniform(114.499, 114.541, n), "lat": rng.uniform(-3.401, -3.359, n),
        "category": rng.choice(CATEGORIES, n), "description": "uji hitungan",
        "created_at": (start + pd.to_timedelta(rng.uniform(0, 335 * 86400, n), unit="s")).strftime("%Y-%m-%d %H:%M"),
        "status": rng.choice(STATUSES, n), "public": rng.choice(["ya", "tidak"], n, p=[0.9, 0.1])})


def _points(conn, flt: LayerFilter, res: int) -> pd.DataFrame:
    """What the layers used to do: every matching point, its h3 cell, its local day and month."""
    c = text("SELECT ST_X(geom), ST_Y(geom), (created_at AT TIME ZONE :tz)::date FROM complaint "
             "WHERE created_at >= :lo AND created_at < :hi AND status = ANY(:st) AND public")
    lo, hi = flt.previous().bounds()[0], flt.bounds()[1]
    rows = conn.execute(c, {"tz": flt.tz, "lo": lo, "hi": hi, "st": list(flt.statuses)}).all()
    pts = pd.DataFrame(rows, columns=["lon", "lat", "day"])
    pts["cell"] = [h3.latlng_to_cell(y, x, res) for x, y in zip(pts["lon"], pts["lat"], strict=True)]
    pts["month"] = [d.strftime("%Y-%m") for d in pts["day"]]
    return pts


@pytest.fixture
def loaded(conn, settings):
    report = load_complaints(conn, _random_rows(1500), settings=settings)
    assert report.loaded > 1400
    return report


def test_import_counts_equal_a_recount(conn, loaded):
    assert drift(conn) == []
    assert conn.execute(text("SELECT sum(n) FROM complaint_count")).scalar() == loaded.loaded


@pytest.mark.parametrize("FLT", [FLT, LayerFilter(dt.date(2026, 5, 17), dt.date(2026, 10, 9)),
                                 LayerFilter(dt.date(2026, 8, 3), dt.date(2026, 8, 30))],
                         ids=["whole months", "month edges", "within a month"])
def test_layers_from_counts_equal_the_layers_from_points(conn, settings, loaded, FLT):  # noqa: N803
    """Hex bins (now and before), Gi* inputs, monthly counts and kelurahan counts are those of the points, over
    whole months (the monthly counts), ranges with partial months at both ends and a range within one month."""
    res = settings.h3_resolution
    pts = _points(conn, FLT, res)
    now = pts[pts["day"] >= FLT.start]
    table = hexbin_table(conn, FLT, res).set_index("cell")
    assert table["count"].to_dict() == now["cell"].value_counts().reindex(table.index, fill_value=0).to_dict()
    before = pts[pts["day"] < FLT.start]["cell"].value_counts().reindex(table.index, fill_value=0)
    assert table["count_prev"].to_dict() == before.to_dict()
    assert table["count"].sum() > 30

    hot = hotspot_table(conn, FLT, res)
    grid = full_grid(conn, res, now["cell"].unique())
    expect = gi_star(grid, now["cell"].value_counts().reindex(grid, fill_value=0).to_numpy())
    pd.testing.assert_frame_equal(hot[["cell", "count", "z", "p", "gi_bin"]].reset_index(drop=True),
                                  expect[["cell", "count", "z", "p", "gi_bin"]])

    emerging = emerging_table(conn, FLT, res).set_index("cell")
    by_month = now.groupby(["cell", "month"]).size()
    months = [m.isoformat()[:7] for m in FLT.months()]
    for cell in now["cell"].unique()[:40]:
        assert emerging.loc[cell, "counts"] == [int(by_month.get((cell, m), 0)) for m in months]

    kel = choropleth_table(conn, FLT).set_index("code")["count"]
    truth = dict(conn.execute(text(
        "SELECT k.code, count(*) FROM complaint c JOIN kelurahan k ON k.id = c.kelurahan_id "
        "WHERE c.created_at >= :lo AND c.created_at < :hi AND c.status = ANY(:st) AND c.public GROUP BY k.code"),
        {"lo": FLT.bounds()[0], "hi": FLT.bounds()[1], "st": list(DEFAULT_STATUSES)}).all())
    assert {k: v for k, v in kel.items() if v} == truth


def test_updates_of_every_counted_column_keep_the_counts(conn, settings, loaded, ids):
    """Status, SKPD, category, visibility, kelurahan and dates changed by one statement over many rows, swaps
    between keys included, then deletes: the counts follow each statement."""
    conn.execute(text("UPDATE complaint SET status = CASE status WHEN 'new' THEN 'verified' "
                      "WHEN 'verified' THEN 'new' ELSE status END"))  # swaps: both keys change at once
    conn.execute(text("UPDATE complaint SET skpd_id = :s WHERE id % 3 = 0"), {"s": ids["skpd"]["DISHUB"]})
    conn.execute(text("UPDATE complaint SET category_id = :c WHERE id % 5 = 0"), {"c": ids["category"]["sampah"]})
    conn.execute(text("UPDATE complaint SET public = NOT public WHERE id % 7 = 0"))
    conn.execute(text("UPDATE complaint SET created_at = created_at - interval '20 hours' WHERE id % 11 = 0 "  # a day
                      "AND extract(day FROM created_at AT TIME ZONE :tz) > 1"),  # back, still in the id's month
                 {"tz": settings.timezone})
    conn.execute(text("UPDATE complaint SET kelurahan_id = :k WHERE id % 13 = 0"),
                 {"k": ids["kelurahan"]["99.01.02.1001"]})
    conn.execute(text("UPDATE complaint SET updated_at = now()"))  # a statement that changes no count
    assert drift(conn) == []
    conn.execute(text("DELETE FROM complaint_event"))
    conn.execute(text("DELETE FROM complaint WHERE id % 2 = 0"))
    assert drift(conn) == []
    conn.execute(text("TRUNCATE complaint CASCADE"))
    assert conn.execute(text("SELECT count(*) FROM complaint_count")).scalar() == 0


def test_recount_at_another_resolution_and_the_layers_refuse_a_mismatch(conn, settings, loaded):
    """After a resolution change the layers answer 503 with what to run, until the recount is done."""
    res = settings.h3_resolution
    recount(conn, res + 1, settings.timezone)
    assert drift(conn) == []
    with pytest.raises(Unavailable, match="recount-layers"):
        hexbin_table(conn, FLT, res)
    finer = hexbin_table(conn, FLT, res + 1)
    assert finer["cell"].map(h3.get_resolution).eq(res + 1).all()
    recount(conn, res, settings.timezone)
    assert hexbin_table(conn, FLT, res)["count"].sum() == finer["count"].sum()


def test_concurrent_writers_of_one_count_row_both_count(engine, settings, app):
    """A second transaction adding to the same (day, cell, category, …) row while the first is open waits for
    it and adds on top: neither complaint is lost from the counts."""
    frame = pd.DataFrame({"lon": [114.51], "lat": [-3.39], "category": ["sampah"], "description": ["sama"],
                          "created_at": ["2026-10-01 10:00"]})
    first_wrote = threading.Event()
    errors: list[BaseException] = []

    def writer(hold: float, wait_for: threading.Event | None) -> None:
        try:
            if wait_for is not None:
                wait_for.wait(10)
            with engine.begin() as c:
                load_complaints(c, frame, settings=settings)
                first_wrote.set()
                time.sleep(hold)  # the count row stays locked by this open transaction meanwhile
        except BaseException as err:  # noqa: BLE001 -- reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(0.5, None)),
               threading.Thread(target=writer, args=(0.0, first_wrote))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with engine.connect() as c:
        assert c.execute(text("SELECT n FROM complaint_count")).scalars().all() == [2]
        assert drift(c) == []


_PAIRS = text("""
SELECT DISTINCT c.h3_cell, date_trunc('month', c.created_at AT TIME ZONE g.tz)::date FROM complaint c, layer_grid g
""")


def test_cell_versions_move_with_their_cells_and_months_only_and_survive_pruning(conn, loaded):
    """A status change bumps its cell's version and, among that cell's months, only its ticket's month's; an
    update of uncounted columns bumps none; pruning keeps every version as it was."""
    a, m1, m2 = conn.execute(text("SELECT h3_cell, min(month), max(month) FROM (" + _PAIRS.text + ") p(h3_cell, month) "
                                  "GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 1")).one()
    b = conn.execute(text("SELECT min(h3_cell) FROM complaint WHERE h3_cell <> :a"), {"a": a}).scalar()

    def versions() -> tuple:
        months = cell_month_versions(conn, [a], [m1, m2])
        return cells_version(conn, [a]), cells_version(conn, [b]), months.get((a, m1)), months.get((a, m2))

    before = versions()
    assert None not in before
    conn.execute(text("UPDATE complaint SET updated_at = now(), supporters = supporters + 1"))
    assert versions() == before
    conn.execute(text("UPDATE complaint SET status = CASE status WHEN 'closed' THEN 'resolved' ELSE 'closed' END "
                      "WHERE id = (SELECT min(c.id) FROM complaint c, layer_grid g WHERE c.h3_cell = :a "
                      "AND date_trunc('month', c.created_at AT TIME ZONE g.tz)::date = :m)"), {"a": a, "m": m1})
    after = versions()
    assert after[0] != before[0] and after[1] == before[1]
    assert after[2] != before[2] and after[3] == before[3]  # the ticket's month's part changes, not the other's
    assert prune_changes(conn) > 0
    assert versions() == after
    assert conn.execute(text("SELECT count(*) = count(DISTINCT (cell, month)) FROM cell_change")).scalar()


def test_every_cell_month_with_complaints_has_a_change(conn, loaded, settings):
    """What a binned tile relies on to skip a (cell, month) without a version: it holds no complaint. After an
    import, a submission, a status change, pruning and a recount, every pair that holds complaints has a change."""

    def unchanged() -> list:
        return conn.execute(text("SELECT * FROM (" + _PAIRS.text + ") p(cell, month) WHERE NOT EXISTS "
                                 "(SELECT FROM cell_change c WHERE c.cell = p.cell AND c.month = p.month)")).all()

    assert len(conn.execute(_PAIRS).all()) > 10
    assert unchanged() == []
    conn.execute(text("UPDATE complaint SET status = 'closed' WHERE id IN (SELECT id FROM complaint LIMIT 50)"))
    prune_changes(conn)
    assert unchanged() == []
    recount(conn, settings.h3_resolution, settings.timezone)
    assert unchanged() == []


@pytest.mark.parametrize("query", [
    {}, {"props": (("status", "closed"),)}, {"props": (("category", "sampah"), ("kelurahan_code", "99.01.01.1001"))},
    {"props": (("kelurahan", "Kelurahan A"), ("skpd_code", "DLH"))},
    {"start": dt.datetime(2026, 3, 1, tzinfo=ZoneInfo("Asia/Makassar")),
     "end": dt.datetime(2026, 7, 1, tzinfo=ZoneInfo("Asia/Makassar"))},
    {"start": dt.datetime(2026, 3, 1, 10, 30, tzinfo=ZoneInfo("Asia/Makassar"))},  # within a day: counted exactly
    {"bbox": (114.50, -3.40, 114.515, -3.385)}])
def test_ogc_number_matched_from_the_counts_equals_counting_the_complaints(conn, loaded, query):
    q = ogc.ItemsQuery(**query)
    assert ogc.count_complaints(conn, q) == public.count(conn, ogc._complaint_filter(q)) > 0


def test_a_tiles_hexbins_equal_the_city_wide_rows_of_its_cells(conn, settings, loaded):
    """A close hex-bin tile sums only its cells; their rows equal those of the city-wide layer."""
    res = settings.h3_resolution
    cells = tile_cells(17, 107_225, 66_772, res)  # the test city's south-west corner (114.505, -3.395)
    mine = hexbin_table(conn, FLT, res, cells).set_index("cell")
    city = hexbin_table(conn, FLT, res).set_index("cell")
    assert 0 < len(mine) < len(city) and mine["count"].sum() > 0
    pd.testing.assert_frame_equal(mine, city.loc[mine.index])
