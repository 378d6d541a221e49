"""TiPg as a reference OGC API – Features server for the layer benchmark (issue 5).

TiPg (FastAPI + asyncpg) runs from its own virtualenv, var/bench-tipg-venv, made on first use with pinned
versions so it never touches the app's dependencies. It serves only the raw table public.complaint (every
column, every row, ordered by id), with no function collections and no periodic catalog refresh. Without network
(or if the install or the start fails) it is skipped with one line saying why, and the benchmark goes on.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url

from bench.common import ROOT, free_port, say, stop

TIPG_VERSION = "1.6.1"
UVICORN_VERSION = "0.54.0"
PINS = (f"tipg=={TIPG_VERSION}", f"uvicorn=={UVICORN_VERSION}")
VENV = ROOT / "var" / "bench-tipg-venv"
COLLECTION = "public.complaint"
_MARKER = VENV / "bench-pins.txt"  # written once the pinned install succeeded
_SHOWN = ("Collecting", "Installing", "Successfully", "ERROR")
_EXCEPTION = re.compile(r"^[\w.]+(Error|Exception): ")


def ensure_tipg() -> Path | None:
    """The virtualenv's python with TiPg and uvicorn installed (once); None, with a line saying why, if not."""
    python = VENV / "bin" / "python"
    wanted = " ".join(PINS)
    if python.exists() and _MARKER.exists() and _MARKER.read_text().strip() == wanted:
        return python
    say(f"TiPg reference: installing {wanted} into {VENV.relative_to(ROOT)} (once) …")
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, text=True)
        proc = subprocess.Popen([str(python), "-m", "pip", "install", "--progress-bar", "off", "--retries", "1",
                                 "--timeout", "30", *PINS], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=VENV)
    except (OSError, subprocess.CalledProcessError) as e:
        reason = (getattr(e, "stderr", "") or str(e)).strip().splitlines()
        say(f"TiPg reference skipped: could not create the virtualenv ({reason[-1] if reason else e})")
        return None
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line.startswith(_SHOWN):
            say("  " + line)
        if line.strip():
            last = line.strip()
    if proc.wait() != 0:
        say(f"TiPg reference skipped: pip install {wanted} failed (no network or no matching wheel?): {last}")
        return None
    _MARKER.write_text(wanted + "\n")
    return python


def _plain_url(url: str) -> str:
    """libpq form for asyncpg: postgresql://, without SQLAlchemy's +psycopg driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def tipg_server(url: str, timeout: float = 120) -> Iterator[str | None]:
    """TiPg under uvicorn on a free localhost port, serving public.complaint of `url`; yields its base URL,
    or None when it could not be installed or started. Stopped afterwards."""
    python = ensure_tipg()
    if python is None:
        yield None
        return
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIPG_", "POSTGRES_"))} | {
        "DATABASE_URL": _plain_url(url),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": f'["{COLLECTION}"]',
        "TIPG_DB_FUNCTIONS": "[]",  # no function collections
        "TIPG_CATALOG_TTL": "0",  # no catalog refresh in the middle of a measurement
    }
    log = tempfile.TemporaryFile(mode="w+")
    # cwd: the venv, so that no stray .env of the project is read as TiPg settings
    proc = subprocess.Popen([str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", "1", "--log-level", "warning"],
                            env=env, cwd=VENV, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        say(f"TiPg {TIPG_VERSION} starting on {base} …")
        problem = _wait_for(base + f"/collections/{COLLECTION}", proc, timeout)
        if problem:
            log.seek(0)
            lines = [line.strip() for line in log.read().splitlines() if line.strip()]
            cause = [line for line in lines if _EXCEPTION.match(line)] or lines  # the exception, else the last line
            say(f"TiPg reference skipped: {problem}{': ' + cause[-1] if cause else ''}")
            yield None
        else:
            yield base
    finally:
        stop(proc)
        log.close()


def _wait_for(url: str, proc: subprocess.Popen, timeout: float) -> str | None:
    """None once `url` answers 200; else what went wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"uvicorn exited with code {proc.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return None
        except OSError:
            time.sleep(0.3)
    return f"no answer from {url} within {timeout:.0f} s"
