"""The synthetic Banjarmasin: boundaries that fit the city, and a complaint history with a realistic shape."""
from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from aduan.demo import reference as ref
from geo import synthetic

NOW = pd.Timestamp("2026-03-16 10:30", tz="Asia/Makassar")
N = 20_000
OPEN = ("new", "verified", "in_progress")


@pytest.fixture(scope="module")
def centres() -> pd.DataFrame:
    return synthetic.read_centres(ref.KELURAHAN_CSV)


@pytest.fixture(scope="module")
def city(centres) -> synthetic.SyntheticCity:
    return synthetic.generate_city(centres, seed=7)


@pytest.fixture(scope="module")
def complaints(city) -> pd.DataFrame:
    return synthetic.generate_complaints(city, ref.profiles(), now=NOW, n=N, seed=7)


@pytest.fixture(scope="module")
def metric(city):
    return city.kelurahan.to_crs(synthetic.METRIC_CRS)


def test_same_seed_gives_identical_output(city, complaints, centres):
    """Same seed and `now`: byte-identical polygons and an identical history; another seed differs."""
    again = synthetic.generate_city(centres, seed=7)
    assert list(shapely.to_wkb(again.kelurahan.geometry.array)) == list(shapely.to_wkb(city.kelurahan.geometry.array))
    pd.testing.assert_frame_equal(again.kelurahan.drop(columns="geometry"), city.kelurahan.drop(columns="geometry"))
    pd.testing.assert_frame_equal(
        synthetic.generate_complaints(again, ref.profiles(), now=NOW, n=N, seed=7), complaints)
    other = synthetic.generate_complaints(city, ref.profiles(), now=NOW, n=N, seed=8)
    assert not np.allclose(other.lon.to_numpy(), complaints.lon.to_numpy())


def test_official_codes_and_names(city, centres):
    """52 kelurahan and 5 kecamatan with the official Kemendagri codes and names from the CSV."""
    assert len(city.kelurahan) == 52 and city.kelurahan.code.is_unique
    assert list(city.kelurahan.code) == list(centres.kelurahan_code)
    assert list(city.kelurahan.name) == list(centres.kelurahan)
    assert list(city.kelurahan.kecamatan_code) == list(centres.kecamatan_code)
    assert dict(zip(city.kecamatan.code, city.kecamatan.name, strict=True)) == {
        "63.71.01": "Banjarmasin Selatan", "63.71.02": "Banjarmasin Timur", "63.71.03": "Banjarmasin Barat",
        "63.71.04": "Banjarmasin Utara", "63.71.05": "Banjarmasin Tengah"}


def test_valid_multipolygons_in_wgs84(city):
    """What the boundary loader expects: valid MultiPolygons in EPSG:4326, around Banjarmasin."""
    for frame in (city.kelurahan, city.kecamatan):
        assert frame.crs.to_epsg() == 4326
        assert set(frame.geom_type) == {"MultiPolygon"} and frame.is_valid.all()
    x0, y0, x1, y1 = city.kelurahan.total_bounds
    assert 114.49 < x0 < x1 < 114.70 and -3.40 < y0 < y1 < -3.24


def test_only_the_intended_slivers_overlap(metric):
    """Neighbours share edges exactly; the only overlaps are the few metres-wide slivers kept on purpose."""
    geoms = metric.geometry.to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    area = shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]]))
    codes = metric.code.to_numpy()
    overlapping = {frozenset((codes[i], codes[j])) for i, j, x in zip(a[keep], b[keep], area, strict=True)
                   if x > 1e-4}
    assert overlapping == {frozenset(p) for p in synthetic.SLIVERS}
    assert area.max() < 20_000  # slivers, not real overlaps


def test_areas_near_the_approximate_areas(metric, centres):
    """Each synthetic kelurahan is within ±50 % of its approximate area."""
    ratio = metric.area.to_numpy() / (centres.approx_area_km2.to_numpy() * 1e6)
    assert ratio.min() > 0.67 and ratio.max() < 1.5


def test_approximate_centres_lie_in_their_kelurahan(city, centres):
    """The published centre of each kelurahan falls inside its synthetic polygon."""
    inside = shapely.contains_xy(city.kelurahan.geometry.array, centres.approx_lon, centres.approx_lat)
    assert inside.all()


