"""The engines every process uses (web, CLI, worker, benchmarks): our connection settings in one place, and the
streaming replicas public reads may use (docs/replicas.md).

How far a replica lags, in seconds of the primary's history it has not replayed yet:
- when the primary answers, its WAL flush position is read first; a replica that has replayed up to it lags 0
  (so an idle primary, whose last commit may be hours old, does not make its replicas look late);
- a replica behind that position, or (primary down) one that has received WAL it has not replayed, lags
  `now() - pg_last_xact_replay_timestamp()`: the age of the last commit it replayed, an upper bound of its lag;
- with the primary down, a replica that has replayed all it received lags 0: there is nothing newer to read.
  (Its receive position is then no sure guide: a WAL receiver retrying the connection restarts it at the
  beginning of a segment, before the replay position, or it is NULL after a restart; both count as replayed.)
A replica cut off from a running primary is behind the primary's position, so its lag grows and it is skipped.
"""
from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

log = logging.getLogger(__name__)

# PostgreSQL's JIT compiles expressions for queries it estimates as expensive; PostGIS functions carry high cost
# estimates, so routing a few thousand points paid ~0.8 s of compilation for ~0.2 s of work. Off per connection.
# A server that does not answer is given up on after connect_timeout seconds, not the OS's two minutes: a request
# (or a replica's health check) must not hang on a host that went away.
CONNECT_OPTIONS = {"options": "-c jit=off", "connect_timeout": 5}
HEALTH_TTL_S = 3.0  # how long a process trusts a replica's health check
_PER_VALUE_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")
_SERIAL_PLANS = text("SET LOCAL max_parallel_workers_per_gather = 0")

_PRIMARY_POSITION = text("SELECT pg_current_wal_flush_lsn()::text")
_REPLICA_LAG = text("""
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN CAST(:primary AS pg_lsn) IS NOT NULL AND pg_last_wal_replay_lsn() >= CAST(:primary AS pg_lsn) THEN 0
  WHEN CAST(:primary AS pg_lsn) IS NULL AND coalesce(pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn(), true)
    THEN 0
  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 'Infinity')
END
""")


def make_engine(url: str) -> Engine:
    """The app tier is stateless; the pool is the only thing it keeps between requests."""
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=CONNECT_OPTIONS)


@dataclass
class ReplicaSet:
    """The replicas of one primary, each used while its lag (checked at most every `ttl_s` per process) is at
    most `max_lag_s`; a replica whose connection fails counts as down until its next check."""

    primary: Engine
    replicas: list[Engine]
    max_lag_s: float
    ttl_s: float = HEALTH_TTL_S
    _lags: dict[Engine, float] = field(default_factory=dict, init=False)  # by the latest check
    _checked_at: float = field(default=-math.inf, init=False)
    _checking: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        for replica in self.replicas:
            self._lags[replica] = math.inf
            event.listen(replica, "handle_error", self._failed)

    def choose(self) -> Engine:
        """A healthy replica (spread at random), else the primary."""
        healthy = self.healthy()
        return random.choice(healthy) if healthy else self.primary

    def healthy(self) -> list[Engine]:
        """The replicas lagging no more than allowed, by the latest check."""
        if self.replicas and time.monotonic() - self._checked_at > self.ttl_s and self._checking.acquire(False):
            try:  # one thread checks; the others meanwhile go by the previous check
                self._check()
            finally:
                self._checking.release()
        return [r for r in self.replicas if self._lags[r] <= self.max_lag_s]

    def report(self) -> list[dict]:
        """Each replica as a sysadmin reads it: server (host:port/database, no credentials), lag in seconds at
        the latest check (None: not reachable) and whether reads go to it now."""
        healthy = self.healthy()
        return [{"server": f"{r.url.host}:{r.url.port or 5432}/{r.url.database}",
                 "lag_s": None if math.isinf(self._lags[r]) else round(self._lags[r], 3), "in_use": r in healthy}
                for r in self.replicas]

    def is_down(self, engine: Engine) -> bool:
        """Whether a replica is out of use now (a request that read it may then read the primary instead)."""
        return engine in self._lags and self._lags[engine] > self.max_lag_s

    def _check(self) -> None:
        position = _primary_position(self.primary)
        for replica in self.replicas:
            self._lags[replica] = _lag_s(replica, position)
        self._checked_at = time.monotonic()

    def _failed(self, ctx: ExceptionContext) -> None:
        if isinstance(ctx.sqlalchemy_exception, OperationalError | InterfaceError) and ctx.engine in self._lags:
            log.warning("replica %s failed (%s): reading elsewhere", ctx.engine.url.host,
                        type(ctx.original_exception).__name__)
            self._lags[ctx.engine] = math.inf


