"""Intake benchmarks (issue 3).

(a) Submissions over HTTP against the served app with about 1M complaints in the database — p50/p95 latency and
    throughput — beside the bare routing query (`peta_route()`) on the same points, measured in the same run.
(b) `import-complaints` of a 1M-row CSV — rows/s — beside a plain COPY of the same file into an unindexed table,
    and beside a COPY of the rows the import wrote (complaints and history) into copies of the same tables with
    their indexes, foreign keys and count trigger: the floor any load into this schema stands on.

    python -m bench.intake [--complaints 1000000] [--import-rows 1000000] [--requests 400] [--reseed]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from sqlalchemy import make_url, text

from aduan.db import make_engine
from aduan.schema import create_database, drop_database
from aduan.settings import Settings
from bench.common import (
    ROOT,
    bench_database_url,
    ensure_complaints,
    flask_cli,
    ratio,
    sample_percent,
    say,
    served_app,
    summary,
)


def _points(url: str, n: int, seed: int = 7) -> list[tuple[float, float, str]]:
    """Random existing complaint locations and categories: realistic places people report from."""
    eng = make_engine(url)
    with eng.connect() as c:
        rows = c.execute(text("SELECT ST_X(c.geom), ST_Y(c.geom), cat.code FROM complaint c "
                              "TABLESAMPLE BERNOULLI (:pct) REPEATABLE (:seed) "
                              "JOIN category cat ON cat.id = c.category_id LIMIT :n"),
                         {"n": n * 3, "pct": sample_percent(c, n), "seed": seed}).all()
    eng.dispose()
    random.Random(seed).shuffle(rows)
    return [(float(x) + 1e-5, float(y) + 1e-5, code) for x, y, code in rows[:n]]


def _post(base: str, lon: float, lat: float, cat: str, i: int) -> float:
    body = json.dumps({"category": cat, "description": f"benchmark aduan {i}", "lon": lon, "lat": lat}).encode()
    req = urllib.request.Request(base + "/api/v1/complaints", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        assert r.status == 201
    return time.perf_counter() - t


def bench_http(url: str, n_requests: int, concurrency: int) -> None:
    points = _points(url, n_requests)
    eng = make_engine(url)  # same connection settings as the app (jit off)
    with eng.connect() as c:
        cat_ids = dict(c.execute(text("SELECT code, id FROM category")).all())
        stmt = text("SELECT * FROM peta_route(ST_SetSRID(ST_MakePoint(:x, :y), 4326), :c, 250, 10)")
        bare = []
        for x, y, code in points:
            t = time.perf_counter()
            c.execute(stmt, {"x": x, "y": y, "c": cat_ids[code]}).all()
            bare.append(time.perf_counter() - t)
    eng.dispose()
    say(f"submitting {len(points)} complaints over HTTP ({concurrency} concurrent clients) …")
    with served_app(url, workers=2) as base:
        _post(base, *points[0], 0)  # warm up
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            lat = list(pool.map(lambda a: _post(base, *a[1], a[0]), enumerate(points)))
        wall = time.perf_counter() - t0
    print("(a) submissions over HTTP")
    http = summary("POST /api/v1/complaints (HTTP, end to end)", lat)
    route = summary("baseline: bare peta_route() query", bare)
    print(f"  {'throughput':<44} {len(lat) / wall:9.1f} submissions/s with {concurrency} clients")
    ratio("HTTP submission / bare routing (p50)", http["p50"], route["p50"])


def _scratch_import_db(url: str) -> str:
    """An empty demo city (reference data, no complaints) to import into."""
    base = make_url(url)
    out = create_database(base.set(database=f"{base.database}_import").render_as_string(hide_password=False),
                          replace=True)
    flask_cli(out, "db", "upgrade")
    flask_cli(out, "seed-demo", "--complaints", "0")
    return out


def _write_csv(n: int, path: Path) -> None:
    """A 1M-row history file exported from 'an earlier system': the demo generator, written as CSV."""
    from aduan.demo.reference import KELURAHAN_CSV, profiles
    from geo.synthetic import generate_city, generate_complaints, read_centres

    say(f"generating {n:,} rows of history …")
    city = generate_city(read_centres(KELURAHAN_CSV))
    frame = generate_complaints(city, profiles(), now=pd.Timestamp.now(tz=Settings().timezone), n=n, seed=11)
    frame.to_csv(path, index=False)
    say(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")


# psycopg's own placeholders: these run on the raw connection that also does the COPYs
_STORED_COLUMNS = ("SELECT column_name FROM information_schema.columns WHERE table_name = %(t)s "
                   "AND table_schema = 'public' AND is_generated = 'NEVER' ORDER BY ordinal_position")
_FOREIGN_KEYS = ("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %(t)s::regclass "
                 "AND contype = 'f' AND conparentid = 0")  # not PostgreSQL's copies, one per referenced month
_COUNT_TRIGGER = ("CREATE TRIGGER ref_count AFTER INSERT ON ref_complaint REFERENCING NEW TABLE AS new_rows "
                  "FOR EACH STATEMENT EXECUTE FUNCTION peta_count_complaints()")


def _copy_finished_rows(eng) -> tuple[float, int]:
    """The reference for the import: the rows it wrote (complaints and their history), COPYed from memory into
    copies of both tables with the same indexes, foreign keys and count trigger — what any load into this schema
    costs at least. Seconds of the two COPYs, and rows; in a transaction rolled back afterwards."""
    raw = eng.raw_connection()
    try:
        with raw.cursor() as cur:
            seconds, rows = 0.0, 0
            for table in ("complaint", "complaint_event"):
                ref = f"ref_{table}"  # fixed names: no value is formatted into SQL
                cols = ", ".join(r[0] for r in cur.execute(_STORED_COLUMNS, {"t": table}))
                cur.execute(f"CREATE TABLE {ref} (LIKE {table} INCLUDING ALL)")
                for (fk,) in cur.execute(_FOREIGN_KEYS, {"t": table}).fetchall():
                    cur.execute(f"ALTER TABLE {ref} ADD {fk}")
                if table == "complaint":
                    cur.execute(_COUNT_TRIGGER)
                with cur.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT (FORMAT binary)") as out:
                    chunks = [bytes(b) for b in out]
                t = time.perf_counter()
                with cur.copy(f"COPY {ref} ({cols}) FROM STDIN (FORMAT binary)") as into:
                    for chunk in chunks:
                        into.write(chunk)
                seconds += time.perf_counter() - t
                rows += cur.rowcount
                say(f"  reference COPY into {ref}: {cur.rowcount:,} rows")
        return seconds, rows
    finally:
        raw.rollback()
        raw.close()


def _peak_rss_kb(child: subprocess.Popen) -> int:
    """Wait for the child, reading its peak memory (VmHWM) twice a second: the rusage of a child counts the
    parent's memory at the fork (here the 1M-row frame the file was written from), not the command's own."""
    peak = 0
    while child.poll() is None:
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError, ValueError):  # gone between poll and read, or no /proc
            pass
        time.sleep(0.5)
    return peak


def bench_import(url: str, n: int) -> None:
    scratch = _scratch_import_db(url)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.csv"
        _write_csv(n, path)
        eng = make_engine(scratch)
        with eng.begin() as c:
            cols = pd.read_csv(path, nrows=1).columns
            c.execute(text("CREATE TABLE copy_baseline (" + ", ".join(f'"{col}" text' for col in cols) + ")"))
        raw = eng.raw_connection()
        t = time.perf_counter()
        with raw.cursor() as cur, open(path, "rb") as fh, cur.copy(
                "COPY copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
            while chunk := fh.read(1 << 20):
                cp.write(chunk)
        raw.commit()
        copy_s = time.perf_counter() - t
        raw.close()
        say("running flask import-complaints …")
        t = time.perf_counter()
        child = subprocess.Popen([str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "import-complaints",
                                  str(path)], env=os.environ | {"DATABASE_URL": scratch}, cwd=ROOT)
        peak_kb = _peak_rss_kb(child)
        import_s = time.perf_counter() - t
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, child.args)
        with eng.connect() as c:
            loaded = c.execute(text("SELECT count(*) FROM complaint")).scalar()
        say("reference: COPY of the finished rows into the same indexed tables …")
        ref_s, ref_rows = _copy_finished_rows(eng)
        eng.dispose()
    drop_database(scratch)  # gigabytes nothing reads again (and a replica's base backup would copy)
    print("(b) import of a history file")
    print(f"  {'flask import-complaints (check+route+insert)':<44} {loaded / import_s:9.0f} rows/s "
          f"({loaded:,} rows in {import_s:.1f} s, peak memory {peak_kb / 1024:,.0f} MB)")
    print(f"  {'baseline: plain COPY of the same CSV':<44} {n / copy_s:9.0f} rows/s ({copy_s:.1f} s)")
    ratio("COPY speed / import speed", n / copy_s, loaded / import_s)
    print(f"  {'reference: COPY of the finished rows':<44} {loaded / ref_s:9.0f} complaints/s ({ref_s:.1f} s for "
          f"{ref_rows:,} rows: complaints and history, same indexes, keys and count trigger)")
    ratio("import time / that COPY's time", import_s, ref_s)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--complaints", type=int, default=1_000_000)
    p.add_argument("--import-rows", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--skip-import", action="store_true")
    p.add_argument("--skip-http", action="store_true")
    args, _ = p.parse_known_args(argv)
    url = bench_database_url()
    have = ensure_complaints(url, args.complaints, args.reseed)
    print(f"database: {have:,} complaints")
    if not args.skip_http:
        bench_http(url, args.requests, args.concurrency)
    if not args.skip_import:
        bench_import(url, args.import_rows)


if __name__ == "__main__":
    main()
