"""API keys for Open311 and API clients: shown once, stored as a SHA-256 hash (keys are 256-bit random)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Connection, text

PREFIX_LEN = 8


def create_api_key(conn: Connection, name: str, channels: bool = False) -> str:
    """Create a client and return its key; only the hash is kept. `channels`: a channel gateway (a WhatsApp or
    LAPOR! bridge) that may record the channel, its reference and the time of receipt, as the desk does."""
    prefix = secrets.token_hex(PREFIX_LEN // 2)
    key = f"pa_{prefix}_{secrets.token_urlsafe(32)}"
    conn.execute(text("INSERT INTO api_client (name, key_prefix, key_hash, channels) VALUES (:n, :p, :h, :c)"),
                 {"n": name, "p": prefix, "h": _hash(key), "c": channels})
    return key


def channel_gateway(conn: Connection, key: str | None) -> tuple[int, str] | None:
    """(id, name) of the active channel gateway this key belongs to, else None."""
    client_id = verify_api_key(conn, key)
    if client_id is None:
        return None
    row = conn.execute(text("SELECT id, name FROM api_client WHERE id = :i AND channels"), {"i": client_id}).first()
    return (row.id, row.name) if row else None


def verify_api_key(conn: Connection, key: str | None) -> int | None:
    """The client id for a valid active key, else None (constant-time compare of the hash)."""
    if not key or not key.startswith("pa_") or key.count("_") < 2:
        return None
    prefix = key.split("_", 2)[1]
    rows = conn.execute(text("SELECT id, key_hash FROM api_client WHERE key_prefix = :p AND active"),
                        {"p": prefix}).all()
    digest = _hash(key)
    for row in rows:
        if hmac.compare_digest(row.key_hash, digest):
            # At most once a minute, so concurrent requests of one client do not queue on this row.
            conn.execute(text("UPDATE api_client SET last_used_at = now() WHERE id = :i AND "
                              "(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"), {"i": row.id})
            return row.id
    return None


def _hash(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
