"""PostgreSQL restarted under load, on a cluster of the test's own: every answer is a 201 or a bilingual 503 with
Retry-After (never a 500), the service recovers by itself, and nothing is lost or half-written — a retry with
the same key gets the ticket whether or not the first attempt got through."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from aduan.schema import alembic_config, create_database
from tests import citykit
from tests.pgkit import temporary_cluster
from tests.servekit import gunicorn

GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang saat server basis data dimulai ulang",
        "lon": 114.51, "lat": -3.39}


@pytest.fixture(scope="module")
def served_on_own_cluster():
    with temporary_cluster() as cluster:
        url = create_database(cluster.url("peta"))
        command.upgrade(alembic_config(url), "head")
        eng = create_engine(url)
        with eng.begin() as c:
            citykit.build_city(c)
        with gunicorn(url, workers=2, PETA_SUBMIT_LIMIT="0") as base:
            yield cluster, base, eng
        eng.dispose()


def _post(base: str, key: str) -> tuple[int, dict]:
    req = urllib.request.Request(base + "/api/v1/complaints", data=json.dumps(GOOD).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, {"body": err.read().decode(), "retry_after": err.headers.get("Retry-After")}


def test_a_restart_under_load_answers_201_or_503_and_loses_nothing(served_on_own_cluster):
    cluster, base, eng = served_on_own_cluster
    answers: dict[str, list] = {}
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            key = f"c{n}-{i}"
            answers[key] = [_post(base, key)]
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    cluster.restart()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join()
    statuses = [a[0][0] for a in answers.values()]
    assert set(statuses) <= {201, 503}, sorted(set(statuses))
    assert statuses.count(503) >= 1 and statuses.count(201) >= 10  # the outage was seen, and load was real
    assert all(a[0][1]["retry_after"] and "tidak tersedia" in a[0][1]["body"] for a in answers.values()
               if a[0][0] == 503)
    for key, tries in answers.items():  # a client retries what it saw fail: the service has recovered
        while tries[-1][0] == 503:
            time.sleep(0.2)
            tries.append(_post(base, key))
    codes = {tries[-1][1]["tracking_code"] for tries in answers.values()}
    assert len(codes) == len(answers)  # one ticket per key, none twice
    eng.dispose()  # the test's own pooled connections died with the restart too
    with eng.connect() as c:
        stored = c.execute(text("SELECT count(*), count(DISTINCT c.id) FILTER (WHERE e.id IS NOT NULL) "
                                "FROM complaint c LEFT JOIN complaint_event e ON e.complaint_id = c.id "
                                "AND e.kind = 'created'")).one()
    assert stored == (len(answers), len(answers))  # every ticket whole: none lost, none half-written
    print(f"restart under load: {statuses.count(201)} × 201, {statuses.count(503)} × 503, {len(answers)} tickets")
