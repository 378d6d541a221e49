"""`cached_many`: many cache entries in one lookup; only the missing ones are computed, in one call."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from layers.cache import cached_bytes, cached_many


def test_only_missing_entries_are_computed_and_then_served(conn):
    calls: list[list[int]] = []

    def compute(missing: list[int]) -> list[bytes]:
        calls.append(missing)
        return [f"part {i}".encode() for i in missing]

    entries = [({"cell": c}, "v1") for c in range(4)]
    assert cached_many(conn, "probe", entries[:2], compute) == [b"part 0", b"part 1"]
    assert cached_many(conn, "probe", entries, lambda missing: [f"new {i}".encode() for i in missing]) == \
        [b"part 0", b"part 1", b"new 2", b"new 3"]
    assert cached_many(conn, "probe", entries, compute) == [b"part 0", b"part 1", b"new 2", b"new 3"]
    assert calls == [[0, 1]]  # the last call found all four


def test_a_new_version_of_one_entry_replaces_only_that_entry(conn):
    entries = [({"cell": 1}, "v1"), ({"cell": 2}, "v1")]
    cached_many(conn, "probe", entries, lambda missing: [b"old"] * len(missing))
    newer = [({"cell": 1}, "v2"), ({"cell": 2}, "v1")]
    assert cached_many(conn, "probe", newer, lambda missing: [b"fresh"] * len(missing)) == [b"fresh", b"old"]
    assert conn.execute(text("SELECT count(*) FROM layer_cache WHERE layer = 'probe'")).scalar() == 2
    assert cached_bytes(conn, "probe", {"cell": 1}, lambda: b"never", "v2") == b"fresh"


def test_payloads_are_stored_with_a_fast_compression(conn):
    """LZ4 where the server has it, else no compression; never pglz: a big tile's store cost 10 ms with pglz."""
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL default_toast_compression = lz4"))
        has_lz4 = True
    except DBAPIError:
        has_lz4 = False
    compression, storage = conn.execute(text(
        "SELECT attcompression, attstorage FROM pg_attribute WHERE attrelid = 'layer_cache'::regclass "
        "AND attname = 'payload'")).one()
    assert (compression, storage) == (("l", "x") if has_lz4 else ("", "e"))
    conn.execute(text("INSERT INTO layer_cache (key, layer, params_hash, data_version, payload, created_at) "
                      "VALUES ('probe-lz4', 'probe', 'probe', 'v', decode(repeat('00ff', 200000), 'hex'), now())"))
    method = conn.execute(text("SELECT pg_column_compression(payload) FROM layer_cache WHERE key = 'probe-lz4'"))
    assert method.scalar() == ("lz4" if has_lz4 else None)
