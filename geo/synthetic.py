"""SYNTHETIC demo data for Kota Banjarmasin: kelurahan polygons and a history of complaints. No Flask here.

Nothing here is an official boundary, a census figure or a real complaint. The polygons are a power diagram of
the approximate kelurahan centres (public facts, app/demo/kelurahan.csv) whose weights are fitted so each cell's
area is close to the kelurahan's approximate area, clipped to a smoothed outline, given wiggly edges by a smooth
random displacement and cut by a synthetic Sungai Martapura (a real-life gap); a few 4 m digitising slivers make
neighbours overlap on purpose, as real files do. `population` is synthetic too (density falls with kelurahan
size, scaled to about 670,000 residents) so per-1,000-residents layers have something to show; a city replaces
all of it by importing official data. One seeded numpy Generator drives everything: same seed, same output.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import holidays
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

METRIC_CRS = "EPSG:32750"
GRID_M = 0.01  # coordinates snapped to 1 cm so shared edges stay exactly shared
CITY_POPULATION = 670_000
RIVER_WIDTH_M = 40.0
SLIVER_M = 4.0
SEGMENT_M = 75.0  # vertex spacing of the wiggly edges: smooth enough, and cheap for point-in-polygon
AREA_SIMPLIFY_M = 10.0  # service areas are drawn independently of kelurahan edges; keep them light
# Synthetic Sungai Martapura (lon, lat): in from the east, past the old centre, out to the Barito in the south-west.
MARTAPURA = ((114.672, -3.318), (114.640, -3.3150), (114.624, -3.3125), (114.6075, -3.3115), (114.5990, -3.3100),
             (114.5928, -3.3112), (114.5930, -3.3200), (114.5945, -3.3262), (114.5916, -3.3316), (114.5918, -3.3365),
             (114.5920, -3.3415), (114.582, -3.3500), (114.560, -3.3500), (114.515, -3.3480))
# Main roads approximated through kelurahan centres (synthetic; streetlight and traffic hotspots lie along them).
MAIN_ROADS = {
    "Jl. Ahmad Yani": ("63.71.05.1002", "63.71.02.1008", "63.71.02.1003", "63.71.02.1002", "63.71.02.1009"),
    "Jl. Pramuka": ("63.71.05.1009", "63.71.02.1004", "63.71.02.1007", "63.71.02.1005"),
    "Jl. Brigjen H. Hasan Basri": ("63.71.05.1005", "63.71.04.1008", "63.71.04.1005", "63.71.04.1002"),
    "Jl. Sutoyo S.": ("63.71.05.1005", "63.71.05.1004", "63.71.03.1002", "63.71.03.1003"),
    "Jl. Kelayan A": ("63.71.05.1012", "63.71.01.1005", "63.71.01.1007", "63.71.01.1009"),
}
MARKETS = {"Pasar Sentra Antasari": "63.71.05.1011", "Pasar Lama": "63.71.05.1006", "Pasar Teluk Dalam":
           "63.71.05.1004", "Pasar Kuripan": "63.71.02.1001", "Pasar Kalindo": "63.71.05.1012",
           "Pasar Terapung Kuin": "63.71.04.1009"}
FLOOD_PRONE = ("63.71.02.1005", "63.71.04.1002", "63.71.04.1010", "63.71.01.1002", "63.71.01.1010",
               "63.71.03.1009", "63.71.04.1004")
PERIPHERY = ("63.71.01.1001", "63.71.01.1012", "63.71.02.1005", "63.71.04.1010", "63.71.01.1010",
             "63.71.04.1002", "63.71.01.1008", "63.71.01.1009")  # peat and swamp land: land fires
SLIVERS = (("63.71.05.1006", "63.71.05.1007"), ("63.71.03.1005", "63.71.05.1003"),
           ("63.71.02.1002", "63.71.02.1001"))  # (grows, into): intended overlaps


@dataclass(frozen=True)
class SyntheticCity:
    """The generated city: what the boundary loader takes, plus the metric features the complaint sampler uses."""

    kelurahan: gpd.GeoDataFrame  # code, name, kecamatan_code, population, geometry (MultiPolygon, EPSG:4326)
    kecamatan: gpd.GeoDataFrame  # code, name, geometry (MultiPolygon, EPSG:4326)
    river: shapely.LineString  # centre line of the synthetic Sungai Martapura, metric
    roads: shapely.MultiLineString  # metric
    centres: dict[str, tuple[float, float]]  # kelurahan code -> approximate centre, metric


def read_centres(path: str | Path) -> pd.DataFrame:
    """The public facts the synthetic city grows from (official codes and names, approximate centre and area)."""
    return pd.read_csv(path, dtype={"kecamatan_code": str, "kelurahan_code": str})


def generate_city(centres: pd.DataFrame, *, seed: int = 0, slivers: bool = True) -> SyntheticCity:
    """Deterministic synthetic kelurahan and kecamatan that fit the city's approximate geography."""
    rng = np.random.default_rng(seed)
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    xy = np.column_stack(to_m.transform(centres.approx_lon.to_numpy(), centres.approx_lat.to_numpy()))
    area = centres.approx_area_km2.to_numpy() * 1e6
    outline = _outline(xy, area)
    cells = _power_cells(xy, area * outline.area / area.sum(), outline)
    river = shapely.segmentize(shapely.LineString(np.column_stack(to_m.transform(*np.array(MARTAPURA).T))), SEGMENT_M)
    field = _smooth_field(rng)
    codes = centres.kelurahan_code.tolist()
    extras = _sliver_regions(cells, codes) if slivers else []
    polys = _wiggle_and_cut(cells, field, shapely.buffer(river, RIVER_WIDTH_M / 2), extras)
    kel = _kelurahan_frame(centres, polys, area ** 0.4 * rng.lognormal(0.0, 0.15, len(area)))
    names = centres.drop_duplicates("kecamatan_code").set_index("kecamatan_code").kecamatan
    kec = kel.dissolve("kecamatan_code").reset_index()
    kec = gpd.GeoDataFrame({"code": kec.kecamatan_code, "name": names[kec.kecamatan_code].to_numpy()},
                           geometry=[_multi(shapely.set_precision(g, GRID_M)) for g in kec.geometry], crs=METRIC_CRS)
    centre_pts = {c: (float(x), float(y)) for c, (x, y) in zip(codes, field(xy), strict=True)}
    roads = shapely.MultiLineString([[centre_pts[c] for c in seq] for seq in MAIN_ROADS.values()])
    return SyntheticCity(kel.to_crs(4326), kec.to_crs(4326), shapely.transform(river, field), roads, centre_pts)


