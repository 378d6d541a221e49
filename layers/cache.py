"""Layer results cached in PostgreSQL, so every app instance shares them and restarts keep them.

The key is a SHA-256 of the layer name, its parameters (filters, resolution, tile address) and the data
version: the newest complaint change, the newest complaint id, the active boundary generation and the city's
days off. Any new or edited complaint changes the version, so a cached entry is never served for data it did
not see; entries of older versions are deleted when a newer one is written (`_PUT`). Computations are
deterministic (fixed permutation seed), so a cache hit returns exactly what a recomputation would.

The cache lives in the database the layer is read from, unless `CACHE_ENGINE` names another one: a streaming
replica has no `layer_cache` (the table is UNLOGGED) and cannot write, so the app points a request that reads a
replica at the primary (app/db.py), where every instance and replica shares one cache.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Where the layer cache lives in the current context: None = the caller's database, read and written on its
# connection, in its transaction; an Engine = another database, each lookup and store in a short transaction of
# its own. Set it with `cache_on`, or CACHE_ENGINE.set / .reset around a request.
CACHE_ENGINE: ContextVar[Engine | None] = ContextVar("layer_cache_engine", default=None)
AWAY_S = 3.0  # a cache engine that failed is not tried again for this long (a host gone costs connect_timeout)
_away_until: dict[Engine, float] = {}

_VERSION = text("""
SELECT concat_ws('|', (SELECT max(updated_at) FROM complaint), (SELECT max(id) FROM complaint),
                 (SELECT max(id) FROM boundary_generation WHERE active),
                 (SELECT count(*) || ':' || coalesce(max(day), '1970-01-01') FROM day_off))
""")
# How new the caller's data is, on the primary's clock, as a bound for deleting other versions (`_PUT`): a
# primary holds everything (+inf: any other version is older); a replica everything up to the last commit it
# replayed (-inf when it has replayed none since it started: delete nothing).
_DATA_AS_OF = text("""
SELECT CASE WHEN NOT pg_is_in_recovery() THEN 'Infinity'::float8
            ELSE coalesce(extract(epoch FROM pg_last_xact_replay_timestamp())::float8, '-Infinity') END
""")
_GET = text("SELECT key, payload FROM layer_cache WHERE key = ANY(CAST(:ks AS text[]))")
# Entries of other versions of the same parameters go if they were stored before the writer's data was current
# (`as_of`). Each entry is stamped when it is stored, after its computation, so one stored before the last commit
# the writer holds was computed from data the writer holds too (the same or older: superseded), while one
# computed from newer data (the primary's, while the writing replica lags) stays. Both clocks are the primary's.
# All entries of one computation go in one statement (a binned tile stores hundreds of parts at once), its payloads
# sent as one binary bytea[] (`%(payload)b`: psycopg quotes a bytea[] in text form in Python, 100 ms for the 2.3 MB
# of a new z14 tile's parts against 3 ms in binary). Run with `exec_driver_sql`, which passes the placeholders on.
_PUT = """
WITH new AS (SELECT * FROM unnest(CAST(%(k)s AS text[]), CAST(%(ph)s AS text[]), CAST(%(v)s AS text[]),
                                  %(payload)b) AS n(key, params_hash, data_version, payload)),
gone AS (DELETE FROM layer_cache c USING new WHERE c.params_hash = new.params_hash
                                             AND c.data_version <> new.data_version
                                             AND c.created_at < to_timestamp(CAST(%(as_of)s AS float8)))
