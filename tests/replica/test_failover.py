"""Servers stopped under gunicorn (as `make run` serves): the replica stopped mid-load costs no reader an error;
the primary stopped leaves the public map, tiles and OGC serving from the replica while submissions answer a
bilingual 503; a layer the replica computes then is served without being cached. Each test starts what it
stopped again (replicakit.Pair.stopped)."""
from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text

from aduan.db import HEALTH_TTL_S
from aduan.settings import Settings
from layers import cache
from tests import fieldkit
from tests.replica.replicakit import DATABASE
from tests.replica.test_read_routing import _shows, _tile_url, tile_entries
from tests.servekit import gunicorn

READS = ["/api/v1/map-points", "/api/v1/kelurahan.geojson", "/api/v1/categories", "/ogc/collections",
         "/ogc/collections/complaints/items", "/tiles/complaints.json", _tile_url(), _tile_url(12),
         "/tiles/hexbins/" + _tile_url(13).split("/", 3)[3], "/transparansi", "/"]
GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang saat server dihentikan", "lon": 114.51,
        "lat": -3.39}


@pytest.fixture(scope="module")
def served(pair):
    """gunicorn reading public data from the replica; one ticket on both servers."""
    fieldkit.make_ticket(pair.engine, Settings(database_url=pair.url))
    pair.wait_replayed()
    with gunicorn(pair.url, workers=2, DATABASE_REPLICA_URL=pair.replica_url, PETA_SUBMIT_LIMIT="0") as base:
        yield base
    with pair.engine.begin() as conn:
        conn.execute(text("TRUNCATE complaint, complaint_event, reporter RESTART IDENTITY CASCADE"))


def _get(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def _post(base: str, path: str, body: bytes, content_type: str) -> tuple[int, str, str | None]:
    req = urllib.request.Request(base + path, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode(), None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers.get("Retry-After")


def _replica_backends(pair) -> int:
    return pair.replica_sql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}' "
                            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")


def test_the_replica_stopped_mid_load_costs_no_reader_an_error(pair, served):
    """Eight readers loop over the public reads; the replica is stopped under them and started again: every
    answer is a 200, and the replica did serve before it stopped."""
    statuses: list[int] = []
    stop = threading.Event()

    def reader(n: int) -> None:
        i = n
        while not stop.is_set():
            statuses.append(_get(served, READS[i % len(READS)]))
            i += 1

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    assert _replica_backends(pair) > 0  # the app's pools are reading from it
    before = len(statuses)
    with pair.stopped(pair.replica):
        time.sleep(2.0)
        during = len(statuses) - before
    stop.set()
    for t in threads:
        t.join()
    assert during > 10 and set(statuses) == {200}, sorted(set(statuses))
    print(f"replica stopped mid-load: {len(statuses)} reads, {during} while it was down, all 200")


def test_the_primary_stopped_leaves_public_reads_serving_and_submissions_answer_503(pair, served):
    """With the primary down the map, tiles, OGC and the form page come from the replica; the JSON API and the
    web form answer 503 with Retry-After and the Indonesian message; with the primary back, submissions work."""
    time.sleep(HEALTH_TTL_S)  # the workers' checks from while the previous test had the replica stopped expire
    assert {_get(served, path) for path in READS * 2} == {200}  # and each worker checks it again
    with pair.stopped(pair.primary):
        assert {path: _get(served, path) for path in READS} == {path: 200 for path in READS}
        time.sleep(HEALTH_TTL_S + 0.5)  # the replica is checked again, now with no primary to compare with
        assert {path: _get(served, path) for path in READS * 2} == {path: 200 for path in READS}
        status, body, retry = _post(served, "/api/v1/complaints", json.dumps(GOOD).encode(), "application/json")
        assert (status, bool(retry)) == (503, True) and "tidak tersedia" in json.loads(body)["detail"]
        form = "&".join(f"{k}={v}" for k, v in GOOD.items()).replace(" ", "+").encode()
        status, body, retry = _post(served, "/lapor", form, "application/x-www-form-urlencoded")
        assert (status, bool(retry)) == (503, True) and "tidak tersedia" in body
    deadline = time.monotonic() + 30
    while (status := _post(served, "/api/v1/complaints", json.dumps(GOOD).encode(), "application/json")[0]) == 503:
        assert time.monotonic() < deadline, "the service did not recover"
        time.sleep(0.2)
    assert status == 201


def test_with_the_primary_down_a_layer_is_computed_on_the_replica_and_not_cached(pair, make_app, replica_settings,
                                                                                  caplog, monkeypatch):
    """The layer cache is on the primary: with it stopped the tile is computed from the replica and served (the
    cache skipped, said at info); with it back, the same tile is stored there."""
    code = fieldkit.make_ticket(pair.engine, replica_settings())
    with pair.engine.begin() as conn:
        conn.execute(text("TRUNCATE layer_cache"))  # the tiles the tests above had cached
    pair.wait_replayed()
    monkeypatch.setattr(cache, "AWAY_S", 0.0)  # try the primary's cache on every lookup
    client = make_app().test_client()
    with pair.stopped(pair.primary), caplog.at_level(logging.INFO, logger=cache.__name__):
        assert _shows(client, _tile_url(), code)
        assert any("not reached" in r.getMessage() for r in caplog.records if r.name == cache.__name__)
    assert tile_entries(pair) == []
    assert _shows(client, _tile_url(), code)
    assert len(tile_entries(pair)) == 1
