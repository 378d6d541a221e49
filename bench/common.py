"""Shared benchmark plumbing: a scratch database with N demo complaints, a served app, timing helpers.

Benchmarks print medians (and p95) beside a baseline measured in the same run, never pass/fail. The scratch
database (`<DATABASE_URL's database>_bench`, or BENCH_DATABASE_URL) is kept between runs so the expensive seeding
happens once; pass --reseed to rebuild it.
"""
from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from aduan.db import make_engine
from aduan.schema import create_database
from aduan.settings import Settings, normalise_db_url

ROOT = Path(__file__).resolve().parents[1]
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]


def say(msg: str) -> None:
    """Progress on stderr, results on stdout."""
    print(msg, file=sys.stderr, flush=True)


def bench_database_url() -> str:
    """The scratch benchmark database, created if missing."""
    url = os.environ.get("BENCH_DATABASE_URL")
    base = make_url(Settings().database_url)
    target = make_url(normalise_db_url(url)) if url else base.set(database=f"{base.database}_bench")
    return create_database(target.render_as_string(hide_password=False))


def flask_cli(url: str, *args: str) -> None:
    """Run a `flask --app app` command against the benchmark database, streaming its progress."""
    subprocess.run([*FLASK, *args], check=True, env=os.environ | {"DATABASE_URL": url}, cwd=ROOT)


def ensure_complaints(url: str, n: int, reseed: bool = False) -> int:
    """Migrate and seed the demo city with about n complaints (once); return the complaint count."""
    flask_cli(url, "db", "upgrade")
    eng = make_engine(url)
    with eng.connect() as c:
        have = c.execute(text("SELECT count(*) FROM complaint")).scalar() if not reseed else 0
    if reseed or have < n * 0.9:
        with eng.begin() as c:
            c.execute(text("TRUNCATE complaint, complaint_event, attachment, reporter, boundary_generation, "
                           "service_area, category, skpd RESTART IDENTITY CASCADE"))
        say(f"seeding the demo city with {n:,} complaints (once; kept for later runs) …")
        flask_cli(url, "seed-demo", "--complaints", str(n))
        say("clustering the complaints by cell, the night job the README names after a large import …")
        flask_cli(url, "cluster-complaints")
        with eng.connect() as c:
            have = c.execute(text("SELECT count(*) FROM complaint")).scalar()
    with eng.connect() as c:
        c.execute(text("ANALYZE"))
    eng.dispose()
    return have


def sample_percent(conn, wanted: int) -> float:
    """A TABLESAMPLE BERNOULLI percentage that yields about 10 × `wanted` complaints (at least 0.5 %), whatever the
    table's size. Rows, not pages (SYSTEM): once the table is stored in cell order a page sample is a few cells of
    the city. Ten, not three: REPEATABLE draws the same row positions in every monthly partition, so a small
    table's sample comes in lumps (at 3,000 complaints three times the wanted rows came back as none)."""
    total = conn.execute(text("SELECT greatest(count(*), 1) FROM complaint")).scalar()
    return min(100.0, max(0.5, 1000.0 * wanted / total))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_app(url: str, workers: int = 2) -> Iterator[str]:
    """The app under gunicorn on a free localhost port; stopped afterwards. Every request comes from one address,
    so the submission flood limit (meant for the internet) is off for the benchmark's own instance; its access
    log is dropped (the results are on stdout)."""
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--log-level", "warning", "--access-logfile", os.devnull,
                             "app:create_app()"],
                            env=os.environ | {"DATABASE_URL": url, "SECRET_KEY": "bench", "PETA_SUBMIT_LIMIT": "0"},
                            cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base
    finally:
        stop(proc)


def wait_healthy(base: str, timeout: float = 30) -> None:
    """Until the app at `base` answers /healthz with 200 (or RuntimeError after `timeout` seconds)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not become healthy")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it has not gone after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> list[float]:
    """Wall-clock seconds of each call (`before`, untimed, runs ahead of each: live writes)."""
    out = []
    for _ in range(repeat):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(name: str, seconds: list[float], unit: str = "ms") -> dict:
    """Median and p95 of a sample, printed in one aligned line."""
    scale = 1000 if unit == "ms" else 1
    ordered = sorted(seconds)
    p50 = statistics.median(ordered) * scale
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * scale
    print(f"  {name:<44} p50 {p50:9.2f} {unit}   p95 {p95:9.2f} {unit}   (n={len(seconds)})", flush=True)
    return {"p50": p50, "p95": p95}


def ratio(name: str, value: float, baseline: float) -> None:
    print(f"  {name:<44} {value / baseline:9.2f}×", flush=True)


class LiveWrites:
    """A city at work: before each timed request, one new complaint through the intake and one status change,
    each committed, so no cache keyed on the city's data can answer (issue 13's live-write mode)."""

    def __init__(self, url: str, seed: int = 13) -> None:
        from sqlalchemy.orm import sessionmaker

        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine)
        self.settings = Settings(database_url=url)
        self.rng = random.Random(seed)
        with self.engine.connect() as c:
            self.places = c.execute(text(
                "SELECT ST_X(c.geom), ST_Y(c.geom), cat.code FROM complaint c TABLESAMPLE BERNOULLI (:pct) "
                "REPEATABLE (:seed) JOIN category cat ON cat.id = c.category_id LIMIT 500"),
                {"pct": sample_percent(c, 500), "seed": seed}).all()
        self.done = 0

    def __call__(self) -> None:
        self.write()

    def write(self, box: tuple[float, float, float, float] | None = None) -> None:
        """One new complaint and one status change; with `box` (west, south, east, north, inside the city) both
        there: a tile's worst case, its own cells changed before every request."""
        from aduan.intake import Submission, submit

        lon, lat, category = self.rng.choice(self.places)
        if box is not None:
            lon, lat = self.rng.uniform(box[0], box[2]), self.rng.uniform(box[1], box[3])
        with self.sessions() as session:
            submit(session, Submission(category=category, description=f"bench live write {self.done}",
                                       lon=float(lon) + 1e-5, lat=float(lat) + 1e-5), self.settings)
        where = "TRUE" if box is None else "geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
        with self.engine.begin() as c:  # a ticket of the last months moves on: the current layers change
            c.execute(text(
                "UPDATE complaint SET status = CASE status WHEN 'closed' THEN 'resolved' ELSE 'closed' END, "
                "updated_at = now() WHERE id = (SELECT id FROM (SELECT id FROM complaint WHERE status IN "
                f"('closed', 'resolved') AND public AND {where} ORDER BY id DESC LIMIT 5000) recent "  # fixed SQL
                "ORDER BY id DESC OFFSET :o LIMIT 1)"),
                {"o": self.rng.randrange(50 if box else 5000), **dict(zip("wsen", box or (0, 0, 0, 0), strict=True))})
        self.done += 1

    def close(self) -> None:
        self.engine.dispose()
