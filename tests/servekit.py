"""The app under gunicorn (with gunicorn.conf.py, as make run serves it) on a free loopback port."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.mailkit import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def gunicorn(database_url: str, workers: int = 2, log: Path | None = None, **env: str) -> Iterator[str]:
    """Yields the base URL once /healthz answers; stops the server afterwards."""
    port = free_port()
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "app:create_app()"], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT,
                            env=os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "served"} | env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        if log:
            out.close()
