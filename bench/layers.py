"""Layer benchmarks (issues 5 and 13), on the scratch database with about 1M demo complaints.

Live-write mode: before every timed "live" request a new complaint (through the intake) and a status change are
committed, so no cache keyed on the city's data can answer — what a planner sees on a working day. Each
measurement is printed beside a reference doing the same work in the same run:
(a) hex bins, kelurahan rates, Gi* hotspots and emerging hotspots, live and cached (quiet city) — reference:
    geopandas (read_postgis + sjoin to the same H3 polygons), libpysal Queen weights from those polygons and
    esda G_Local, i.e. the usual notebook pipeline, and esda on the counts alone;
(b) complaint and hex-bin vector tiles of the city's centre at z10–z16 over HTTP, live (p50 and p95), with their
    size — reference: a plain raw-point ST_AsMVT query of the same tile; from z13, where a tile follows only
    its own cells, also with both live writes inside the tile (its worst case); at raw-point zooms also the
    app's own tile query run directly (the same bytes without the HTTP request, versions and cache);
(d) the public map's 20,000 points (/api/v1/map-points, gzip accepted) over HTTP, live and cached — reference:
    the same rows read into Python, made into GeoJSON dicts, encoded and gzip-compressed (what the view did
    before 2026-12-07), and the app's own statement alone;
(c) an OGC API items page of 1,000 complaints over HTTP (first page and deep page) — references: the same page
    as a GeoJSON FeatureCollection built by one SQL statement (json_agg), as TiPg does, and TiPg itself
    (bench/tipg_ref.py: its own virtualenv under var/, made on first use; skipped with a note without network)
    serving the raw table public.complaint — all columns and all rows, where ours serves public fields only.

    python -m bench.layers [--complaints 1000000] [--repeat 3] [--reseed] [--only layers|tiles|ogc|map]
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import time
import urllib.request
import warnings
from collections.abc import Callable
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import shape
from sqlalchemy import func, select, text

from aduan.db import make_engine
from aduan.models import Category, Complaint
from aduan.queries import public
from aduan.settings import Settings
from bench.common import (
    LiveWrites,
    bench_database_url,
    ensure_complaints,
    ratio,
    say,
    served_app,
    summary,
    timed,
)
from bench.tipg_ref import COLLECTION, TIPG_VERSION, tipg_server
from layers.choropleth import choropleth
from layers.emerging import emerging
from layers.filters import LayerFilter
from layers.hexbins import cell_polygon, full_grid, hexbins
from layers.hotspots import PERMUTATIONS, SEED, hotspots
from layers.mvt import BIN_MIN_ZOOM, RAW_MIN_ZOOM, complaints_tile, tile_bounds

RES = 8


def _whole_range(conn) -> LayerFilter:
    tz = Settings().timezone
    lo, hi = conn.execute(text("SELECT (min(created_at) AT TIME ZONE :tz)::date, "
                               "(max(created_at) AT TIME ZONE :tz)::date FROM complaint"), {"tz": tz}).one()
    return LayerFilter(lo, hi + pd.Timedelta(days=1).to_pytimedelta(), tz=tz)


def _reference_counts(conn, flt: LayerFilter, grid: list[str]) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """geopandas: read the points, spatial-join them to the H3 polygons, count per cell (and month)."""
    c = Complaint.__table__
    month = func.to_char(func.timezone(flt.tz, c.c.created_at), "YYYY-MM").label("month")
    pts = gpd.read_postgis(select(c.c.geom, month).where(flt.condition(c)), conn, geom_col="geom")
    hexes = gpd.GeoDataFrame({"cell": grid}, geometry=[shape(cell_polygon(c)) for c in grid], crs="EPSG:4326")
    joined = gpd.sjoin(pts, hexes, predicate="within", how="inner")
    return joined.groupby(["cell", "month"]).size().rename("n").reset_index(), hexes


def _reference_gi(hexes: gpd.GeoDataFrame, counts: np.ndarray, permutations: int) -> None:
    import esda
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(hexes, use_index=False)
        esda.G_Local(counts.astype(float), w, transform="B", star=True, permutations=permutations, seed=SEED,
                     n_jobs=1, keep_simulations=False)


def _live(eng, fn, flt: LayerFilter, *args) -> Callable[[], object]:
    """One planner request as the app makes it: its own transaction, through the shared layer cache."""
    def request() -> object:
        with eng.begin() as conn:
            return fn(conn, flt, *args)
    return request


def bench_layers(url: str, repeat: int, writes: LiveWrites) -> None:
    eng = make_engine(url)  # the app's connection settings (jit off) for ours and the references alike
    with eng.connect() as conn:
        flt = _whole_range(conn)
        say(f"period {flt.start} – {flt.last_day}; warming imports (esda, libpysal) …")
        import esda  # noqa: F401 -- import cost is not what we measure
        grid = full_grid(conn, RES, np.array([], dtype=object))
        print(f"H3 resolution {RES}: {len(grid)} city cells, {len(flt.months())} months; a new complaint and a "
              "status change are committed before every timed live request", flush=True)
    say("hex bins …")
    ours = summary("hexbins live (counts → cells)", timed(_live(eng, hexbins, flt, RES), repeat, writes), "s")
    holder: dict = {}

    def reference() -> None:
        with eng.connect() as conn:
            holder["counts"], holder["hexes"] = _reference_counts(conn, flt, grid)

    ref = summary("reference geopandas read_postgis + sjoin", timed(reference, repeat), "s")
    ratio("reference / ours", ref["p50"], ours["p50"])
    counts = holder["counts"].groupby("cell")["n"].sum().reindex(grid, fill_value=0).to_numpy()
    say("kelurahan rates …")
    kel = summary("kelurahan rates live", timed(_live(eng, choropleth, flt), repeat, writes), "s")
    ratio("reference (read + sjoin) / ours", ref["p50"], kel["p50"])
    say("hotspots …")
    hot = summary(f"hotspots live (Gi*, {PERMUTATIONS} perms, FDR)", timed(_live(eng, hotspots, flt, RES), repeat,
                                                                         writes), "s")
    ref_gi = summary("reference esda G_Local on the counts alone", timed(
        lambda: _reference_gi(holder["hexes"], counts, PERMUTATIONS), repeat), "s")
    ratio("ours / reference on the counts alone", hot["p50"], ref_gi["p50"])
    ratio("reference (aggregation + Gi*) / ours", ref["p50"] + ref_gi["p50"], hot["p50"])
    say("emerging hotspots …")
    emg = summary("emerging live (Gi* per month + Mann-Kendall)", timed(_live(eng, emerging, flt, RES), repeat,
                                                                          writes), "s")
    monthly = holder["counts"].pivot_table(index="cell", columns="month", values="n", fill_value=0).reindex(
        grid, fill_value=0)
    ref_em = summary("reference esda G_Local per month (no trend)", timed(lambda: [
        _reference_gi(holder["hexes"], monthly[m].to_numpy(), 999) for m in monthly.columns], 1), "s")
    ratio("ours / reference per month on the counts alone", emg["p50"], ref_em["p50"])
    for name, fn, args in (("hexbins", hexbins, (RES,)), ("hotspots", hotspots, (RES,)),
                           ("emerging", emerging, (RES,)), ("kelurahan", choropleth, ())):
        _live(eng, fn, flt, *args)()  # store once
        summary(f"{name} cached (quiet city, shared layer cache)", timed(_live(eng, fn, flt, *args), max(repeat, 5)))
    eng.dispose()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as r:
        return r.read()


_PLAIN_MVT = text("""
SELECT ST_AsMVT(q, 'complaints', 4096, 'geom') FROM (
  SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom,
         c.tracking_code, c.status
    FROM complaint c WHERE c.public AND c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)) q