def _kelurahan_frame(centres: pd.DataFrame, polys: list, weight: np.ndarray) -> gpd.GeoDataFrame:
    """Official codes and names, synthetic polygons, synthetic population (scaled to the city's total)."""
    return gpd.GeoDataFrame({
        "code": centres.kelurahan_code.to_numpy(), "name": centres.kelurahan.to_numpy(),
        "kecamatan_code": centres.kecamatan_code.to_numpy(),
        "population": np.round(CITY_POPULATION * weight / weight.sum(), -1).astype(int),
    }, geometry=[_multi(p) for p in polys], crs=METRIC_CRS)


def area_from(city: SyntheticCity, *, kecamatan: Sequence[str] = (), kelurahan: Sequence[str] = (),
              grow_m: float = 0.0, river_m: float = 0.0, roads_m: float = 0.0, markets_m: float = 0.0
              ) -> shapely.MultiPolygon:
    """A service-area polygon (EPSG:4326) built from the synthetic city, so demo service areas fit it."""
    kel = city.kelurahan.to_crs(METRIC_CRS)
    chosen = kel[kel.kecamatan_code.isin(kecamatan) | kel.code.isin(kelurahan)].geometry.to_numpy()
    parts = [shapely.buffer(shapely.union_all(chosen), grow_m, quad_segs=4)] if len(chosen) else []
    if river_m:
        parts.append(shapely.buffer(city.river, river_m, quad_segs=4))
    if roads_m:
        parts.append(shapely.buffer(city.roads, roads_m, quad_segs=4))
    if markets_m:
        markets = shapely.points([city.centres[c] for c in MARKETS.values()])
        parts.append(shapely.buffer(markets, markets_m, quad_segs=8))
    land = shapely.buffer(shapely.union_all(kel.geometry.to_numpy()), RIVER_WIDTH_M, quad_segs=4)
    geom = shapely.intersection(shapely.simplify(shapely.union_all(parts), AREA_SIMPLIFY_M), land)
    geom = shapely.make_valid(shapely.simplify(geom, AREA_SIMPLIFY_M), method="structure")
    return _multi(gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(4326).iloc[0])


