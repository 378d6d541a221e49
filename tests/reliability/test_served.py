"""The app as gunicorn serves it (gunicorn.conf.py, as make run and systemd use it): long Open311 URLs pass, absurd
ones get a bilingual 414, and the access log never holds an API key."""
from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from tests.servekit import gunicorn


@pytest.fixture
def served(database_url, engine, tmp_path):
    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url, workers=1, log=log) as base:
        yield base, log


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
