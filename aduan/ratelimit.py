"""Flood limits for what anyone on the internet can do: submit complaints and try staff passwords.

Counters live in the database (an unlogged table), so every app instance enforces the same limit. Limits are
generous on purpose: many citizens share one address behind mobile carrier NAT, so the submission limit only
stops floods. Login attempts are limited per e-mail address, which stops password guessing against one account.
"""
from __future__ import annotations

import random

from sqlalchemy import Connection, Engine, text

from aduan.errors import TooManyRequests

_HIT = text("""
INSERT INTO rate_limit (key, window_start, hits)
VALUES (:key, to_timestamp(floor(extract(epoch FROM now()) / :window) * :window), 1)
ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit.hits + 1
RETURNING hits
""")


def hit(conn: Connection, key: str, *, limit: int, window_s: int) -> None:
    """Count one attempt for `key`; raise TooManyRequests past `limit` in the current window."""
    if limit <= 0:
        return
    hits = conn.execute(_HIT, {"key": key[:200], "window": window_s}).scalar_one()
    if random.random() < 0.01:  # keep the table small without a scheduler
        conn.execute(text("DELETE FROM rate_limit WHERE window_start < now() - interval '1 day'"))
    if hits > limit:
        minutes = max(1, window_s // 60)
        raise TooManyRequests(f"Terlalu banyak percobaan. Coba lagi dalam {minutes} menit.",
                              f"Too many attempts. Please try again within {minutes} minutes.")


def check_submission(engine: Engine, client_address: str | None, limit: int) -> None:
    """At most `limit` complaints per client address per 10 minutes (counted in its own transaction)."""
    with engine.begin() as conn:
        hit(conn, f"submit:{client_address or 'unknown'}", limit=limit, window_s=600)


def check_login(engine: Engine, email: str, limit: int) -> None:
    """At most `limit` login attempts per e-mail address per 15 minutes."""
    with engine.begin() as conn:
        hit(conn, f"login:{email.strip().lower()}", limit=limit, window_s=900)
