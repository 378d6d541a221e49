"""The app as gunicorn serves it (gunicorn.conf.py, as make run and systemd use it): long Open311 URLs pass, absurd
ones get a bilingual 414, and the access log never holds an API key."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.mailkit import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(database_url, engine, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                                 "--workers", "1", "app:create_app()"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env=os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "served"})
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base, log
        proc.terminate()
        proc.wait(10)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_thousand_ids_pass_and_an_absurd_url_is_a_bilingual_414(served):
    base, _ = served
    ids = ",".join(f"BJM-2612-{i:06d}" for i in range(1000))
    assert _get(f"{base}/open311/v2/requests.json?service_request_id={ids}") == (200, b"[]")
    status, body = _get(f"{base}/api/v1/categories?x={'a' * 70_000}")
    assert status == 414 and b"terlalu panjang" in body and b"too long" in body


def test_the_access_log_never_holds_an_api_key(served):
    base, log = served
    _get(f"{base}/open311/v2/services.json?api_key=pa_abcd1234_very-secret-key&jurisdiction_id=bjm")
    time.sleep(0.3)
    text = log.read_text()
    assert "services.json?api_key=[redacted]&jurisdiction_id=bjm" in text and "very-secret-key" not in text