def test_river_leaves_a_gap(city):
    """The synthetic Sungai Martapura belongs to no kelurahan: points on it are in none (a real-life gap)."""
    mid = gpd_point_to_wgs84(shapely.line_interpolate_point(city.river, 0.5, normalized=True))
    assert not shapely.contains_xy(city.kelurahan.geometry.array, mid.x, mid.y).any()
    assert (shapely.get_num_geometries(city.kelurahan.geometry.array) > 1).any()


def gpd_point_to_wgs84(point: shapely.Point) -> shapely.Point:
    import geopandas as gpd

    return gpd.GeoSeries([point], crs=synthetic.METRIC_CRS).to_crs(4326).iloc[0]


def test_kecamatan_are_the_union_of_their_kelurahan(city):
    """Kecamatan polygons are dissolved from their kelurahan (to within a square metre)."""
    kel = city.kelurahan.to_crs(synthetic.METRIC_CRS)
    for code, geom in zip(city.kecamatan.code, city.kecamatan.to_crs(synthetic.METRIC_CRS).geometry, strict=True):
        union = shapely.union_all(kel[kel.kecamatan_code == code].geometry.to_numpy())
        assert shapely.symmetric_difference(geom, union).area < 1.0


def test_population_is_synthetic_and_denser_in_small_kelurahan(city, metric):
    """About 670,000 residents in total, and small (central) kelurahan are denser than big ones."""
    assert abs(city.kelurahan.population.sum() - synthetic.CITY_POPULATION) < 1_000
    density = city.kelurahan.population.to_numpy() / metric.area.to_numpy()
    assert np.corrcoef(np.log(metric.area.to_numpy()), np.log(density))[0, 1] < -0.8


def test_n_rows_with_the_loader_columns(complaints):
    """N rows with the columns `load_complaints` takes, and known categories, statuses and channels."""
    assert len(complaints) == N
    assert list(complaints.columns) == ["lon", "lat", "category", "description", "created_at", "status",
                                        "followed_up_at", "resolved_at", "closed_at", "channel", "public"]
    assert set(complaints.category) == {c.code for c in ref.CATEGORIES}
    assert set(complaints.status) == {"new", "verified", "in_progress", "resolved", "closed", "rejected",
                                      "duplicate"}
    assert set(complaints.channel) == {"web", "open311", "phone", "desk"}


def test_every_point_inside_a_kelurahan(city, complaints):
    """No point in the river or outside the city: each lies in a kelurahan polygon."""
    land = shapely.union_all(city.kelurahan.geometry.to_numpy())
    assert shapely.contains_xy(land, complaints.lon, complaints.lat).all()


def test_timestamps_are_ordered_and_in_the_past(complaints):
    """created ≤ followed up ≤ resolved ≤ closed ≤ now, and created within the last 18 months."""
    c = complaints
    assert (c.created_at <= NOW).all() and (c.created_at >= NOW - pd.DateOffset(months=18, days=1)).all()
    for earlier, later in (("created_at", "followed_up_at"), ("followed_up_at", "resolved_at"),
                           ("resolved_at", "closed_at"), ("created_at", "closed_at")):
        both = c[earlier].notna() & c[later].notna()
        assert (c.loc[both, later] >= c.loc[both, earlier]).all(), (earlier, later)
    for col in ("followed_up_at", "resolved_at", "closed_at"):
        assert (c[col].dropna() <= NOW).all()
    assert str(c.created_at.dt.tz) == "Asia/Makassar"


def test_timestamps_match_status(complaints):
    """Open tickets have no resolution or closing; closed ones have both; rejected/duplicate are closed only."""
    c = complaints
    is_open = c.status.isin(OPEN)
    assert c.loc[is_open, ["resolved_at", "closed_at"]].isna().all().all()
    assert c.loc[c.status == "in_progress", "followed_up_at"].notna().all()
    assert c.loc[c.status.isin(["new", "verified"]), "followed_up_at"].isna().all()
    assert c.loc[c.status == "resolved", "resolved_at"].notna().all()
    assert c.loc[c.status == "resolved", "closed_at"].isna().all()
    assert c.loc[c.status == "closed", ["followed_up_at", "resolved_at", "closed_at"]].notna().all().all()
    final = c.status.isin(["rejected", "duplicate"])
    assert c.loc[final, "closed_at"].notna().all() and c.loc[final, "resolved_at"].isna().all()