""")


def bench_tiles(url: str, base: str, flt: LayerFilter, repeat: int, writes: LiveWrites) -> None:
    """Complaint and hex-bin tiles of the city centre at z10–z16 with a write before each request."""
    eng = make_engine(url)  # the app's connection settings (jit off) for ours and the references alike
    with eng.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) p "
                                     "FROM kelurahan) x")).one()
    query = f"?start={flt.start}&end={flt.last_day}"
    n = max(repeat * 4, 12)  # enough requests for a p95
    for z in (10, 12, 14, 16):
        x, y = _tile_of(lon, lat, z)
        say(f"tiles z{z} …")
        for layer in ("complaints", "hexbins"):
            tile = f"{base}/tiles/{layer}/{z}/{x}/{y}.pbf{query}"
            size = len(_get(tile))
            mine = summary(f"z{z} {layer} tile live ({size / 1024:.0f} KiB)", timed(lambda t=tile: _get(t), n, writes))
            inside = None
            if z >= BIN_MIN_ZOOM:  # such a tile follows its own cells: its worst case is a write inside it
                inside = summary(f"z{z} {layer} tile live, writes in the tile", timed(
                    lambda t=tile: _get(t), n, lambda b=tile_bounds(z, x, y): writes.write(b)))
            if layer == "complaints":
                with eng.connect() as c:
                    plain = c.execute(_PLAIN_MVT, {"z": z, "x": x, "y": y}).scalar() or b""
                    ref = summary(f"reference plain ST_AsMVT raw points ({len(plain) / 1024:.0f} KiB)", timed(
                        lambda z=z, x=x, y=y: c.execute(_PLAIN_MVT, {"z": z, "x": x, "y": y}).scalar(),
                        n if z >= BIN_MIN_ZOOM else 3))  # a city-wide raw tile takes seconds (20 s at 10M)
                ratio("ours live / reference", mine["p50"], ref["p50"])
                if inside is not None:
                    ratio("ours live, writes in the tile / reference", inside["p50"], ref["p50"])
                if z >= RAW_MIN_ZOOM:  # the same bytes the app serves, computed by its own function directly
                    with eng.begin() as c:
                        same = summary("reference: the app's own tile query, directly", timed(
                            lambda c=c, z=z, x=x, y=y: complaints_tile(c, flt, z, x, y, RES), n))
                    ratio("ours live, writes in the tile / own query", inside["p50"], same["p50"])
        summary(f"z{z} complaints tile cached (quiet city)", timed(lambda t=tile.replace("hexbins", "complaints"):
                                                                   _get(t), n))
    eng.dispose()


_PLAIN_PAGE = text("""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', q.tracking_code, 'geometry', ST_AsGeoJSON(q.geom)::json,
         'properties', to_jsonb(q) - 'geom')), '[]'))::text
  FROM (SELECT c.tracking_code, c.status, c.description, c.created_at, c.geom FROM complaint c
         WHERE c.public ORDER BY c.id LIMIT 1000 OFFSET :off) q
