"""One engine per process for writes, replicas for public reads, one session per request, closed on teardown.

A view that reads only public data asks `read_engine()`: a healthy streaming replica when DATABASE_REPLICA_URL
names one (aduan/db.py says how lag is measured), otherwise the primary. Writes, staff sessions and a browser
that wrote within the last `own_writes_s()` seconds (a short-lived cookie, so a citizen sees their own report on
the public map) read the primary. A replica that fails in the middle of a GET makes the error handler run the
view once more on the primary (app/errors.py), so its failure never reaches the user.

Layers cache what they compute in `layer_cache` (layers/cache.py). That table is UNLOGGED, so it exists on the
primary only (a replica can neither read nor write it): a request that reads a replica sets the cache's
`CACHE_ENGINE` to the primary until its teardown, so every instance and replica shares one cache and only a miss
is computed on the replica; with the primary down a layer is computed and not kept.
"""
from __future__ import annotations

import math

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aduan.db import ReplicaSet, make_engine
from layers import cache

OWN_WRITES_COOKIE = "peta_primary"
READS = ("GET", "HEAD")


def init_app(app: Flask) -> None:
    """Bind the engines to the app; after each request close its session and put the layer cache back."""
    settings = app.config["SETTINGS"]
    engine = make_engine(settings.database_url)
    replicas = [make_engine(url) for url in settings.database_replica_urls]
    app.extensions["db_engine"] = engine
    app.extensions["db_replicas"] = ReplicaSet(engine, replicas, settings.replica_max_lag_s)
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    app.teardown_request(_layer_cache_home)
    if replicas:
        app.after_request(_remember_own_writes)


def get_engine() -> Engine:
    """The primary: writes, and reads that must see the latest writes."""
    return current_app.extensions["db_engine"]


def read_engine() -> Engine:
    """Where this request's public reads go, chosen once per request."""
    if "read_engine" not in g:
        g.read_engine = get_engine() if _needs_primary() else current_app.extensions["db_replicas"].choose()
        if g.read_engine is not get_engine():  # a replica: the layer cache is on the primary (module docstring)
            g.layer_cache_token = cache.CACHE_ENGINE.set(get_engine())
    return g.read_engine


def _needs_primary() -> bool:
    has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies  # no Vary: Cookie otherwise
    return (request.method not in READS or OWN_WRITES_COOKIE in request.cookies
            or (has_session and session.get("uid") is not None))


def read_primary_instead() -> bool:
    """After a database error: if this request read a replica that has just failed, read the primary from now
    on and say so (the caller repeats the view)."""
    engine = g.get("read_engine")
    if engine is None or not current_app.extensions["db_replicas"].is_down(engine):
        return False
    g.read_engine = get_engine()
    _layer_cache_home(None)  # the view runs again on the primary: the cache on its connection, as without replicas
    return True


def own_writes_s() -> int:
    """How long a browser reads the primary after writing: a replica in use lagged at most max_lag at its last
    check, at most HEALTH_TTL_S ago, so after this long it holds the write."""
    replicas = current_app.extensions["db_replicas"]
    return math.ceil(replicas.max_lag_s + replicas.ttl_s) + 1


def _remember_own_writes(resp: Response) -> Response:
    if request.method not in READS and resp.status_code < 400:
        resp.set_cookie(OWN_WRITES_COOKIE, "1", max_age=own_writes_s(), httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return resp


def get_session() -> Session:
    """The request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        if exc is not None or not _commit_if_read_only(db_session):
            db_session.rollback()
        db_session.close()


_WROTE = text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")  # an id is assigned at the first write


def _commit_if_read_only(db_session: Session) -> bool:
    """End a transaction that wrote nothing with COMMIT, which for it means what ROLLBACK means, because psycopg
    forgets every prepared statement of the connection on ROLLBACK: read-only requests then planned each of their
    statements anew, and a statement over the monthly partitions costs ~8 ms to plan (the nearby KNN walk), ~0.5 ms
    to run from a kept plan. False when it wrote (or failed): the caller rolls back, as before."""
    try:
        if not db_session.in_transaction() or db_session.execute(_WROTE).scalar():
            return False
        db_session.commit()
        return True
    except SQLAlchemyError:
        return False


def _layer_cache_home(exc: BaseException | None) -> None:
    """The layer cache back where it was before this request read a replica."""
    token = g.pop("layer_cache_token", None)
    if token is not None:
        cache.CACHE_ENGINE.reset(token)
