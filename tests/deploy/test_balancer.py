"""The deployment of docs/deploy.md on loopback: three gunicorn instances behind HAProxy running deploy/haproxy.cfg
itself (its addresses given through the environment, as /etc/default/haproxy gives them), two outbox workers.

Checked: round robin reaches every instance (counted in each instance's own access log, nothing added to the app);
submissions through the balancer make one ticket each, also a key sent twice at once to two instances; an oversized
body is refused at the balancer in the app's words; an instance killed under load costs no GET at all and, once
HAProxy marks it down, no request of any kind (a POST cut off with it is retried by its client under the same
Idempotency-Key: still one ticket); a rolling restart (drain, restart, ready — the recipe's steps) costs nothing;
two `flask worker` processes send each message once.

HAProxy comes from scripts/bootstrap.sh (make test installs it); without it these tests are skipped.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bench.cluster import HAPROXY, Balancer, Instance, app_instances, haproxy, start_instance
from bench.common import wait_healthy
from tests import citykit
from tests.conftest import scratch_database
from tests.mailkit import smtp_server


@pytest.fixture(autouse=True, scope="module")
def _haproxy_installed() -> None:
    """Missing HAProxy is a failed install step, not a reason to skip the balancer (make test installs it)."""
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail(f"{HAPROXY} not found: run `make test` (scripts/bootstrap.sh --with-browser installs haproxy)")


WORKERS = 2  # per instance
PAUSE = 0.05  # between a load thread's requests: steady traffic, leaving the 2 cores room to restart instances
CUT = -1  # a response cut off mid-way (no status to record)


@dataclass
class Cluster:
    url: str
    engine: Engine
    instances: list[Instance]
    lb: Balancer
    logs: Path


@pytest.fixture(scope="module")
def cluster(database_url: str, tmp_path_factory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("deploy")
    with scratch_database(database_url, "deploy") as url:
        eng = create_engine(url)
        with eng.begin() as c:
            citykit.build_city(c)
        with app_instances(url, 3, WORKERS, log_dir=logs) as instances, \
                haproxy([i.address for i in instances], WORKERS, log=logs / "haproxy.log", run_dir=logs) as lb:
            yield Cluster(url, eng, instances, lb, logs)
        eng.dispose()


def _hits(cluster: Cluster, marker: str) -> list[int]:
    """Requests whose line holds marker, per instance, from each instance's gunicorn access log."""
    time.sleep(0.2)  # let the access log lines reach the files
    return [inst.log.read_text().count(marker) if inst.log else 0 for inst in cluster.instances]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _submit(base: str, key: str, n: int) -> tuple[int, dict]:
    body = {"category": "jalan-rusak", "description": f"Jalan berlubang nomor {n} (uji balancer)",
            "lon": 114.51 + (n % 40) * 1e-5, "lat": -3.39 + (n % 37) * 1e-5}
    req = urllib.request.Request(base + "/api/v1/complaints", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, {}


def _tickets(engine: Engine, key_prefix: str) -> dict[str, int]:
    """Tickets per client key (stored with the JSON API's scope in front: `api:KEY`)."""
    with engine.connect() as c:
        return dict(c.execute(text("SELECT substr(k.key, 5), count(*) FROM complaint_key k "
                                   "JOIN complaint c ON c.id = k.complaint_id "
                                   "WHERE k.kind = 'idempotency' AND k.key LIKE :p GROUP BY 1"),
                              {"p": f"api:{key_prefix}%"}).all())


def test_round_robin_reaches_every_instance_and_the_balancer_sets_the_scheme(cluster):
    """30 requests in a row: 10 per instance. A client's own X-Forwarded-Proto is replaced by the balancer's."""
    for i in range(30):
        assert _get(f"{cluster.lb.base}/api/v1/categories?probe=spread-{i}")[0] == 200
    assert _hits(cluster, "probe=spread-") == [10, 10, 10]
    status, body = _get(cluster.lb.base + "/ogc/", {"X-Forwarded-Proto": "https"})
    assert status == 200 and f'"{cluster.lb.base}/ogc/' in body.decode().replace("\\/", "/")


def test_submissions_through_the_balancer_make_one_ticket_each(cluster):
    """60 submissions over 6 connections, and 20 keys each sent twice at once (consecutive requests: two
    instances): every answer a success, one ticket per key, both answers of a key name the same ticket."""
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda n: _submit(cluster.lb.base, f"lb-one-{n}", n), range(60)))
    assert [s for s, _ in answers] == [201] * 60
    assert sorted(_tickets(cluster.engine, "lb-one-").values()) == [1] * 60
    with ThreadPoolExecutor(2) as pool:
        for n in range(20):
            a, b = pool.map(lambda m: _submit(cluster.lb.base, f"lb-twice-{m}", 100 + m), [n, n])
            assert {a[0], b[0]} <= {200, 201} and a[1]["tracking_code"] == b[1]["tracking_code"]
    assert sorted(_tickets(cluster.engine, "lb-twice-").values()) == [1] * 20
    assert all(h > 0 for h in _hits(cluster, "POST /api/v1/complaints"))