""")


def bench_ogc(url: str, base: str, repeat: int, writes: LiveWrites, tipg: str | None = None) -> None:
    """Ours over HTTP beside the json_agg statement and, when `tipg` (its base URL) is given, TiPg over HTTP."""
    eng = make_engine(url)  # the app's connection settings (jit off) for ours and the references alike
    if tipg:
        print(f"  TiPg {TIPG_VERSION} serves the raw table {COLLECTION}: all columns, all rows (ours: public fields of "
              "public complaints)", flush=True)
    with eng.connect() as c:
        total = c.execute(text("SELECT count(*) FROM complaint WHERE public")).scalar()
        for label, off in (("first page", 0), ("deep page", total // 2)):
            say(f"OGC items {label} …")
            page = f"{base}/ogc/collections/complaints/items?limit=1000&offset={off}"
            size = len(_get(page))
            mine = summary(f"OGC items 1,000 {label} ({size / 1024:.0f} KiB)", timed(lambda p=page: _get(p), repeat,
                                                                                    writes))
            ref = summary("reference one-statement json_agg page", timed(
                lambda o=off: c.execute(_PLAIN_PAGE, {"off": o}).scalar(), repeat))
            ratio("ours / reference", mine["p50"], ref["p50"])
            if tipg:
                theirs = f"{tipg}/collections/{COLLECTION}/items?limit=1000&offset={off}"
                size = len(_get(theirs))
                ref = summary(f"TiPg {label}, all columns ({size / 1024:.0f} KiB)", timed(
                    lambda p=theirs: _get(p), repeat))
                ratio("ours / TiPg (public fields vs all columns)", mine["p50"], ref["p50"])
        say("OGC items deep page by cursor (the next links), alternated with the first page …")
        code = c.execute(text("SELECT tracking_code FROM complaint WHERE public ORDER BY id OFFSET :o LIMIT 1"),
                         {"o": total // 2}).scalar()
        pages = (f"{base}/ogc/collections/complaints/items?limit=1000",
                 f"{base}/ogc/collections/complaints/items?limit=1000&cursor={code}")
        # the goal is a ratio of two pages: timed in turns, so that the machine's drift between two separate
        # series is not read as a difference between the pages
        samples: tuple[list[float], list[float]] = ([], [])
        for _ in range(max(repeat * 3, 9)):
            for page, sample in zip(pages, samples, strict=True):
                sample += timed(lambda p=page: _get(p), 1, writes)
        first = summary("OGC 1,000 first page (in turns)", samples[0])
        deep = summary("OGC 1,000 deep page by cursor (in turns)", samples[1])
        ratio("deep by cursor / first page", deep["p50"], first["p50"])
    eng.dispose()


def _map_rows_in_python(conn, timezone: str) -> bytes:
    """The reference for the public map: its rows read into Python, made into features, encoded, compressed."""
    c, cat = Complaint.__table__, Category.__table__
    since = func.now() - text("interval '90 days'")
    rows = conn.execute(select(c.c.tracking_code, c.c.status, cat.c.code.label("category"), cat.c.name_id,
                               cat.c.name_en, func.ST_X(c.c.geom).label("lon"), func.ST_Y(c.c.geom).label("lat"),
                               c.c.created_at)
                        .join(cat, cat.c.id == c.c.category_id).where(c.c.public, c.c.created_at >= since)
                        .order_by(c.c.created_at.desc()).limit(20000)).mappings()
    zone = ZoneInfo(timezone)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": {k: r[k] for k in ("tracking_code", "status", "category", "name_id", "name_en")}
                 | {"created_at": r["created_at"].astimezone(zone).isoformat(timespec="seconds")}} for r in rows]
    return gzip.compress(json.dumps({"type": "FeatureCollection", "features": features},
                                    ensure_ascii=False).encode(), 6)


def _get_gzip(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def bench_public_map(url: str, base: str, repeat: int, writes: LiveWrites) -> None:
    """The public map over HTTP, live and cached, beside the rows-into-Python reference and its own statement."""
    eng = make_engine(url)  # the app's connection settings (jit off) for ours and the references alike
    timezone = Settings(database_url=url).timezone
    n = max(repeat * 4, 12)
    page = f"{base}/api/v1/map-points"
    say("public map …")
    size = len(_get_gzip(page))
    live = summary(f"public map live, 20,000 points ({size / 1024:.0f} KiB gzip)", timed(
        lambda: _get_gzip(page), n, writes))
    cached = summary("public map cached (quiet city)", timed(lambda: _get_gzip(page), n))
    with eng.connect() as c:
        ref = summary("reference: rows into Python, dicts, json.dumps, gzip", timed(
            lambda: _map_rows_in_python(c, timezone), n))
        own = summary("the app's statement alone (no cache, no gzip)", timed(
            lambda: public.map_points(c, timezone=timezone), n))
    ratio("live / reference", live["p50"], ref["p50"])
    ratio("cached / reference", cached["p50"], ref["p50"])
    ratio("own statement / reference", own["p50"], ref["p50"])
    eng.dispose()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--complaints", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--only", choices=("layers", "tiles", "ogc", "map"), help="run one part: (a), (b), (c) or (d)")
    p.add_argument("--no-tipg", action="store_true", help="leave out the TiPg reference (no install)")
    args, _ = p.parse_known_args(argv)
    url = bench_database_url()
    have = ensure_complaints(url, args.complaints, args.reseed)
    print(f"database: {have:,} complaints", flush=True)
    t0 = time.perf_counter()
    writes = LiveWrites(url)
    if args.only in (None, "layers"):
        bench_layers(url, args.repeat, writes)
    if args.only in (None, "tiles", "ogc", "map"):
        with served_app(url, workers=1) as base:
            if args.only in (None, "tiles"):
                eng = make_engine(url)  # the app's connection settings (jit off) for ours and the references alike
                with eng.connect() as conn:
                    flt = _whole_range(conn)
                eng.dispose()
                bench_tiles(url, base, flt, args.repeat, writes)
            if args.only in (None, "map"):
                bench_public_map(url, base, args.repeat, writes)
            if args.only in (None, "ogc"):
                if args.no_tipg:
                    bench_ogc(url, base, args.repeat, writes)
                else:
                    with tipg_server(url) as tipg:
                        bench_ogc(url, base, args.repeat, writes, tipg)
    writes.close()
    say(f"done in {time.perf_counter() - t0:.0f} s ({writes.done:,} live writes)")


if __name__ == "__main__":
    main()