def _multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon) and not p.is_empty]
    return shapely.MultiPolygon(polys)


def _outline(xy: np.ndarray, area: np.ndarray) -> shapely.Polygon:
    """Union of discs sized from the approximate areas, closed (buffer out, then in) to a smooth city shape."""
    discs = shapely.buffer(shapely.points(xy), np.sqrt(area / np.pi) * 1.1, quad_segs=16)
    return shapely.buffer(shapely.buffer(shapely.union_all(discs), 1000.0), -1000.0)


def _power_cells(xy: np.ndarray, target: np.ndarray, clip: shapely.Geometry, rounds: int = 30) -> np.ndarray:
    """Power-diagram cells clipped to `clip`, weights nudged until each cell's area is near its target."""
    origin = xy.mean(axis=0)
    p = xy - origin  # half-planes are built around the origin: keep it inside the city
    local_clip = shapely.transform(clip, lambda c: c - origin)
    weights = np.zeros(len(p))
    for _ in range(rounds):
        cells = np.array([_power_cell(p, weights, i, local_clip) for i in range(len(p))])
        error = target - shapely.area(cells)
        weights = _keep_sites_inside(p, weights + error / np.maximum(shapely.length(cells), 1.0) * np.sqrt(target))
    return shapely.set_precision(shapely.transform(cells, lambda c: c + origin), GRID_M)


def _keep_sites_inside(p: np.ndarray, w: np.ndarray, rounds: int = 20) -> np.ndarray:
    """Cap weight differences (w_j - w_i < 0.8 d_ij²) so every approximate centre stays inside its own cell."""
    d2 = ((p[:, None, :] - p[None, :, :]) ** 2).sum(axis=2)
    for _ in range(rounds):
        excess = np.clip(w[None, :] - w[:, None] - 0.8 * d2, 0, None)  # [i, j]: j pushes into i's site
        w = w - excess.max(axis=0) / 2 + excess.max(axis=1) / 2
    return w


def _power_cell(p: np.ndarray, w: np.ndarray, i: int, clip: shapely.Geometry) -> shapely.Geometry:
    """Cell i = clip ∩ {x : |x-p_i|² - w_i <= |x-p_j|² - w_j for all j}: an intersection of half-planes."""
    others = np.arange(len(p)) != i
    d = p[others] - p[i]
    dist = np.hypot(d[:, 0], d[:, 1])
    normal = d / dist[:, None]
    offset = ((p[others] ** 2).sum(axis=1) - (p[i] ** 2).sum() + w[i] - w[others]) / (2 * dist)
    foot, tangent, big = normal * offset[:, None], np.column_stack([-normal[:, 1], normal[:, 0]]), 1e5
    rings = np.stack([foot + big * tangent, foot - big * tangent, foot - big * (tangent + normal),
                      foot + big * (tangent - normal), foot + big * tangent], axis=1)
    return shapely.intersection_all(np.append(shapely.polygons(rings), clip))


def _smooth_field(rng: np.random.Generator, amplitude: float = 45.0, waves: int = 4) -> Callable:
    """A smooth random displacement (sum of sine waves, gentle slope) so edges wiggle like real boundaries."""
    k = rng.uniform(2 * np.pi / 2500, 2 * np.pi / 1200, (2, waves, 2)) * rng.choice([-1, 1], (2, waves, 2))
    phase = rng.uniform(0, 2 * np.pi, (2, waves))
    a = amplitude / waves

    def field(c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float)
        dx = a * np.sin(c @ k[0].T + phase[0]).sum(axis=1)
        dy = a * np.sin(c @ k[1].T + phase[1]).sum(axis=1)
        return c + np.column_stack([dx, dy])

    return field


