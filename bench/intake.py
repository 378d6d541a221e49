"""Intake benchmarks (issue 3).

(a) Submissions over HTTP against the served app with about 1M complaints in the database — p50/p95 latency and
    throughput — beside the bare routing query (`peta_route()`) on the same points, measured in the same run.
(b) `import-complaints` of a 1M-row CSV — rows/s — beside a plain COPY of the same file into an unindexed table,
    and beside the rows the import wrote (complaints and history) COPYed into the city as it was before the
    import, the fastest way (new months filled, indexed after, attached, counted): the floor any import of
    those rows into this schema stands on.

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

from aduan import partitions
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

def _dump_months(eng) -> tuple[dict[str, str], list[tuple[int, dict[str, list[bytes]]]]]:
    """The rows the import wrote, month by month: each parent's stored columns, and each month's complaints and
    history as binary COPY data (months without complaints left out)."""
    with eng.connect() as c:
        keys = partitions.month_keys(c)
    raw = eng.raw_connection()
    try:
        with raw.cursor() as cur:
            cols = {t: ", ".join(r[0] for r in cur.execute(_STORED_COLUMNS, {"t": t})) for t in partitions.PARENTS}
            months = []
            for month in keys:
                span = {"lo": month * partitions.ID_MONTH, "hi": partitions.month_after(month) * partitions.ID_MONTH}
                data = {}
                for table, key in (("complaint", "id"), ("complaint_event", "complaint_id")):  # fixed names
                    with cur.copy(f"COPY (SELECT {cols[table]} FROM {table} WHERE {key} >= %(lo)s "
                                  f"AND {key} < %(hi)s) TO STDOUT (FORMAT binary)", span) as out:
                        data[table] = [bytes(b) for b in out]
                    if table == "complaint" and not cur.rowcount:
                        break
                else:
                    months.append((month, data))
        return cols, months
    finally:
        raw.close()


def _load_finished_rows(cols: dict[str, str], months: list[tuple[int, dict[str, list[bytes]]]],
                        before_url: str) -> tuple[float, int]:
    """The reference for the import: the rows it wrote (complaints and their history), COPYed from memory into
    the city as it was before the import, the way the import writes them once they are routed and the fastest
    way PostgreSQL offers: a month that has partitions through its parent (indexes, keys and count trigger as for
    any write), a new month into tables of its own, indexed after, attached and counted (`aduan.partitions`),
    all in one transaction. Nothing is read from a file, checked, routed or computed: the floor under any import
    of these rows into this schema. Seconds from the first COPY to the commit, and rows."""
    before = make_engine(before_url)
    try:
        with before.connect() as conn:
            t = time.perf_counter()
            with conn.begin():
                have = set(partitions.month_keys(conn))
                new = {m for m, _ in months if m not in have and partitions.detached_month(conn, m)}
                rows = 0
                with conn.connection.driver_connection.cursor() as cur:
                    for month, data in months:
                        for table in partitions.PARENTS:
                            into = partitions.partition_name(table, month) if month in new else table
                            with cur.copy(f"COPY {into} ({cols[table]}) FROM STDIN (FORMAT binary)") as copy:
                                for chunk in data[table]:
                                    copy.write(chunk)
                            rows += cur.rowcount
                say(f"  reference: {rows:,} rows copied into {len(months)} months ({len(new)} new), indexing …")
                for month in sorted(new):
                    partitions.index_month(conn, month)
                for month in sorted(new):
                    partitions.attach_month(conn, month)
            return time.perf_counter() - t, rows
    finally:
        before.dispose()


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
    name = make_url(scratch).database
    before = create_database(make_url(scratch).set(database=f"{name}_before").render_as_string(hide_password=False),
                             replace=True, template=name)
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
        raw.execute("DROP TABLE copy_baseline")  # its vacuum would run beside the import
        raw.commit()
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
        written = _dump_months(eng)
        eng.dispose()
    # gigabytes nothing reads again (and a replica's base backup would copy); dropped before the reference is
    # timed, since autovacuum's pass over the import's new rows (~20 s of a core for 1M) would run beside it
    drop_database(scratch)
    say("reference: the finished rows loaded into the city as it was before, the fastest way …")
    ref_s, ref_rows = _load_finished_rows(*written, before)
    drop_database(before)
    print("(b) import of a history file")
    print(f"  {'flask import-complaints (check+route+insert)':<44} {loaded / import_s:9.0f} rows/s "
          f"({loaded:,} rows in {import_s:.1f} s, peak memory {peak_kb / 1024:,.0f} MB)")
    print(f"  {'baseline: plain COPY of the same CSV':<44} {n / copy_s:9.0f} rows/s ({copy_s:.1f} s)")
    ratio("COPY speed / import speed", n / copy_s, loaded / import_s)
    print(f"  {'reference: the finished rows, loaded':<44} {loaded / ref_s:9.0f} complaints/s ({ref_s:.1f} s for "
          f"{ref_rows:,} rows: complaints and history COPYed into new months, indexed after, attached, counted)")
    ratio("import time / that load's time", import_s, ref_s)


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
