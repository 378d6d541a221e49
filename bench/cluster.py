"""Several app instances behind HAProxy (issue 14), on the scratch database with about 1M demo complaints.

The same load — clients submitting complaints as fast as they are answered while others refresh the public map
(`/api/v1/map-points`) and its vector tiles (z14 complaints around the centre) — is run in the same process
against one gunicorn instance directly (with the workers of one instance, and with those of three), then through
HAProxy (deploy/haproxy.cfg, the file a city installs) over three instances, then once more through HAProxy with
a streaming replica of the database's server (`pg_basebackup -R`, as docs/replicas.md makes one) named in
DATABASE_REPLICA_URL, so the map and tile reads go to the replica while the submissions stay on the primary.
Printed: sustained submissions/s and the map and tile p50 and p95 of each run, the complaint-table scans each
server ran in the replica run (who served the reads), and the ratios three-behind-HAProxy / one-direct and
with-replica / without.

What the ratios mean depends on the machine: on the 2-core development machine the instances share the same two
cores (and the database's), so three instances cannot add throughput there; the run shows what the balancer costs
and that nothing breaks, not how a city's three app servers scale. Every figure is printed with the core count.

The launching helpers (`app_instances`, `haproxy`) are also what tests/deploy/ uses: one way to start the cluster.

The replica copies the whole server the benchmark database lives on (all its databases) into a scratch folder
under /var/tmp, removed afterwards; a server that refuses the base backup (no replication rights) gets a printed
reason and no replica run.

    python -m bench.cluster [--complaints 1000000] [--submissions 1000] [--clients 4] [--readers 2] [--workers 2]
                            [--no-replica]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url, text

from aduan.db import make_engine
from bench.common import (
    ROOT,
    bench_database_url,
    ensure_complaints,
    free_port,
    ratio,
    say,
    stop,
    summary,
    wait_healthy,
)
from bench.intake import _points

HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # sbin is not on a normal user's PATH


@dataclass
class Instance:
    """One gunicorn app instance (its own process group, so a test can kill the master and its workers at once,
    as a crashed machine would)."""

    port: int
    proc: subprocess.Popen
    log: Path | None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://{self.address}"

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (gunicorn's graceful stop: requests in progress finish), SIGKILL if it does not end."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait(5)
        self.signal(signal.SIGKILL)  # any worker left behind by a killed master


def start_instance(url: str, port: int, workers: int, log: Path | None, env: dict[str, str]) -> Instance:
    """gunicorn as the peta-aduan@PORT unit runs it (gunicorn.conf.py from the working directory)."""
    out = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps it; closed on exit
    proc = subprocess.Popen([str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                             "app:create_app()"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, env=os.environ | {"DATABASE_URL": url} | env)
    if log:
        out.close()
    return Instance(port, proc, log)


def instance_env(**extra: str) -> dict[str, str]:
    """What every instance of one deployment shares: the secret (sessions signed by one are read by the others)
    and one proxy in front. All load comes from one address here, so the submission flood limit is off."""
    return {"SECRET_KEY": "cluster", "PETA_PROXY_COUNT": "1", "PETA_SUBMIT_LIMIT": "0"} | extra


@contextmanager
def app_instances(url: str, n: int, workers: int = 2, log_dir: Path | None = None,
                  env: dict[str, str] | None = None) -> Iterator[list[Instance]]:
    """n instances on free loopback ports, each with its own access log in log_dir; all stopped afterwards, also
    when the block fails."""
    env = instance_env() | (env or {})
    instances: list[Instance] = []
    try:
        for i in range(n):
            log = log_dir / f"app{i + 1}.log" if log_dir else None
            instances.append(start_instance(url, free_port(), workers, log, env))
        for inst in instances:
            wait_healthy(inst.base)
        yield instances
    finally:
        for inst in instances:
            inst.stop()


@dataclass
class Balancer:
    """HAProxy in the foreground and its admin socket (`show stat`, `set server`), as a sysadmin would use it."""

    base: str
    socket_path: Path
    proc: subprocess.Popen
    servers: list[str] = field(default_factory=lambda: ["app1", "app2", "app3"])

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def status(self) -> dict[str, str]:
        """Server name → UP, DOWN, MAINT, DRAIN … of the backend `app` (backups included)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "app" and r["svname"] != "BACKEND"}

    def wait_status(self, server: str, wanted: str, timeout: float = 20) -> float:
        """Seconds until HAProxy reports the server in that state."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.status().get(server, "").startswith(wanted):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise TimeoutError(f"{server} not {wanted} after {timeout} s: {self.status()}")


@contextmanager
def haproxy(addresses: list[str], workers: int, log: Path | None = None,
            run_dir: Path | None = None) -> Iterator[Balancer]:
    """deploy/haproxy.cfg itself, its settings given through the environment (what /etc/default/haproxy does
    for the Debian unit) and PETA_LB_FOREGROUND (no chroot, no daemon, log to stdout). Needs 1 to 3 instances:
    fewer are padded with the first one's address."""
    if not 1 <= len(addresses) <= 3:
        raise ValueError("deploy/haproxy.cfg names three instances")
    port = free_port()
    with ExitStack() as stack:
        if run_dir is None:
            import tempfile

            run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peta-lb-")))
        sock = run_dir / "admin.sock"
        padded = (addresses + addresses[:1] * 3)[:3]
        env = os.environ | {"PETA_LB_FOREGROUND": "1", "PETA_LB_BIND": f"127.0.0.1:{port}",
                            "PETA_LB_SOCKET": str(sock), "WEB_WORKERS": str(workers)}
        env |= {f"PETA_APP{i + 1}": a for i, a in enumerate(padded)}
        out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        proc = subprocess.Popen([HAPROXY, "-db", "-f", str(HAPROXY_CFG)], stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
        lb = Balancer(f"http://127.0.0.1:{port}", sock, proc)
        try:
            deadline = time.monotonic() + 15
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"haproxy exited with {proc.returncode}" + (f": {log.read_text()}" if log
                                                                                    else ""))
                try:
                    if all(lb.status().get(s) == "UP" for s in lb.servers):
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("haproxy did not see its servers up")
                time.sleep(0.1)
            yield lb
        finally:
            stop(proc)
            if log:
                out.close()


