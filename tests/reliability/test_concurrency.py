"""1,000 submissions over 50 connections to the app as gunicorn serves it, through all three entry points (the
citizen form, the JSON API, Open311), with retries of the same key racing each other: every submission becomes
exactly one whole ticket, every answer names the ticket of its own key, every reporter gets one receipt.

The figures of a run are printed (`pytest -s`): requests, seconds, answers by status."""
from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from aduan.api_keys import create_api_key
from tests import citykit
from tests.conftest import scratch_database
from tests.servekit import gunicorn

SUBMISSIONS = 1000
RETRIED = 60  # of them, sent three times at once with one key
CONNECTIONS = 50
ENTRY_POINTS = ("web", "api", "open311")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the form's 303 names the ticket: read it, do not follow it
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@pytest.fixture(scope="module")
def served(database_url):
    with scratch_database(database_url, "concurrency") as url:
        eng = create_engine(url)
        with eng.begin() as c:
            citykit.build_city(c)
            key = create_api_key(c, "load test")
        with gunicorn(url, workers=3, PETA_SUBMIT_LIMIT="0") as base:
            yield base, eng, key
        eng.dispose()


def _submission(i: int) -> dict:
    """One citizen's report: its own words (so a mixed-up answer shows), a point near the test city's centre."""
    rng = random.Random(i)
    return {"n": i, "via": ENTRY_POINTS[i % 3], "key": f"load-{i}", "email": f"warga{i}@contoh.id" if i % 2 else None,
            "description": f"Jalan berlubang nomor {i} di depan pasar", "lon": 114.51 + rng.uniform(-0.002, 0.002),
            "lat": -3.39 + rng.uniform(-0.002, 0.002)}


def _request(base: str, api_key: str, s: dict) -> urllib.request.Request:
    if s["via"] == "api":
        body = {"category": "jalan-rusak", "description": s["description"], "lon": s["lon"], "lat": s["lat"]}
        if s["email"]:
            body["email"] = s["email"]
        return urllib.request.Request(base + "/api/v1/complaints", data=json.dumps(body).encode(), method="POST",
                                      headers={"Content-Type": "application/json", "Idempotency-Key": s["key"]})
    if s["via"] == "open311":
        form = {"api_key": api_key, "service_code": "jalan-rusak", "description": s["description"],
                "long": s["lon"], "lat": s["lat"], "email": s["email"] or ""}
        headers = {"Idempotency-Key": s["key"]}
        path = "/open311/v2/requests.json"
    else:
        form = {"category": "jalan-rusak", "description": s["description"], "lon": s["lon"], "lat": s["lat"],
                "email": s["email"] or "", "idempotency_key": s["key"]}
        headers = {}
        path = "/lapor"
    data = urllib.parse.urlencode({k: v for k, v in form.items() if v != ""}).encode()
    return urllib.request.Request(base + path, data=data, method="POST", headers=headers)


def _send(base: str, api_key: str, s: dict) -> tuple[int, str | None]:
    """(status, tracking code named by the answer)."""
    try:
        with _opener.open(_request(base, api_key, s), timeout=120) as r:
            body = json.loads(r.read())
            return r.status, body[0]["service_request_id"] if s["via"] == "open311" else body["tracking_code"]
    except urllib.error.HTTPError as err:
        if err.code == 303:
            return 303, err.headers["Location"].split("/lacak/")[1].split("?")[0]
        return err.code, err.read().decode()[:300]


def test_a_thousand_concurrent_submissions_lose_and_duplicate_nothing(served):
    base, eng, api_key = served
    subs = [_submission(i) for i in range(SUBMISSIONS)]
    sends = subs + [s for s in subs[:RETRIED] for _ in range(2)]  # each retried key: three racing requests
    random.Random(7).shuffle(sends)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        answers = list(pool.map(lambda s: (s, _send(base, api_key, s)), sends))
    seconds = time.perf_counter() - started
    statuses = Counter(status for _, (status, _) in answers)
    print(f"\n{len(sends)} requests over {CONNECTIONS} connections in {seconds:.1f} s "
          f"({len(sends) / seconds:.0f}/s); answers {dict(statuses)}")

    assert set(statuses) <= {200, 201, 303}, [a for a in answers if a[1][0] not in (200, 201, 303)][:3]
    code_of: dict[int, set[str]] = {}
    for s, (_, code) in answers:
        code_of.setdefault(s["n"], set()).add(code)
    assert all(len(codes) == 1 for codes in code_of.values())  # retries of one key all name one ticket
    assert len({next(iter(c)) for c in code_of.values()}) == SUBMISSIONS  # and no two keys share one

    with eng.connect() as c:
        rows = c.execute(text("""
            SELECT c.tracking_code, c.description, c.channel, c.kelurahan_id IS NOT NULL AND c.skpd_id IS NOT NULL
                   AND c.routing IS DISTINCT FROM NULL AND c.followup_due_at IS NOT NULL AS whole,
                   (SELECT count(*) FROM complaint_event e WHERE e.complaint_id = c.id AND e.kind = 'created'),
                   (SELECT count(*) FROM outbox o WHERE o.complaint_id = c.id AND o.kind = 'received')
            FROM complaint c""")).all()
    assert len(rows) == SUBMISSIONS  # none lost, none duplicated
    stored = {r.tracking_code: r for r in rows}
    for s in subs:
        row = stored[next(iter(code_of[s["n"]]))]
        assert row.description == s["description"]  # the answer named this submission's own ticket
        assert row.whole and row[4] == 1  # routed, clocked, with exactly one 'created' step: nothing partial
        assert row[5] == (1 if s["email"] else 0)  # one receipt per reporter who left an address, none twice
