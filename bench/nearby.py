"""Nearby-tickets benchmark (issue 4).

`GET /api/v1/nearby` over HTTP (served by gunicorn, a logged-in officer, gzip accepted) with about 1M complaints,
p50/p95, beside — measured in the same run on the same points —
  * the bare KNN query: `ST_DWithin(geom_m, p, r) ORDER BY geom_m <-> p LIMIT n` on the metric GiST column;
  * the endpoint's own queries (city check, filtered KNN on the open-tickets index) run directly, to show what
    HTTP, the session and JSON cost;
  * the same search sorted by ST_Distance instead of `<->` (reads every ticket in the radius), fewer repeats.

    python -m bench.nearby [--complaints 1000000] [--requests 300] [--radius 1000] [--limit 50] [--reseed]
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import random
import re
import time
import urllib.parse
import urllib.request

from sqlalchemy import Connection, create_engine, text

from aduan.accounts import create_user, load_account
from aduan.permissions import StaffUser
from aduan.queries.nearby import NearbyQuery, find_nearby
from aduan.settings import Settings
from bench.common import bench_database_url, ensure_complaints, ratio, sample_percent, say, served_app, summary

EMAIL, PASSWORD = "bench-officer@peta.test", "bench-password-123"
KNN = text("SELECT id FROM complaint WHERE ST_DWithin(geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
           "CAST(:srid AS integer)), :r) ORDER BY geom_m <-> ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
           "CAST(:srid AS integer)) LIMIT :n")
SORTED = text("SELECT id FROM complaint WHERE ST_DWithin(geom_m, ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
              "CAST(:srid AS integer)), :r) ORDER BY ST_Distance(geom_m, ST_Transform(ST_SetSRID("
              "ST_MakePoint(:x, :y), 4326), CAST(:srid AS integer))) LIMIT :n")


def _officer(conn: Connection) -> StaffUser:
    """An officer of the SKPD with the most tickets (created once, kept for later runs)."""
    skpd = conn.execute(text("SELECT s.code FROM complaint c JOIN skpd s ON s.id = c.skpd_id "
                             "GROUP BY s.code ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    uid = conn.execute(text("SELECT id FROM app_user WHERE email = :e"), {"e": EMAIL}).scalar()
    if uid is None:
        uid = create_user(conn, EMAIL, PASSWORD, "officer", skpd, "Bench Officer")
    conn.execute(text("UPDATE app_user SET skpd_id = (SELECT id FROM skpd WHERE code = :s) WHERE id = :u"),
                 {"s": skpd, "u": uid})
    return load_account(conn, uid).user


def _points(conn: Connection, n: int, seed: int = 11) -> list[tuple[float, float]]:
    """Positions where complaints are (a field officer stands where the problems are), jittered ~10 m."""
    rows = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM complaint TABLESAMPLE BERNOULLI (:pct) "
                             "REPEATABLE (:seed) LIMIT :n"), {"n": n * 3, "seed": seed,
                                                             "pct": sample_percent(conn, n)}).all()
    rnd = random.Random(seed)
    rnd.shuffle(rows)
    return [(float(x) + rnd.uniform(-1e-4, 1e-4), float(y) + rnd.uniform(-1e-4, 1e-4)) for x, y in rows[:n]]


def _sql_timings(conn: Connection, stmt, points, params: dict) -> list[float]:
    out = []
    for x, y in points:
        t = time.perf_counter()
        conn.execute(stmt, {"x": x, "y": y, **params}).all()
        out.append(time.perf_counter() - t)
    return out


def _endpoint_sql_timings(conn: Connection, user: StaffUser, settings: Settings, points, radius, limit) -> list[float]:
    """What the endpoint runs in the database (city check, planner setting, KNN query), without HTTP."""
    out = []
    for x, y in points:
        query = NearbyQuery(x, y, radius, limit, skpd=user.skpd_code)
        t = time.perf_counter()
        find_nearby(conn, settings, user, query, dt.datetime.now(dt.UTC))
        out.append(time.perf_counter() - t)
    conn.rollback()
    return out


def _login(base: str) -> urllib.request.OpenerDirector:
    """A cookie-keeping client logged in through the real form (with its CSRF token)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(base + "/login", data=body).read()
    return opener


def _http_timings(base: str, points, radius: int, limit: int) -> tuple[list[float], list[int]]:
    opener = _login(base)
    opener.addheaders = [("Accept-Encoding", "gzip")]
    times, sizes = [], []
    for i, (x, y) in enumerate(points):
        url = f"{base}/api/v1/nearby?lon={x:.6f}&lat={y:.6f}&radius_m={radius}&limit={limit}"
        t = time.perf_counter()
        with opener.open(url, timeout=30) as r:
            body = r.read()
            assert r.status == 200
        times.append(time.perf_counter() - t)
        sizes.append(len(body))
        if (i + 1) % 100 == 0:
            say(f"  … {i + 1}/{len(points)} requests")
    return times, sizes


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.nearby")
    ap.add_argument("--complaints", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--radius", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--reseed", action="store_true")
    args = ap.parse_args(argv)
    url = bench_database_url()
    have = ensure_complaints(url, args.complaints, args.reseed)
    settings = Settings(database_url=url)
    eng = create_engine(url)
    with eng.begin() as c:
        officer = _officer(c)
        points = _points(c, args.requests)
    say(f"{have:,} complaints; officer of {officer.skpd_code}; {len(points)} points; "
        f"radius {args.radius} m, limit {args.limit}")
    params = {"srid": settings.metric_srid, "r": args.radius, "n": args.limit}
    with eng.connect() as c:
        say("warming the cache: one untimed pass of the endpoint's SQL over every point …")
        _endpoint_sql_timings(c, officer, settings, points, args.radius, args.limit)
        say("bare KNN SQL …")
        knn = _sql_timings(c, KNN, points, params)
        say("the endpoint's SQL, direct …")
        endpoint_sql = _endpoint_sql_timings(c, officer, settings, points, args.radius, args.limit)
        say("ST_Distance-sorted variant (first 40 points) …")
        slow = _sql_timings(c, SORTED, points[:40], params)
    eng.dispose()
    say(f"GET /api/v1/nearby over HTTP, {len(points)} requests, one client …")
    with served_app(url, workers=1) as base:
        _http_timings(base, points[:20], args.radius, args.limit)  # warm up the worker
        http_t, sizes = _http_timings(base, points, args.radius, args.limit)
    print(f"nearby: {have:,} complaints, radius {args.radius} m, limit {args.limit}, officer's own SKPD, open")
    api = summary("GET /api/v1/nearby (HTTP, gzip, end to end)", http_t)
    direct = summary("the endpoint's queries alone (no HTTP)", endpoint_sql)
    bare = summary("baseline: bare KNN SQL (DWithin + <->)", knn)
    sorted_ = summary("contrast: DWithin + ORDER BY ST_Distance", slow)
    print(f"  {'response size (gzip), median':<44} {sorted(sizes)[len(sizes) // 2]:9d} bytes")
    ratio("HTTP endpoint / bare KNN (p50)", api["p50"], bare["p50"])
    ratio("endpoint queries / bare KNN (p50)", direct["p50"], bare["p50"])
    ratio("ST_Distance sort / bare KNN (p50)", sorted_["p50"], bare["p50"])


if __name__ == "__main__":
    main()