def _wiggle_and_cut(cells: np.ndarray, field: Callable, river: shapely.Geometry,
                    extras: list[tuple[int, shapely.Geometry]]) -> list[shapely.Geometry]:
    """Displace the shared linework once (so neighbours stay exactly shared), cut out the river, re-polygonize.

    `extras` are (kelurahan index, region) slivers also given to that kelurahan: built from the same noded
    linework, so the only overlaps are exactly those regions.
    """
    edges = [cells, [river], [r for _, r in extras]]
    lines = shapely.union_all(np.concatenate([shapely.boundary(e) for e in edges if len(e)]), grid_size=GRID_M)
    moved = shapely.union_all([shapely.transform(shapely.segmentize(lines, SEGMENT_M), field)], grid_size=GRID_M)
    faces = np.array(shapely.get_parts(shapely.polygonize(shapely.get_parts(moved))))
    probe = _inverse(field, shapely.get_coordinates(shapely.point_on_surface(faces)))
    in_river = shapely.contains_xy(river, probe[:, 0], probe[:, 1])
    owner = np.full(len(faces), -1)
    for i, cell in enumerate(cells):
        owner[shapely.contains_xy(cell, probe[:, 0], probe[:, 1]) & ~in_river] = i
    members = [faces[owner == i] for i in range(len(cells))]
    for i, region in extras:
        members[i] = np.append(members[i], faces[shapely.contains_xy(region, probe[:, 0], probe[:, 1]) & ~in_river])
    return [shapely.union_all(m, grid_size=GRID_M) for m in members]


def _inverse(field: Callable, c: np.ndarray, rounds: int = 8) -> np.ndarray:
    """Undo the displacement by fixed-point iteration (it converges: the field's slope is well below 1)."""
    x = c.copy()
    for _ in range(rounds):
        x = c - (field(x) - x)
    return x


def _sliver_regions(cells: np.ndarray, codes: list[str]) -> list[tuple[int, shapely.Geometry]]:
    """Strips a few metres wide along chosen shared edges, to be given to both sides: real files' overlaps."""
    index = {c: i for i, c in enumerate(codes)}
    regions = []
    for grows, into in SLIVERS:
        a, b = cells[index[grows]], cells[index[into]]
        edge = shapely.intersection(shapely.boundary(a), shapely.boundary(b))
        regions.append((index[grows], shapely.intersection(shapely.buffer(edge, SLIVER_M, cap_style="flat"), b)))
    return regions


# ---- Complaints -----------------------------------------------------------------------------------------------
WITA_OFFSET_S = 8 * 3600  # Asia/Makassar, UTC+08:00, no daylight saving
DAY_S = 86_400
WEEKDAY_RATE = np.array([1.15, 1.1, 1.05, 1.0, 0.9, 0.6, 0.5])  # Monday..Sunday
HOUR_RATE_ONLINE = np.array([.3, .2, .15, .15, .3, .8, 1.5, 2.5, 3.5, 4, 4, 3.5, 2.5, 3, 3.2, 3, 2.6, 2, 1.8, 2.2,
                             2.4, 2, 1.2, .6])
HOUR_RATE_STAFFED = np.array([0] * 8 + [3, 4, 4, 3, 2, 3, 3, 2] + [0] * 8)  # phone and desk: office hours
CHANNELS = np.array(["web", "open311", "phone", "desk"])
PLACES = ("di depan masjid", "dekat sekolah dasar", "di gang sebelah warung", "di depan rumah warga",
          "di ujung gang", "dekat jembatan", "di samping langgar", "dekat pos kamling", "di depan toko",
          "dekat kantor kelurahan", "di pinggir jalan besar", "di komplek perumahan", "dekat pangkalan ojek")
SINCE = ("sejak kemarin", "sejak tiga hari lalu", "sudah seminggu", "sejak dua minggu terakhir",
         "sudah sebulan lebih", "sudah berbulan-bulan")
OPENERS = ("", "", "", "Assalamualaikum. ", "Selamat pagi. ", "Lapor. ", "Mohon perhatian. ", "Tolong dibantu. ")
CLOSERS = ("", "", " Mohon segera ditindaklanjuti.", " Terima kasih.", " Warga sangat terganggu.",
           " Sudah pernah dilaporkan tapi belum ada tindakan.", " Mohon dicek ke lokasi.")


@dataclass(frozen=True)
class CategoryProfile:
    """How one category behaves in the synthetic history: share, season, where it clusters, handling speed."""

    code: str
    weight: float
    templates: tuple[str, ...]  # Indonesian; may use {tempat} and {sejak}
    season_peak_month: int = 1
    season_boost: float = 1.0  # rate at the seasonal peak relative to the trough
    hotspot: str | None = None  # flood | river | market | road | fringe
    hotspot_share: float = 0.0
    confidential: bool = False
    followup_median_days: float = 2.0  # working days; differs by SKPD
    handling_median_days: float = 6.0


