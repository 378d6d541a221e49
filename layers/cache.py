"""Layer results cached in PostgreSQL, so every app instance shares them and restarts keep them.

The key is a SHA-256 of the layer name, its parameters (filters, resolution, tile address) and the data
version: the newest complaint change, the newest complaint id, the active boundary generation and the city's
days off. Any new or edited complaint changes the version, so a cached entry is never served for data it did
not see; entries of older versions are deleted when their replacement is written. Computations are
deterministic (fixed permutation seed), so a cache hit returns exactly what a recomputation would.
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Connection, text

_VERSION = text("""
SELECT concat_ws('|', (SELECT max(updated_at) FROM complaint), (SELECT max(id) FROM complaint),
                 (SELECT max(id) FROM boundary_generation WHERE active),
                 (SELECT count(*) || ':' || coalesce(max(day), '1970-01-01') FROM day_off))
""")
_GET = text("SELECT payload FROM layer_cache WHERE key = :k")
_PUT = text("""
WITH gone AS (DELETE FROM layer_cache WHERE params_hash = :ph AND data_version <> :v)
INSERT INTO layer_cache (key, layer, params_hash, data_version, payload)
VALUES (:k, :layer, :ph, :v, :payload) ON CONFLICT (key) DO NOTHING
""")


def data_version(conn: Connection) -> str:
    """What the cached layers depend on, read from indexes (a few index lookups, not a table scan)."""
    return conn.execute(_VERSION).scalar_one()


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def cached_bytes(conn: Connection, layer: str, params: dict, compute: Callable[[], bytes],
                 version: str | None = None) -> bytes:
    """Return the cached payload or compute, store and return it (the caller's transaction commits it)."""
    version = version if version is not None else data_version(conn)
    params_hash = _hash(layer, params)
    key = _hash(params_hash, version)
    hit = conn.execute(_GET, {"k": key}).scalar()
    if hit is not None:
        return bytes(hit)
    payload = compute()
    conn.execute(_PUT, {"k": key, "layer": layer, "ph": params_hash, "v": version, "payload": payload})
    return payload


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
