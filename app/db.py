"""One engine per process for writes, replicas for public reads, one session per request, closed on teardown.

A view that reads only public data asks `read_engine()`: a healthy streaming replica when DATABASE_REPLICA_URL
names one (aduan/db.py says how lag is measured), otherwise the primary. Writes, staff sessions and a browser
that wrote within the last `own_writes_s()` seconds (a short-lived cookie, so a citizen sees their own report on
the public map) read the primary. A replica that fails in the middle of a GET makes the error handler run the
view once more on the primary (app/errors.py), so its failure never reaches the user.

Layers cache what they compute in `layer_cache` (layers/cache.py) through the connection they read from. That
table is UNLOGGED, so it exists on the primary only (a replica can neither read nor write it): on a replica
connection the cache's two statements run on the primary instead, so every instance and replica shares one
cache and only a miss is computed on the replica; with the primary down a layer is computed and not kept.
"""
from __future__ import annotations

import logging
import math

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import Connection, Engine, Executable, Result, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aduan.db import ReplicaSet, make_engine
from layers import cache

log = logging.getLogger(__name__)
OWN_WRITES_COOKIE = "peta_primary"
READS = ("GET", "HEAD")
_MISS = text("SELECT NULL::bytea AS payload WHERE false")


def init_app(app: Flask) -> None:
    """Bind the engines to the app and close the request's session after each request."""
    settings = app.config["SETTINGS"]
    engine = make_engine(settings.database_url)
    replicas = [make_engine(url) for url in settings.database_replica_urls]
    for replica in replicas:
        replica._connection_cls = _layer_cache_on(engine)  # SQLAlchemy's Engine.connect() makes this class
    app.extensions["db_engine"] = engine
    app.extensions["db_replicas"] = ReplicaSet(engine, replicas, settings.replica_max_lag_s)
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    if replicas:
        app.after_request(_remember_own_writes)


def get_engine() -> Engine:
    """The primary: writes, and reads that must see the latest writes."""
    return current_app.extensions["db_engine"]


def read_engine() -> Engine:
    """Where this request's public reads go, chosen once per request."""
    if "read_engine" not in g:
        g.read_engine = get_engine() if _needs_primary() else current_app.extensions["db_replicas"].choose()
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


def _layer_cache_on(primary: Engine) -> type[Connection]:
    """The connection class of a replica: statements of the layer cache go to the primary."""
    class ReplicaConnection(Connection):
        def execute(self, statement, parameters=None, *, execution_options=None):  # noqa: ANN001, ANN201
            if statement is cache._GET or statement is cache._PUT:
                return _on_primary(primary, statement, parameters) or super().execute(_MISS)
            return super().execute(statement, parameters, execution_options=execution_options)

    return ReplicaConnection


def _on_primary(primary: Engine, statement: Executable, parameters: dict) -> Result | None:
    """The statement's result read in full on the primary, or None if the primary is away."""
    try:
        with primary.begin() as conn:
            result = conn.execute(statement, parameters)
            return result.freeze()() if result.returns_rows else result
    except SQLAlchemyError as err:
        log.info("layer cache not reached (primary unavailable: %s)", type(err).__name__)
        return None


def get_session() -> Session:
    """The request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        if exc is not None:
            db_session.rollback()
        db_session.close()