def generate_complaints(city: SyntheticCity, profiles: Sequence[CategoryProfile], *, now: pd.Timestamp,
                        n: int = 20_000, seed: int = 0, months: int = 18) -> pd.DataFrame:
    """A vectorised, deterministic complaint history ending at `now`, for demos, layers and benchmarks.

    Columns are those `app.bulk_load.load_complaints` takes; timestamps are aware, in WITA (a naive `now` is read
    as WITA). Rejected and duplicate tickets carry only `closed_at` (no follow-up, no resolution), matching
    the history the loader writes for them.
    """
    rng = np.random.default_rng(seed)
    weight = np.array([p.weight for p in profiles])
    cat = rng.choice(len(profiles), n, p=weight / weight.sum())
    lon, lat = _Sampler(rng, city).locations(profiles, cat)
    now = pd.Timestamp(now) if pd.Timestamp(now).tzinfo else pd.Timestamp(now).tz_localize("Asia/Makassar")
    now_s = int(now.timestamp()) + WITA_OFFSET_S  # local wall-clock seconds
    created, channel = _created(rng, profiles, cat, now_s, months)
    life = _lifecycle(rng, profiles, cat, created, now_s)
    return pd.DataFrame({
        "lon": lon, "lat": lat, "category": np.array([p.code for p in profiles])[cat],
        "description": _descriptions(rng, profiles, cat), "created_at": _stamp(created, np.ones(n, bool)),
        **life, "channel": channel, "public": ~np.array([p.confidential for p in profiles])[cat],
    })