def test_old_tickets_mostly_finished_recent_ones_mostly_open(complaints):
    """Older than three months: above 85 % finished; from the last two days: mostly still open."""
    age = NOW - complaints.created_at
    old = complaints[age > pd.Timedelta(days=90)]
    recent = complaints[age < pd.Timedelta(days=2)]
    assert (~old.status.isin(OPEN)).mean() > 0.85
    assert len(recent) > 20 and recent.status.isin(OPEN).mean() > 0.6
    assert 0 < (old.status.isin(OPEN)).sum()  # a few stuck tickets remain for the late-ticket layer


def test_rainy_season_brings_flooding(complaints):
    """Genangan/banjir in Dec–Feb clearly outnumbers Jun–Aug; land fires peak in the dry season."""
    month = complaints.created_at.dt.month
    flood = complaints.category == "genangan-banjir"
    assert (flood & month.isin([12, 1, 2])).sum() > 2 * (flood & month.isin([6, 7, 8])).sum()
    fire = complaints.category == "kebakaran-lahan"
    assert (fire & month.isin([8, 9, 10])).sum() > 2 * (fire & month.isin([1, 2, 3])).sum()


def test_weekdays_and_office_hours_are_busier(complaints):
    """More complaints per weekday than per weekend day, and more at 09:00 than at 03:00 (WITA)."""
    day = complaints.created_at.dt.day_of_week
    assert (day < 5).sum() / 5 > 1.3 * (day >= 5).sum() / 2
    hour = complaints.created_at.dt.hour
    assert (hour == 9).sum() > 5 * (hour == 3).sum()
    staffed = complaints.channel.isin(["phone", "desk"])
    assert complaints.loc[staffed, "created_at"].dt.hour.between(8, 15).all()


def test_the_volume_grows(complaints):
    """Later months have more complaints than the first months (adoption grows)."""
    months = complaints.created_at.dt.tz_localize(None).dt.to_period("M").value_counts().sort_index()
    full = months.iloc[1:-1]
    assert full.iloc[-6:].mean() > 1.2 * full.iloc[:6].mean()


def test_small_kelurahan_get_more_complaints_per_km2(complaints, metric):
    """The dense centre reports more per km² than the big edge kelurahan."""
    idx = shapely.STRtree(metric.to_crs(4326).geometry.array).query(
        shapely.points(complaints.lon, complaints.lat), predicate="within")[1]
    counts = np.bincount(idx, minlength=len(metric)) / (metric.area.to_numpy() / 1e6)
    order = np.argsort(metric.area.to_numpy())
    assert counts[order[:10]].mean() > 3 * counts[order[-10:]].mean()


def test_slow_skpd_breach_the_follow_up_clock_more(complaints):
    """Social aid (Dinsos, slow) misses the 5-working-day follow-up far more often than waste (DLH)."""
    def late_share(code: str) -> float:
        c = complaints[(complaints.category == code) & complaints.followed_up_at.notna()]
        start = c.created_at.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        end = c.followed_up_at.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        return float((np.busday_count(start, end) > 5).mean())

    assert late_share("bantuan-sosial") > 3 * late_share("sampah-menumpuk")
    assert late_share("sampah-menumpuk") < 0.1


def test_confidential_categories_are_not_public(complaints):
    """Reports about persons (bantuan sosial, ketertiban, bangunan liar) never go on the public map."""
    secret = {c.code for c in ref.CATEGORIES if c.confidential}
    assert {"bantuan-sosial", "pkl-ketertiban"} <= secret
    assert not complaints.loc[complaints.category.isin(secret), "public"].any()
    assert complaints.loc[~complaints.category.isin(secret), "public"].all()


def test_descriptions_are_varied_indonesian_text(complaints):
    """Filled-in templates: no placeholders left, many different texts, within the 5,000-character limit."""
    text = complaints.description
    assert not text.str.contains(r"[{}]").any()
    assert text.nunique() > 0.3 * len(text)
    assert text.str.len().between(20, 5000).all()
    flood = text[complaints.category == "genangan-banjir"]
    assert flood.str.contains(r"genang|banjir|air", case=False).mean() > 0.9