# --- the benchmark ---------------------------------------------------------------------------------------------


def _get(url: str) -> float:
    """A read as a browser makes it (gzip accepted), timed to its last byte."""
    t = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=120) as r:
        r.read()
    return time.perf_counter() - t


def _submit(base: str, lon: float, lat: float, category: str, key: str) -> float:
    body = json.dumps({"category": category, "description": f"cluster benchmark {key}", "lon": lon,
                       "lat": lat}).encode()
    req = urllib.request.Request(base + "/api/v1/complaints", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Idempotency-Key": key})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
    return time.perf_counter() - t


@dataclass
class Run:
    submit: list[float] = field(default_factory=list)
    map: list[float] = field(default_factory=list)
    tile: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0


def _tile_urls(url: str) -> list[str]:
    """z14 complaint tiles around the city's centre (a 3 × 3 block): what the public map loads."""
    from bench.layers import _tile_of

    eng = make_engine(url)
    with eng.connect() as c:
        lon, lat = c.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) p "
                                  "FROM kelurahan) x")).one()
    eng.dispose()
    x, y = _tile_of(lon, lat, 14)
    return [f"/tiles/complaints/14/{x + dx}/{y + dy}.pbf" for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def load(base: str, points: list[tuple[float, float, str]], tiles: list[str], clients: int, readers: int,
         tag: str) -> Run:
    """`clients` threads submit the points (each a new key) as fast as they are answered; meanwhile `readers`
    threads alternate the public map's points and a tile until the submissions are done."""
    run = Run()
    todo = list(enumerate(points))
    lock = threading.Lock()
    done = threading.Event()

    def submitter() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i, (lon, lat, cat) = todo.pop()
            try:
                run.submit.append(_submit(base, lon, lat, cat, f"bench-{tag}-{time.time_ns()}-{i}"))
            except (OSError, urllib.error.HTTPError):
                run.errors += 1

    def reader(k: int) -> None:
        n = k
        while not done.is_set():
            n += 1
            try:
                if n % 2:
                    run.map.append(_get(base + "/api/v1/map-points"))
                else:
                    run.tile.append(_get(base + tiles[n % len(tiles)]))
            except (OSError, urllib.error.HTTPError):
                run.errors += 1

    subs = [threading.Thread(target=submitter) for _ in range(clients)]
    reads = [threading.Thread(target=reader, args=(k,)) for k in range(readers)]
    t0 = time.perf_counter()
    for t in subs + reads:
        t.start()
    for t in subs:
        t.join()
    run.wall = time.perf_counter() - t0
    done.set()
    for t in reads:
        t.join()
    return run


@contextmanager
def streaming_replica(url: str) -> Iterator[str | None]:
    """A hot standby of the server holding `url`'s database, caught up with it; yields the database's URL on the
    replica (None, with the reason printed, when it cannot be made: no replication rights, say). Stopped and
    removed afterwards."""
    from tests.pgkit import base_backup_replica, pg_owned_tempdir, wait_replayed

    u = make_url(url)
    root = pg_owned_tempdir("peta-bench-replica-")
    replica = replica_url = None
    try:
        say(f"streaming replica: pg_basebackup -R of {u.host}:{u.port} (the whole server) …")
        t0 = time.perf_counter()
        try:
            replica = base_backup_replica(u.port or 5432, root, u.host or "127.0.0.1", u.username or "postgres",
                                          u.password)
        except subprocess.CalledProcessError as e:
            print(f"  (no replica run: the replica could not be made: {(e.stderr or '').strip()[-300:]})",
                  flush=True)
        if replica is not None:
            replica_url = u.set(host="127.0.0.1", port=replica.port).render_as_string(hide_password=False)
            primary, standby = make_engine(url), make_engine(replica_url)
            try:
                wait_replayed(primary, standby, timeout_s=300)
            finally:
                primary.dispose()
                standby.dispose()
            say(f"  replica on 127.0.0.1:{replica.port}, made and caught up in {time.perf_counter() - t0:.0f} s")
        yield replica_url
    finally:
        if replica is not None:
            replica.stop("fast")
        shutil.rmtree(root, ignore_errors=True)


_COMPLAINT_SCANS = text("SELECT coalesce(sum(s.seq_scan + coalesce(s.idx_scan, 0)), 0)::bigint "
                        "FROM pg_stat_user_tables s JOIN pg_inherits i ON i.inhrelid = s.relid "  # every month
                        "WHERE i.inhparent = 'complaint'::regclass")


def _complaint_scans(url: str) -> int:
    """Scans of the complaint table this server has run (a standby counts its own): who served the map reads,
    which lag checks and cache lookups do not touch."""
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(_COMPLAINT_SCANS).scalar_one()
    finally:
        eng.dispose()


def _report(name: str, run: Run) -> dict[str, float]:
    print(f"({name})")
    summary("POST /api/v1/complaints under load", run.submit)
    m = summary("GET /api/v1/map-points under load", run.map or [0.0])
    t = summary("GET z14 complaints tile under load", run.tile or [0.0])
    rate = len(run.submit) / run.wall
    print(f"  {'sustained submissions':<44} {rate:9.1f} /s   errors {run.errors}", flush=True)
    return {"rate": rate, "map": m["p95"], "tile": t["p95"]}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--complaints", type=int, default=1_000_000)
    p.add_argument("--submissions", type=int, default=1000, help="per run: enough for a p95 of the slow map reads")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--readers", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    p.add_argument("--no-replica", action="store_true", help="skip the run with a streaming replica")
    args, _ = p.parse_known_args(argv)
    url = bench_database_url()
    have = ensure_complaints(url, args.complaints)  # seeds only a database that has far fewer (never the 1M one)
    cores = os.cpu_count() or 1
    print(f"database: {have:,} complaints; {cores} CPU cores shared by the app instances, HAProxy, the load "
          f"and PostgreSQL")
    points = _points(url, 4 * args.submissions)
    batches = [points[i * args.submissions:(i + 1) * args.submissions] for i in range(4)]
    tiles = _tile_urls(url)
    w = args.workers
    say(f"each run: {args.submissions} submissions, {args.clients} clients, {args.readers} readers")
    runs = {}
    for n, (key, per) in enumerate((("direct", w), ("wide", 3 * w))):
        with app_instances(url, 1, per) as [one]:
            _get(one.base + tiles[0])  # the same warm-up for every run
            say(f"1 instance with {per} workers directly …")
            runs[key] = _report(f"1 instance, {per} workers, directly", load(
                one.base, batches[n], tiles, args.clients, args.readers, key))
    with app_instances(url, 3, w) as three, haproxy([i.address for i in three], w) as lb:
        _get(lb.base + tiles[0])
        say("3 instances behind HAProxy …")
        spread = _report(f"3 instances × {w} workers behind HAProxy", load(
            lb.base, batches[2], tiles, args.clients, args.readers, "haproxy"))
    _ratios(f"3 behind HAProxy / 1 direct with {w} workers", spread, runs["direct"])
    _ratios(f"3 behind HAProxy / 1 direct with {3 * w} workers", spread, runs["wide"])
    print(f"  note: against {w} workers a gain is submissions no longer waiting behind slow map reads for a free "
          f"worker, not more CPU; against one instance with the same {3 * w} workers the ratio is what the balancer "
          "and the extra processes cost")
    if cores <= 2:
        print(f"  note: {cores} cores — the instances share the CPUs with the database and the load, so no CPU-bound "
              "scaling can show here; on separate app servers the app tier scales out.")
    if not args.no_replica:
        _with_replica(url, args, batches[3], tiles, spread)


def _ratios(title: str, run: dict[str, float], reference: dict[str, float]) -> None:
    print(f"({title})")
    ratio("sustained submissions/s", run["rate"], reference["rate"])
    ratio("map-points p95", run["map"], reference["map"])
    ratio("tile p95", run["tile"], reference["tile"])


def _with_replica(url: str, args: argparse.Namespace, points: list[tuple[float, float, str]], tiles: list[str],
                  without: dict[str, float]) -> None:
    """The HAProxy run again with the public reads on a streaming replica (DATABASE_REPLICA_URL)."""
    with streaming_replica(url) as replica_url:
        if replica_url is None:
            return
        env = {"DATABASE_REPLICA_URL": replica_url}
        before = _complaint_scans(replica_url), _complaint_scans(url)
        with app_instances(url, 3, args.workers, env=env) as three, haproxy([i.address for i in three],
                                                                            args.workers) as lb:
            _get(lb.base + tiles[0])
            say("3 instances behind HAProxy, reads on the replica: the same load …")
            run = load(lb.base, points, tiles, args.clients, args.readers, "replica")
        # counted once the instances are gone: an idle pooled connection's server process publishes its statistics
        # only ~10 s later, one that ends publishes them as it exits (the warm-up tile is counted too)
        time.sleep(0.5)
        scans = _complaint_scans(replica_url) - before[0], _complaint_scans(url) - before[1]
        both = _report(f"3 instances × {args.workers} workers behind HAProxy, public reads on the replica", run)
        print(f"  {'complaint-table scans: replica / primary':<44} {scans[0]:9d} / {scans[1]}   "
              f"(map-points reads {len(run.map)})", flush=True)
    _ratios("with the replica / without, both 3 behind HAProxy", both, without)
    if (os.cpu_count() or 1) <= 2:
        print("  note: the replica runs on the same cores as the primary here: it replays every write and serves the "
              "reads on the same CPUs, so it can only cost; on its own machine it takes the reads off the primary.")


if __name__ == "__main__":
    main()
