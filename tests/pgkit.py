"""A PostgreSQL cluster of a test's own, on a free loopback port, that the test may stop, restart or replicate.

Tests of faults (a restart under load) and of replicas must control the server itself, so they cannot use the
shared test database. PostgreSQL refuses to run as root: as root the cluster runs as the system user `peta-pg`
(made by scripts/pgcluster.sh, or here), otherwise as the current user.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from tests.mailkit import free_port

PG_USER = "peta-pg"


def _bin() -> Path:
    version = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
    return Path("/usr/lib/postgresql") / version / "bin"


def _as_pg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = list(args)
    if os.geteuid() == 0:
        if subprocess.run(["id", PG_USER], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                           check=True)
        cmd = ["runuser", "-u", PG_USER, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd="/")


def run_as_pg(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command as the clusters' OS user with extra environment variables: the backup scripts must run as
    the user that owns the data (as a sysadmin runs them with `sudo -u postgres`), and runuser does not pass
    the caller's environment on reliably, so the variables go through env(1)."""
    prefix = ["env", *(f"{name}={value}" for name, value in env.items())] if env else []
    return _as_pg(*prefix, *args, check=check)


def pg_owned_tempdir(prefix: str = "peta-pg-") -> Path:
    """A new folder under /var/tmp that the clusters' OS user may write (an archive, backups, restored data
    folders live outside any one cluster's folder); the caller removes it."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/var/tmp"))
    os.chmod(root, 0o755)
    _prepare(root)
    return root


@dataclass
class Cluster:
    data: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _as_pg(str(_bin() / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args, check=check)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data.parent / "log"), "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "stop", check=False)

    def restart(self) -> None:
        self.pg_ctl("-m", "fast", "-l", str(self.data.parent / "log"), "restart")


def base_backup_replica(primary_port: int, root: Path, host: str = "127.0.0.1", user: str = "postgres",
                        password: str | None = None) -> Cluster:
    """`pg_basebackup -R` of the server at host:primary_port into `root`/replica (a folder the clusters' OS user
    owns), started on a free loopback port as a hot standby streaming from it, as a city makes its replica."""
    replica = Cluster(root / "replica", free_port())
    run_as_pg(str(_bin() / "pg_basebackup"), "-h", host, "-p", str(primary_port), "-U", user,
              "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", env={"PGPASSWORD": password} if password
              else None)
    with open(replica.data / "postgresql.conf", "a") as conf:  # the copied file names the primary's port, socket
        conf.write(f"port = {replica.port}\nunix_socket_directories = '{root}'\n")
    try:
        replica.start()
    except subprocess.CalledProcessError:
        replica.stop("immediate")  # pg_ctl gave up waiting: a postmaster may still be coming up
        raise
    return replica


def wait_replayed(primary: Engine, replica: Engine, timeout_s: float = 30.0) -> None:
    """Until the replica has replayed all the primary had written when this was called (by WAL position): the
    one way the tests and the benchmarks wait for a replica."""
    with primary.connect() as conn:
        target = conn.execute(text("SELECT pg_current_wal_flush_lsn()::text")).scalar_one()
    deadline = time.monotonic() + timeout_s
    while not _replayed(replica, target):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica did not replay up to {target} in {timeout_s:.0f} s")
        time.sleep(0.05)


def _replayed(replica: Engine, lsn: str) -> bool:
    try:
        with replica.connect() as conn:
            return conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:l AS pg_lsn)"), {"l": lsn}).scalar_one()
    except SQLAlchemyError:  # still starting
        return False


def _prepare(root: Path) -> None:
    if os.geteuid() == 0:
        _as_pg("true")  # makes the user if needed
        shutil.chown(root, PG_USER)


@contextmanager
def temporary_cluster(extra_conf: str = "") -> Iterator[Cluster]:
    """initdb, configure for loopback, start; stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="peta-pg-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    _prepare(root)
    cluster = Cluster(root / "data", free_port())
    _as_pg(str(_bin() / "initdb"), "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
           "--locale=C.UTF-8")
    with open(cluster.data / "postgresql.conf", "a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\nunix_socket_directories = '{root}'\n"
                   f"fsync = off\nshared_buffers = 64MB\n{extra_conf}\n")
    if os.geteuid() == 0:
        shutil.chown(cluster.data / "postgresql.conf", PG_USER)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
