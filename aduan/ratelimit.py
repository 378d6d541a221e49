"""Flood limits for what anyone on the internet can do: submit complaints and try staff passwords.

Counters live in the database (an unlogged table), so every app instance enforces the same limit. Limits are
generous on purpose: many citizens share one address behind mobile carrier NAT, so the submission limit only
stops floods. Failed logins are limited per account and address together, and per address across accounts.
"""
from __future__ import annotations

import random

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from aduan.errors import TooManyRequests

_COUNT = text("SELECT hits FROM rate_limit WHERE key = :key AND "
              "window_start = to_timestamp(floor(extract(epoch FROM now()) / :window) * :window)")
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


def check_submission(session: Session, client_address: str | None, limit: int, key: str = "submit") -> None:
    """At most `limit` requests of kind `key` (a complaint, a photo's pin suggestion) per client address per 10
    minutes. The count is committed at once, on the request's own session, so a request that then fails still
    counts; no second connection is taken from the pool for it (a checkout and its liveness ping per request)."""
    if limit <= 0:
        return
    hit(session.connection(), f"{key}:{client_address or 'unknown'}", limit=limit, window_s=600)
    session.commit()


LOGIN_WINDOW_S = 900
ACCOUNTS_PER_ADDRESS = 5  # failures one address may make across accounts: `limit` × this


def _failures(conn: Connection, key: str) -> int:
    return conn.execute(_COUNT, {"key": key[:200], "window": LOGIN_WINDOW_S}).scalar() or 0


def _login_keys(email: str, address: str | None) -> tuple[str, str]:
    who = email.strip().lower()
    return f"login:{who}:{address or 'unknown'}", f"login-from:{address or 'unknown'}"


def check_login(engine: Engine, email: str, address: str | None, limit: int) -> None:
    """Refuse a login attempt after `limit` failures for this account from this address, or `limit` × 5 failures
    from this address across accounts, in the last 15 minutes. Counting per account *and* address means nobody
    can lock an officer out from elsewhere; counting per address stops one password tried on many accounts."""
    if limit <= 0:
        return
    pair, address_key = _login_keys(email, address)
    with engine.connect() as conn:
        if _failures(conn, pair) >= limit or _failures(conn, address_key) >= limit * ACCOUNTS_PER_ADDRESS:
            raise TooManyRequests(f"Terlalu banyak percobaan. Coba lagi dalam {LOGIN_WINDOW_S // 60} menit.",
                                  f"Too many attempts. Please try again within {LOGIN_WINDOW_S // 60} minutes.")


def login_failed(engine: Engine, email: str, address: str | None) -> None:
    """Count a failed login for the account-and-address pair and for the address."""
    with engine.begin() as conn:
        for key in _login_keys(email, address):
            conn.execute(_HIT, {"key": key[:200], "window": LOGIN_WINDOW_S})