class _Sampler:
    """Points inside the kelurahan (vectorised rejection sampling): background by population, plus hotspots."""

    def __init__(self, rng: np.random.Generator, city: SyntheticCity) -> None:
        self.rng, self.city, kel = rng, city, city.kelurahan
        self.land = shapely.union_all(kel.geometry.to_numpy())
        shapely.prepare(self.land)
        self.to_ll = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
        self.to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
        self.pop = kel.population.to_numpy(float)
        self.fringe = kel.to_crs(METRIC_CRS).area.to_numpy() * kel.code.isin(PERIPHERY).to_numpy()

    def locations(self, profiles: Sequence[CategoryProfile], cat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lon, lat) per row: its category's hotspot for a share of rows, a chronic spot for some, else anywhere."""
        u = self.rng.random(len(cat))
        share = np.array([p.hotspot_share for p in profiles])[cat]
        kind = np.array([p.hotspot or "background" for p in profiles], dtype=object)[cat]
        kind[u >= share] = "background"
        kind[(u >= share) & (u < share + 0.08)] = "chronic"
        samplers = {"background": lambda m: self._by_weight(m, self.pop),
                    "fringe": lambda m: self._by_weight(m, self.fringe),
                    **{k: (lambda m, k=k: self._inside(m, lambda q: self._hotspot(k, q)))
                       for k in ("flood", "river", "market", "road")}}
        out = np.empty((len(cat), 2))
        for k, sample in samplers.items():
            rows = np.flatnonzero(kind == k)
            out[rows] = sample(len(rows))
        for c in range(len(profiles)):  # each category's three chronic spots (a bad road, a clogged culvert)
            rows = np.flatnonzero((kind == "chronic") & (cat == c))
            spots = np.column_stack(self.to_m.transform(*self._by_weight(3, self.pop).T))
            out[rows] = self._inside(len(rows), lambda m, s=spots: self._near(s, m, 150.0))
        return out[:, 0], out[:, 1]

    def _inside(self, n: int, propose: Callable[[int], np.ndarray]) -> np.ndarray:
        """Keep metric proposals that land on a kelurahan until there are n; return them as (lon, lat)."""
        got, parts = 0, [np.empty((0, 2))]
        while got < n:
            xy = propose(2 * (n - got) + 16)
            lon, lat = self.to_ll.transform(xy[:, 0], xy[:, 1])
            keep = shapely.contains_xy(self.land, lon, lat)
            parts.append(np.column_stack([lon[keep], lat[keep]]))
            got += int(keep.sum())
        return np.concatenate(parts)[:n]

    def _by_weight(self, n: int, weight: np.ndarray) -> np.ndarray:
        """Uniform within kelurahan drawn in proportion to `weight`; (lon, lat), shuffled."""
        counts = self.rng.multinomial(n, weight / weight.sum())
        out = [np.empty((0, 2))]
        for geom, k in zip(self.city.kelurahan.geometry, counts, strict=True):
            x0, y0, x1, y1 = geom.bounds
            got = np.empty((0, 2))
            while len(got) < k:
                c = self.rng.uniform((x0, y0), (x1, y1), (2 * (k - len(got)) + 8, 2))
                got = np.concatenate([got, c[shapely.contains_xy(geom, c[:, 0], c[:, 1])]])
            out.append(got[:k])
        return np.concatenate(out)[self.rng.permutation(n)]

    def _near(self, centres: np.ndarray, m: int, sigma: float) -> np.ndarray:
        return centres[self.rng.integers(0, len(centres), m)] + self.rng.normal(0.0, sigma, (m, 2))

    def _along(self, line: shapely.Geometry, m: int, sigma: float) -> np.ndarray:
        pts = shapely.line_interpolate_point(line, self.rng.random(m), normalized=True)
        return shapely.get_coordinates(pts).reshape(-1, 2) + self.rng.normal(0.0, sigma, (m, 2))

    def _hotspot(self, kind: str, m: int) -> np.ndarray:
        """Metric proposals: along the river, the main roads, near markets, or (flood) river and low kelurahan."""
        def at(codes): return np.array([self.city.centres[c] for c in codes])  # noqa: E704
        if kind == "road":
            return self._along(self.city.roads, m, 15.0)
        if kind == "market":
            return self._near(at(MARKETS.values()), m, 120.0)
        river = self._along(self.city.river, m if kind == "river" else m // 2, 250.0)
        return river if kind == "river" else np.concatenate([river, self._near(at(FLOOD_PRONE), m - m // 2, 500.0)])


def _created(rng: np.random.Generator, profiles: Sequence[CategoryProfile], cat: np.ndarray, now_s: int,
             months: int) -> tuple[np.ndarray, np.ndarray]:
    """When and how: growth, weekdays over weekends and holidays, a season per category, office-hour peaks."""
    end = np.datetime64(now_s // DAY_S, "D")
    days = np.arange(np.datetime64((pd.Timestamp(end) - pd.DateOffset(months=months)).date(), "D"), end + 1)
    weekday = WEEKDAY_RATE[(days.astype(np.int64) + 3) % 7]  # 1970-01-01 was a Thursday
    base = np.linspace(0.6, 1.0, len(days)) * weekday * np.where(np.isin(days, _holidays(days)), 0.6, 1.0)
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    day = np.empty(len(cat), np.int64)
    for c, p in enumerate(profiles):
        rows = np.flatnonzero(cat == c)
        wave = (1 + np.cos(2 * np.pi * (doy - 30.4 * (p.season_peak_month - 1) - 15) / 365.25)) / 2
        rate = base * (1 + (p.season_boost - 1) * wave)
        day[rows] = rng.choice(len(days), len(rows), p=rate / rate.sum())
    u = rng.random(len(cat))
    app_share = 0.12 + 0.2 * day / max(len(days) - 1, 1)  # the Open311 app is adopted over time
    channel = np.select([u < 0.16, u < 0.28, u < 0.28 + app_share], CHANNELS[[2, 3, 1]], CHANNELS[0])
    staffed = np.isin(channel, CHANNELS[2:])
    hour = np.where(staffed, rng.choice(24, len(cat), p=HOUR_RATE_STAFFED / HOUR_RATE_STAFFED.sum()),
                    rng.choice(24, len(cat), p=HOUR_RATE_ONLINE / HOUR_RATE_ONLINE.sum()))
    local = days[day].astype(np.int64) * DAY_S + hour * 3600 + rng.integers(0, 3600, len(cat))
    return np.where(local > now_s, local - DAY_S, local), channel


def _holidays(days: np.ndarray) -> np.ndarray:
    years = range(int(str(days[0])[:4]), int(str(days[-1])[:4]) + 2)
    return np.array(sorted(holidays.country_holidays("ID", years=list(years))), dtype="datetime64[D]")


def _lifecycle(rng: np.random.Generator, profiles: Sequence[CategoryProfile], cat: np.ndarray,
               created: np.ndarray, now_s: int) -> dict[str, pd.Series]:
    """Status and timestamps as of `now`: old tickets mostly closed, slow SKPD breaching clocks, a few stuck."""
    n, cal = len(cat), np.busdaycalendar(weekmask="1111100", holidays=_holidays(
        np.array([created.min() // DAY_S, created.max() // DAY_S], dtype="datetime64[D]")))
    fu_median = np.array([p.followup_median_days for p in profiles])[cat]
    handling_median = np.array([p.handling_median_days for p in profiles])[cat]
    k_fu = np.floor(rng.lognormal(np.log(fu_median + 0.5), 0.6)).astype(np.int64)
    k_res = k_fu + np.maximum(1, np.round(rng.lognormal(np.log(handling_median), 0.5))).astype(np.int64)
    u = rng.random(n)
    duplicate, normal = (u >= 0.03) & (u < 0.08), u >= 0.08  # u < 0.03: rejected
    # A city that meets its standard still has laggards: 1 % followed up late (6-20 working days), 1.5 % handled
    # late (16-40 working days after intake), 0.3 % followed up and then stuck for good; open tickets are
    # therefore mostly recent, with a few overdue for the late-ticket layer.
    late_fu, late_res = normal & (u < 0.09), normal & (u >= 0.09) & (u < 0.105)
    stuck = normal & (u >= 0.105) & (u < 0.108)
    k_fu = np.where(late_fu, 6 + rng.integers(0, 15, n), k_fu)
    k_res = np.where(late_fu, k_fu + 1 + rng.integers(0, 10, n), k_res)
    k_res = np.where(late_res, 16 + rng.integers(0, 25, n), k_res)
    k_res = np.where(stuck, 20_000, k_res).astype(np.int64)
    fu, res = _act(rng, created, k_fu, cal), _act(rng, created, k_res, cal)
    closed = _act(rng, res, np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), 3), cal)  # else auto-closed
    verified = np.minimum(_act(rng, created, rng.choice(3, n, p=[0.5, 0.35, 0.15]), cal), fu)
    decided = np.maximum(_act(rng, created, np.minimum(k_fu, rng.integers(0, 4, n)), cal), verified)
    status = np.select(
        [normal & (now_s < verified), normal & (now_s < fu), normal & (now_s < res), normal & (now_s < closed),
         normal, duplicate & (now_s < decided), duplicate, now_s < verified, now_s < decided],
        ["new", "verified", "in_progress", "resolved", "closed", "new", "duplicate", "new", "verified"], "rejected")
    final = np.isin(status, ["duplicate", "rejected"])
    return {"status": status, "followed_up_at": _stamp(fu, normal & (now_s >= fu)),
            "resolved_at": _stamp(res, normal & (now_s >= res)),
            "closed_at": _stamp(np.where(final, decided, closed), final | (normal & (now_s >= closed)))}


def _act(rng: np.random.Generator, t: np.ndarray, k: np.ndarray, cal: np.busdaycalendar) -> np.ndarray:
    """A staff action k working days after t: office hours that day, or a little after t when that is past."""
    on = np.busday_offset((t // DAY_S).astype("datetime64[D]"), k, roll="forward", busdaycal=cal)
    at = on.astype(np.int64) * DAY_S + rng.integers(8 * 3600, 16 * 3600, len(t))
    return np.where(at > t, at, t + rng.integers(900, 3 * 3600, len(t)))


def _stamp(local: np.ndarray, mask: np.ndarray) -> pd.Series:
    """Local wall-clock seconds -> aware WITA timestamps; NaT where `mask` is False."""
    utc = (np.where(mask, local, WITA_OFFSET_S) - WITA_OFFSET_S).astype("datetime64[s]").astype("datetime64[us]")
    utc[~mask] = np.datetime64("NaT")
    return pd.Series(pd.DatetimeIndex(utc).tz_localize("UTC").tz_convert("Asia/Makassar"))


def _descriptions(rng: np.random.Generator, profiles: Sequence[CategoryProfile], cat: np.ndarray) -> np.ndarray:
    """Indonesian text: a category template filled with a place and a duration, an opener and a closer."""
    text = np.dtypes.StringDType()
    body = np.empty(len(cat), dtype=text)
    for c, p in enumerate(profiles):
        table = np.array(list(dict.fromkeys(t.format(tempat=a, sejak=b) for t, a, b in
                                            itertools.product(p.templates, PLACES, SINCE))), dtype=text)
        rows = np.flatnonzero(cat == c)
        body[rows] = table[rng.integers(0, len(table), len(rows))]
    opener = np.array(OPENERS, dtype=text)[rng.integers(0, len(OPENERS), len(cat))]
    closer = np.array(CLOSERS, dtype=text)[rng.integers(0, len(CLOSERS), len(cat))]
    return np.strings.add(np.strings.add(opener, body), closer).astype(object)
