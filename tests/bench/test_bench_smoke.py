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
    drop_database(make_url(scratch).set(database=f"{url.database}_benchsmoke_import")
                  .render_as_string(hide_password=False))


@pytest.mark.parametrize("module", list(SMALL))
def test_benchmark_runs_at_tiny_size(module, bench_url):
    """The benchmark runs to the end and prints medians and same-run ratios."""
    env = os.environ | {"BENCH_DATABASE_URL": bench_url, "DATABASE_URL": bench_url}
    proc = subprocess.run([sys.executable, "-m", module, *SMALL[module]], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"p50 +[\d.]+ (ms|s)", proc.stdout), proc.stdout
    assert re.search(r"[\d.]+×", proc.stdout), proc.stdout
    if module == "bench.cluster":  # the run with a streaming replica happened, and the replica took reads
        served = re.search(r"transactions served: replica / primary +(\d+) / (\d+)", proc.stdout)
        assert served and int(served[1]) > 0, proc.stdout


def test_make_bench_runs_every_module():
    """`python -m bench` (make bench) runs exactly the modules smoke-tested here."""
    from bench.__main__ import MODULES

    assert sorted(MODULES) == sorted(SMALL)
