"""Open311 against the app served on localhost: many POSTs at once, and an API key made by the CLI."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from werkzeug.serving import make_server

from tests.api.open311kit import BASE, GOOD, count, make_key

THREADS = 20


@pytest.fixture
def server(app) -> Iterator[str]:
    """The app on a free localhost port, threaded, for one test."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}{BASE}"
    srv.shutdown()
    thread.join(5)


def _post_many(url: str, forms: list[dict], headers: list[dict]) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(requests.post, f"{url}/requests.json", data=f, headers=h, timeout=60)
                   for f, h in zip(forms, headers, strict=True)]
        return [f.result() for f in futures]


def test_concurrent_posts_lose_and_duplicate_nothing(server, engine):
    """20 POSTs at once give 20 tickets with 20 distinct ids, all stored."""
    key = make_key(engine)
    forms = [GOOD | {"api_key": key, "description": f"Jalan berlubang nomor {i}"} for i in range(THREADS)]
    responses = _post_many(server, forms, [{}] * THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    ids = {r.json()[0]["service_request_id"] for r in responses}
    assert len(ids) == THREADS and count(engine, "SELECT count(*) FROM complaint") == THREADS


def test_concurrent_retries_with_one_key_make_one_ticket(server, engine):
    """20 simultaneous retries with the same Idempotency-Key all answer the same id; one ticket is stored."""
    key = make_key(engine)
    responses = _post_many(server, [GOOD | {"api_key": key}] * THREADS, [{"Idempotency-Key": "retry-42"}] * THREADS)
    assert [r.status_code for r in responses] == [200] * THREADS
    assert len({r.json()[0]["service_request_id"] for r in responses}) == 1
    assert count(engine, "SELECT count(*) FROM complaint") == 1


def test_cli_key_on_the_last_line_works_for_post(runner, server, engine):
    """`flask create-api-key NAME` prints a key on its last line that a client can POST with."""
    result = runner.invoke(args=["create-api-key", "FixMyStreet Banjarmasin"])
    key = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and key.startswith("pa_")
    resp = requests.post(f"{server}/requests.xml", data=GOOD | {"api_key": key}, timeout=30)
    assert resp.status_code == 200 and b"<service_request_id>BJM-" in resp.content


def test_cli_stores_only_a_hash_of_the_key(runner, engine, app):
    """The printed key itself is not in the database, only its hash under the client's name."""
    key = runner.invoke(args=["create-api-key", "Qlue"]).output.strip().splitlines()[-1]
    assert count(engine, "SELECT count(*) FROM api_client WHERE name = 'Qlue' AND key_hash <> :k", k=key) == 1
    assert count(engine, "SELECT count(*) FROM api_client WHERE key_hash LIKE '%' || :k || '%'", k=key) == 0


def test_cli_refuses_an_empty_name(runner, app):
    """An empty client name is refused with a usage error."""
    assert runner.invoke(args=["create-api-key", "  "]).exit_code != 0