def test_hotspots_cluster_around_markets(complaints, city):
    """Uncollected waste concentrates near the markets more than street-light faults do."""
    import geopandas as gpd

    markets = shapely.points([city.centres[c] for c in synthetic.MARKETS.values()])
    pts = gpd.GeoSeries(gpd.points_from_xy(complaints.lon, complaints.lat), crs=4326).to_crs(synthetic.METRIC_CRS)
    near = shapely.dwithin(pts.to_numpy()[:, None], markets[None, :], 300).any(axis=1)
    assert near[complaints.category == "sampah-menumpuk"].mean() > 3 * near[
        complaints.category == "lampu-jalan-mati"].mean()


def test_reference_data_is_consistent():
    """Open311 codes, SKPD that exist, templates for every category, 'lainnya' to the complaint desk."""
    skpd = {s.code for s in ref.SKPD}
    assert {"PUPR", "PERKIM", "DLH", "DISHUB", "PDAM", "SATPOLPP", "DAMKAR", "DINKES", "DISDIK", "DINSOS", "BPBD",
            "DISKOMINFOTIK"} <= skpd
    texts = ref.templates()
    for c in ref.CATEGORIES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", c.code) and c.skpd in skpd and len(texts[c.code]) >= 3
        assert c.followup_days == 5 and c.handling_days == 15 and c.duplicate_radius_m > 0
    by_code = {c.code: c for c in ref.CATEGORIES}
    assert by_code["lainnya"].skpd == "DISKOMINFOTIK"
    assert by_code["lampu-jalan-mati"].duplicate_radius_m < 250 < by_code["genangan-banjir"].duplicate_radius_m
    assert 15 <= len(ref.CATEGORIES) <= 21


def test_service_areas_fit_the_city_and_overlap_where_intended(city):
    """Each synthetic service area is a valid polygon on the city; PUPR drainage and BPBD flood zones overlap."""
    land = shapely.union_all(city.kelurahan.geometry.to_numpy())
    areas = {a.name: synthetic.area_from(city, **a.shape) for a in ref.SERVICE_AREAS}
    for geom in areas.values():
        assert isinstance(geom, shapely.MultiPolygon) and geom.is_valid and not geom.is_empty
        assert shapely.difference(geom, land).area < 0.1 * geom.area  # only the river gap and the very edge
    drainage = areas["Zona Pemeliharaan Drainase PUPR Pusat Kota"]
    flood = areas["Zona Rawan Banjir BPBD"]
    assert shapely.intersection(drainage, flood).area > 0.05 * drainage.area


def test_a_million_rows_scale_is_vectorised(city):
    """200,000 rows in well under 15 s: no per-row Python (a million takes seconds, not minutes)."""
    started = time.perf_counter()
    frame = synthetic.generate_complaints(city, ref.profiles(), now=NOW, n=200_000, seed=3)
    assert len(frame) == 200_000
    assert time.perf_counter() - started < 15


def test_the_demo_meets_its_standard_as_the_city_reports(complaints):
    """Calibrated to the published statement: city-wide follow-up about 1.5 working days on average (standard 5),
    handling about 3.5 (standard 15), almost all on time; slow and fast SKPD apart."""
    from aduan.clocks import WorkCalendar
    from layers.performance import working_days

    cal = WorkCalendar(tz="Asia/Makassar")
    fu = pd.Series(working_days(cal, complaints.created_at, complaints.followed_up_at))
    handled = pd.Series(working_days(cal, complaints.created_at, complaints.resolved_at))
    assert 1.2 <= fu.mean() <= 1.8 and 3.0 <= handled.mean() <= 4.0
    assert (fu <= 5).sum() / fu.notna().sum() > 0.95 and (handled <= 15).sum() / handled.notna().sum() > 0.95
    by_skpd = handled.groupby(complaints.category.map({c.code: c.skpd for c in ref.CATEGORIES}).values).mean()
    assert by_skpd["DINSOS"] > 1.5 * by_skpd["PDAM"]  # a realistic spread, not one speed for all
