"""A smoke run of every benchmark at tiny size: a benchmark that no longer runs fails the suite, not `make bench`.

Each module runs as `make bench` runs it (`python -m bench.<name>`, its own served app and scratch database),
on a few thousand demo complaints and a few requests. Only that it runs to the end and prints its figures is
checked here; the figures themselves mean nothing at this size.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url

from aduan.schema import drop_database
from tests.pgkit import temporary_cluster

ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "bench.intake": ["--complaints", "3000", "--requests", "8", "--concurrency", "2", "--import-rows", "2000"],
    "bench.nearby": ["--complaints", "3000", "--requests", "5"],
    "bench.layers": ["--complaints", "3000", "--repeat", "1", "--no-tipg"],
    "bench.cluster": ["--complaints", "3000", "--submissions", "8", "--clients", "2", "--readers", "1"],
}


@pytest.fixture(scope="module")
def bench_url(database_url: str):
    """A scratch benchmark database beside the test database, seeded by the first benchmark, dropped after."""
    url = make_url(database_url)
    scratch = url.set(database=f"{url.database}_benchsmoke").render_as_string(hide_password=False)
    yield scratch
    drop_database(scratch)
    for left in ("import", "import_before"):  # bench.intake's own, should a run stop before dropping them
        drop_database(make_url(scratch).set(database=f"{url.database}_benchsmoke_{left}")
                      .render_as_string(hide_password=False))


def _run(module: str, url: str) -> subprocess.CompletedProcess:
    env = os.environ | {"BENCH_DATABASE_URL": url, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", module, *SMALL[module]], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("module", list(SMALL))
def test_benchmark_runs_at_tiny_size(module, bench_url):
    """The benchmark runs to the end and prints medians and same-run ratios. The cluster benchmark makes a
    replica of the whole server its database is on, so it gets a server of its own: not a copy of the shared
    test server and whatever benchmark databases a developer keeps there."""
    if module == "bench.cluster":
        with temporary_cluster() as server:
            proc = _run(module, server.url("peta_aduan_benchsmoke"))
    else:
        proc = _run(module, bench_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"p50 +[\d.]+ (ms|s)", proc.stdout), proc.stdout
    assert re.search(r"[\d.]+×", proc.stdout), proc.stdout
    if module == "bench.cluster":  # the run with a streaming replica happened, and the replica served the map
        scans = re.search(r"complaint-table scans: replica / primary +(\d+) / \d+ +\(map-points reads (\d+)\)",
                          proc.stdout)
        assert scans and int(scans[1]) >= int(scans[2]) >= 1, proc.stdout


def test_make_bench_runs_every_module():
    """`python -m bench` (make bench) runs exactly the modules smoke-tested here."""
    from bench.__main__ import MODULES

    assert sorted(MODULES) == sorted(SMALL)