INSERT INTO layer_cache (key, layer, params_hash, data_version, payload, created_at)
SELECT key, %(layer)s, params_hash, data_version, payload, clock_timestamp() FROM new ON CONFLICT (key) DO NOTHING
"""


@contextmanager
def cache_on(engine: Engine | None) -> Iterator[None]:
    """Within the block, the layer cache is read and written through `engine` (None: the caller's connection)."""
    token = CACHE_ENGINE.set(engine)
    try:
        yield
    finally:
        CACHE_ENGINE.reset(token)


def data_version(conn: Connection) -> str:
    """What the cached layers depend on, read from indexes (a few index lookups, not a table scan)."""
    return conn.execute(_VERSION).scalar_one()


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def cached_bytes(conn: Connection, layer: str, params: dict, compute: Callable[[], bytes],
                 version: str | None = None) -> bytes:
    """Return the cached payload or compute, store and return it: on `conn` (the caller's transaction commits
    it), or through `CACHE_ENGINE` when set; a cache engine that is away is skipped (computed, not stored)."""
    version = version if version is not None else data_version(conn)
    return cached_many(conn, layer, [(params, version)], lambda missing: [compute()])[0]


def cached_many(conn: Connection, layer: str, entries: list[tuple[dict, str]],
                compute: Callable[[list[int]], list[bytes]]) -> list[bytes]:
    """`cached_bytes` for many (params, version) entries of one layer, looked up in one query: `compute` gets the
    positions of the entries not found and returns their payloads in that order (one computation for all of
    them, e.g. the one cell of a tile that changed)."""
    rows = []
    for params, version in entries:
        params_hash = _hash(layer, params)
        rows.append({"k": _hash(params_hash, version), "ph": params_hash, "v": version})
    keys = [r["k"] for r in rows]
    engine = CACHE_ENGINE.get()
    if engine is None:
        found = dict(conn.execute(_GET, {"ks": keys}).all())
    elif not _reachable(engine):
        return compute(list(range(len(entries))))
    else:
        try:
            with engine.connect() as cache_conn:
                found = dict(cache_conn.execute(_GET, {"ks": keys}).all())
        except SQLAlchemyError as err:
            _went_away(engine, err)
            return compute(list(range(len(entries))))
    missing = [i for i, k in enumerate(keys) if k not in found]
    if not missing:
        return [bytes(found[k]) for k in keys]
    # how new the data is, read before computing (it is at least this new); a hit costs no such query
    as_of = math.inf if engine is None else conn.execute(_DATA_AS_OF).scalar_one()
    made = compute(missing)
    store = {"layer": layer, "as_of": as_of, "payload": made,
             **{name: [rows[i][name] for i in missing] for name in ("k", "ph", "v")}}
    if engine is None:
        conn.exec_driver_sql(_PUT, store)
    else:
        try:
            with engine.begin() as cache_conn:
                cache_conn.exec_driver_sql(_PUT, store)
        except SQLAlchemyError as err:
            _went_away(engine, err)
    found.update((rows[i]["k"], payload) for i, payload in zip(missing, made, strict=True))
    return [bytes(found[k]) for k in keys]


def _reachable(engine: Engine) -> bool:
    return time.monotonic() >= _away_until.get(engine, -math.inf)


def _went_away(engine: Engine, err: SQLAlchemyError) -> None:
    """An unreachable cache costs recomputation, not an error; it is skipped for AWAY_S, not asked per layer."""
    log.info("layer cache on %s not reached (%s): computing without it for %.0f s", engine.url.host,
             type(err).__name__, AWAY_S)
    _away_until[engine] = time.monotonic() + AWAY_S


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    """A table as JSON (not pickle: a payload read back from the database must never run code)."""
    return frame.to_json(orient="split", index=False, double_precision=15, date_format="iso").encode()


def frame_from_bytes(payload: bytes) -> pd.DataFrame:
    return pd.read_json(io.BytesIO(payload), orient="split", dtype=False)


def cached_frame(conn: Connection, layer: str, params: dict, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`cached_bytes` for tables."""
    return frame_from_bytes(cached_bytes(conn, layer, params, lambda: frame_to_bytes(compute())))


def prune(conn: Connection) -> int:
    """Delete entries computed for older data; returns how many went."""
    return conn.execute(text("DELETE FROM layer_cache WHERE data_version <> :v"),
                        {"v": data_version(conn)}).rowcount