def test_an_oversized_body_is_refused_by_the_balancer_in_the_apps_words(cluster):
    """Content-Length over (3 × PETA_MAX_UPLOAD_MB + 1) MiB: 413 before any instance reads a byte."""
    host, port = cluster.lb.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /lapor?probe=huge HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                  b"Content-Length: 40000000\r\n\r\n")
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413") and "maksimal 31 MB" in answer and "at most 31 MB" in answer
    assert _hits(cluster, "probe=huge") == [0, 0, 0]


@dataclass
class _Load:
    """Public-map GETs and keyed submissions running until stopped; every answer recorded with its time."""

    base: str
    gets: list[tuple[float, int]]
    posts: list[tuple[float, int]]
    keys: list[str]
    stop: threading.Event
    tag: str = field(default_factory=lambda: f"lb-load-{time.monotonic_ns()}-")  # keys of this load only

    def reader(self, k: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                status, _ = _get(f"{self.base}/api/v1/map-points?probe=load-{k}-{n}")
            except (http.client.HTTPException, OSError):
                status = CUT  # the answer had begun when its instance died: nobody can replay that
            self.gets.append((time.monotonic(), status))
            time.sleep(PAUSE)

    def writer(self, k: int) -> None:
        """A client that, like the citizen form's page, retries a failed submission with the same key."""
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"{self.tag}{k}-{n}"
            for _attempt in range(5):
                try:
                    status, _ = _submit(self.base, key, 1000 + k * 1000 + n)
                except (http.client.HTTPException, OSError):
                    status = CUT
                self.posts.append((time.monotonic(), status))
                if status in (200, 201):
                    self.keys.append(key)
                    break
                time.sleep(0.3)
            time.sleep(PAUSE)


@pytest.fixture
def load(cluster) -> Iterator[_Load]:
    load = _Load(cluster.lb.base, [], [], [], threading.Event())
    threads = [threading.Thread(target=load.reader, args=(k,)) for k in range(3)]
    threads += [threading.Thread(target=load.writer, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    try:
        yield load
    finally:
        load.stop.set()
        for t in threads:
            t.join(60)


def _env() -> dict[str, str]:
    from bench.cluster import instance_env

    return instance_env()


def test_a_rolling_restart_costs_no_request(cluster, load):
    """docs/deploy.md's roll, one instance at a time: drain it in HAProxy, wait for its requests to finish,
    stop it (SIGTERM, gunicorn's graceful stop), start it, wait for /healthz, make it ready again. Two of the three
    are rolled (the third is the same step again, ~12 s of booting on 2 busy cores)."""
    time.sleep(1)
    for index in range(2):
        name = f"app{index + 1}"
        cluster.lb.command(f"set server app/{name} state drain")
        deadline = time.monotonic() + 20
        while _current_sessions(cluster.lb, name) and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.instances[index].stop()
        new = start_instance(cluster.url, cluster.instances[index].port, WORKERS, cluster.instances[index].log,
                             _env())
        cluster.instances[index] = new
        wait_healthy(new.base)
        cluster.lb.command(f"set server app/{name} state ready")
        cluster.lb.wait_status(name, "UP")
    time.sleep(1)
    load.stop.set()
    time.sleep(1)
    statuses = [s for _, s in load.gets + load.posts]
    assert len(statuses) > 20 and set(statuses) <= {200, 201}, [s for s in statuses if s not in (200, 201)]
    assert set(_tickets(cluster.engine, load.tag).values()) == {1}


def _current_sessions(lb: Balancer, server: str) -> int:
    lines = lb.command("show stat").splitlines()
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "app" and row.get("svname") == server:
            return int(row["scur"] or 0)
    return 0


def test_an_instance_killed_under_load_costs_no_get_and_nothing_once_marked_down(cluster, load):
    """SIGKILL to an instance's whole process group mid-load (a machine that dies): a GET it had not begun to
    answer is replayed by HAProxy on another instance (no GET gets an error status); only an answer already
    streaming when it died is cut off (at most one per reader). Keyed POSTs it was answering may fail once and are
    retried by their client. Once HAProxy marks it DOWN nothing fails; every key ends as exactly one ticket.
    (It stays dead: the worker test after it runs on the other two.)"""
    time.sleep(2)
    cluster.instances[2].signal(signal.SIGKILL)
    killed_at = time.monotonic()
    took = cluster.lb.wait_status("app3", "DOWN")
    down_at = time.monotonic()
    time.sleep(3)
    load.stop.set()
    time.sleep(1)
    assert took < 8, f"marked down after {took:.1f} s"
    failed_gets = [(t - killed_at, s) for t, s in load.gets if s != 200]
    assert load.gets and all(s == CUT for _, s in failed_gets) and len(failed_gets) <= 3, failed_gets
    failed = [(t - killed_at, s) for t, s in load.gets + load.posts if s not in (200, 201)]
    assert all(0 <= t <= down_at - killed_at + 0.5 for t, _ in failed), (failed, down_at - killed_at)
    print(f"marked down after {took:.2f} s; cut-off GETs {len(failed_gets)}, failed POST attempts "
          f"{len(failed) - len(failed_gets)} (retried by their clients) of {len(load.gets)} GETs and "
          f"{len(load.posts)} POSTs")
    assert len([1 for t, _ in load.gets + load.posts if t > down_at]) > 10  # the load went on
    tickets = _tickets(cluster.engine, load.tag)
    assert set(tickets) == set(load.keys) and set(tickets.values()) == {1}


def test_two_worker_processes_send_each_message_once(cluster):
    """The deployed shape of tests/api/test_notifications.py's two-worker test: two `flask worker` processes
    (peta-aduan-worker@1 and @2) beside the instances; 30 reports with an e-mail sent through the balancer; each
    receipt arrives exactly once."""
    import subprocess
    import sys

    from bench.common import ROOT

    with smtp_server() as box:
        flask = str(Path(sys.executable).parent / "flask")
        env = os.environ | {"DATABASE_URL": cluster.url, "PETA_SMTP_URL": box.url}
        workers = [subprocess.Popen([flask, "--app", "app", "worker"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            with ThreadPoolExecutor(6) as pool:
                codes = list(pool.map(lambda n: _submit_with_email(cluster.lb.base, n), range(30)))
            deadline = time.monotonic() + 20
            while len(box.messages) < 30 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2.5)  # a duplicate would arrive by now: both workers poll every 2 s
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                try:
                    w.wait(15)
                except subprocess.TimeoutExpired:
                    w.kill()
        assert all(w.returncode == 0 for w in workers)
        subjects = [m["Subject"] for m in box.messages]
        assert len(subjects) == 30 and all(sum(code in s for s in subjects) == 1 for code in codes)


def _submit_with_email(base: str, n: int) -> str:
    body = {"category": "jalan-rusak", "description": f"Lampu jalan mati nomor {n}", "lon": 114.511, "lat": -3.391,
            "email": f"warga{n}@contoh.id"}
    req = urllib.request.Request(base + "/api/v1/complaints", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Idempotency-Key": f"lb-mail-{n}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 201
        return json.loads(r.read())["tracking_code"]