def _primary_position(primary: Engine) -> str | None:
    try:
        with primary.connect() as conn:
            return conn.execute(_PRIMARY_POSITION).scalar_one()
    except SQLAlchemyError:
        return None


def replica_lag_s(replica: Engine, primary: Engine) -> float:
    """Seconds `replica` is behind `primary` as the app judges it (0: it has replayed all the primary has
    written; inf: unreachable) — for tools that wait for a new replica to catch up."""
    return _lag_s(replica, _primary_position(primary))


def _lag_s(replica: Engine, primary_position: str | None) -> float:
    try:
        with replica.connect() as conn:
            return conn.execute(_REPLICA_LAG, {"primary": primary_position}).scalar_one()
    except SQLAlchemyError:
        return math.inf


def plan_for_values(conn: Connection) -> None:
    """Until the transaction ends, plan each statement for the values it runs with. psycopg prepares a statement
    after its fifth run, and PostgreSQL's generic plan for a prepared tile query cannot see the box or the dates
    it is for: it doubled a z16 tile (40 → 96 ms) from a connection's sixth request on. Not for every
    connection: re-planning the routing query made each submission ~4 ms slower (p50 13–15 → 18–19 ms)."""
    conn.execute(_PER_VALUE_PLANS)


def array_literal(values: Iterable[float]) -> str:
    """Numbers as one PostgreSQL array literal ('{1,2.5,NaN}'), for a parameter cast to an array type. psycopg
    dumps a list parameter element by element, each tested by a regex for quoting (~4 µs): the 3 × 4,096 bins of
    a binned tile spent 17 ms of a 100 ms request there, against well under 1 ms for this."""
    return "{" + ",".join(map(repr, np.asarray(values).tolist())) + "}"


_SETTINGS_SET = text("WITH b AS MATERIALIZED (SELECT name, value, current_setting(name) AS was "
                     "FROM unnest(CAST(:names AS text[]), CAST(:values AS text[])) AS t(name, value)) "
                     "SELECT name, was FROM b WHERE set_config(name, value, true) IS NOT NULL")  # read, then set
_SETTINGS_BACK = text("SELECT set_config(n, v, true) FROM unnest(CAST(:names AS text[]), CAST(:values AS text[])) "
                      "AS t(n, v)")


@contextmanager
def statement_settings(conn: Connection, values: Mapping[str, str]) -> Iterator[None]:
    """Run the statements inside with these settings (a plan PostgreSQL misjudges, a plan worth keeping), then
    give the transaction its own values back: one round trip each way. After an error they are not restored
    here (the transaction may be aborted); its end restores them, as for any SET LOCAL."""
    before = conn.execute(_SETTINGS_SET, {"names": list(values), "values": list(values.values())}).all()
    yield
    conn.execute(_SETTINGS_BACK, {"names": [n for n, _ in before], "values": [v for _, v in before]})


def serial_plans(conn: Connection) -> None:
    """Until the transaction ends, run each statement in this backend alone, without parallel workers. For a
    statement of tens of milliseconds the workers' start and gather cost more than they save once other requests
    hold the cores: a z16 tile took 66 ms in parallel against 37 ms alone while the machine was busy."""
    conn.execute(_SERIAL_PLANS)
