"""A primary of the tests' own and a streaming replica of it, made with `pg_basebackup -R` as a city would.

The primary is a private cluster (tests/pgkit.py), not the shared test server: these tests stop it, stop its
replica and pause the replica's replay, which must not disturb the other tests, and a base backup of the shared
server would copy every database on it. The replica runs as the same unprivileged OS user, in the primary's
temporary folder, on another free loopback port.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alembic import command
from sqlalchemy import Engine, create_engine, text

from aduan.schema import alembic_config, create_database
from tests import citykit
from tests.pgkit import Cluster, base_backup_replica, temporary_cluster, wait_replayed

DATABASE = "peta_aduan_test_replica"


@dataclass
class Pair:
    """The two servers, the test database's URL on each and an engine on each."""

    primary: Cluster
    replica: Cluster
    url: str
    replica_url: str
    engine: Engine
    replica_engine: Engine

    def replica_sql(self, sql: str) -> object:
        with self.replica_engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def wait_replayed(self, timeout_s: float = 30.0) -> None:
        """Until the replica has replayed everything the primary has written."""
        wait_replayed(self.engine, self.replica_engine, timeout_s)

    def wait_received_not_replayed(self, timeout_s: float = 30.0) -> None:
        """Until the (paused) replica has received WAL it has not replayed: it is behind, not cut off."""
        _wait(lambda: self.replica_sql("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"), timeout_s,
              "replica received nothing new")

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        """The replica receives WAL but does not apply it: what the primary writes now is on the primary only.
        Only a request to PostgreSQL, which replays on until it sees it: wait until it says paused, or a write
        made just after could still be replayed."""
        self.replica_sql("SELECT pg_wal_replay_pause()")
        try:
            _wait(lambda: self.replica_sql("SELECT pg_get_wal_replay_pause_state() = 'paused'"), 30.0,
                  "replay did not pause")
            yield
        finally:
            self.replica_sql("SELECT pg_wal_replay_resume()")

    @contextmanager
    def stopped(self, cluster: Cluster) -> Iterator[None]:
        """A server stopped (fast shutdown, as an operator does) and always started again."""
        cluster.stop("fast")
        try:
            yield
        finally:
            cluster.start()
            self.engine.dispose()
            self.replica_engine.dispose()
            self.wait_replayed(60)


def _wait(ready, timeout_s: float, message: str) -> None:  # noqa: ANN001 - a predicate
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@contextmanager
def primary_and_replica() -> Iterator[Pair]:
    """A migrated test city on a private primary, and its streaming replica; both removed afterwards."""
    with temporary_cluster() as primary:
        url = create_database(primary.url(DATABASE))
        command.upgrade(alembic_config(url), "head")
        engine = create_engine(url)
        with engine.begin() as conn:
            citykit.build_city(conn)
        replica = base_backup_replica(primary.port, primary.data.parent)
        replica_url = replica.url(DATABASE)
        pair = Pair(primary, replica, url, replica_url, engine, create_engine(replica_url))
        try:
            pair.wait_replayed()
            yield pair
        finally:
            pair.engine.dispose()
            pair.replica_engine.dispose()
            replica.stop("immediate")
