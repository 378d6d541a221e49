"""API clients from the admin pages: list, create (the key is returned to show once), revoke.

Keys are made by aduan/api_keys.py and stored hashed; the audit log records the client's name and key prefix,
never the key.
"""
from __future__ import annotations

from sqlalchemy import Connection, text

from aduan.admin import Actor, audit
from aduan.api_keys import create_api_key
from aduan.errors import DomainError, NotFound

_LIST = text("SELECT id, name, key_prefix, channels, active, created_at, last_used_at FROM api_client "
             "ORDER BY active DESC, created_at DESC, id DESC")


def list_clients(conn: Connection) -> list[dict]:
    """Every client, active first; `last_used_at` is updated at most once a minute."""
    return [dict(r) for r in conn.execute(_LIST).mappings()]


def create(conn: Connection, actor: Actor, name: str, channels: bool) -> str:
    """A new client; returns its key (shown once, only its hash is kept)."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError("Nama klien wajib diisi (paling banyak 200 karakter).",
                          "The client name is required (at most 200 characters).", field="name")
    key = create_api_key(conn, name, channels=channels)
    prefix = key.split("_", 2)[1]
    client_id = conn.execute(text("SELECT id FROM api_client WHERE key_prefix = :p ORDER BY id DESC LIMIT 1"),
                             {"p": prefix}).scalar_one()
    audit(conn, actor, "api_client.create", f"api_client:{client_id}",
          {"name": name, "key_prefix": prefix, "channels": channels})
    return key


def revoke(conn: Connection, actor: Actor, client_id: int) -> None:
    """The key stops working at once (verify_api_key only accepts active clients)."""
    row = conn.execute(text("UPDATE api_client SET active = false WHERE id = :i RETURNING name, key_prefix"),
                       {"i": client_id}).first()
    if row is None:
        raise NotFound("Klien API tidak ditemukan.", "No such API client.")
    audit(conn, actor, "api_client.revoke", f"api_client:{client_id}", {"name": row.name, "key_prefix": row.key_prefix})
