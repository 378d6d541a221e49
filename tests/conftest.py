"""Fixtures: a real PostGIS test database whose schema is built by running the migrations.

TEST_DATABASE_URL names the test database; without it, `<DATABASE_URL's database>_test` on the same server is
used. Either is created if missing (the role needs CREATEDB, or create it beforehand).
Tests never touch the database that `make run` serves.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError

from aduan.schema import alembic_config, create_database, drop_database
from aduan.settings import Settings, normalise_db_url
from app import create_app
from layers.counts import drift
from tests import citykit

# Tables emptied after tests that commit (API and browser tests); boundaries and reference data stay.
MUTABLE_TABLES = "attachment, complaint_event, complaint, reporter, app_user, api_client, day_off, rate_limit"


def _test_database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    base = make_url(Settings().database_url)
    test_url = make_url(normalise_db_url(url)) if url else base.set(database=f"{base.database}_test")
    return create_database(test_url.render_as_string(hide_password=False))


@contextmanager
def scratch_database(database_url: str, suffix: str) -> Iterator[str]:
    """A migrated database of its own (`<test db>_<suffix>`) for tests that must not touch the shared one."""
    url = make_url(database_url)
    scratch = create_database(url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False),
                              replace=True)
    try:
        command.upgrade(alembic_config(scratch), "head")
        yield scratch
    finally:
        drop_database(scratch)


@pytest.fixture(scope="session")
def database_url() -> str:
    return _test_database_url()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """A freshly migrated test database with the tiny test city as active generation."""
    eng = create_engine(database_url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("DROP EXTENSION IF EXISTS postgis CASCADE"))
    command.upgrade(alembic_config(database_url), "head")
    with eng.begin() as conn:
        citykit.build_city(conn)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        trans = connection.begin()
        yield connection
        _check_counts(connection)
        trans.rollback()


def _check_counts(connection: Connection) -> None:
    """Whatever a test wrote, the layers' per-cell counts still equal a recount (tests/db/test_complaint_counts.py).
    A transaction the test left failed is not checked (its own failure is the report)."""
    try:
        with connection.begin_nested():
            gone_wrong = drift(connection)
    except DBAPIError:
        return
    assert gone_wrong == [], f"complaint_count drifted from the complaints: {gone_wrong[:5]}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret")


@pytest.fixture
def app(engine: Engine, settings: Settings):
    """The Flask app on the test database; what a test commits is removed afterwards."""
    application = create_app({"SETTINGS": settings, "TESTING": True, "SECRET_KEY": "test-secret"})
    yield application
    application.extensions["db_engine"].dispose()
    with engine.connect() as connection:
        _check_counts(connection)
    for attempt in range(3):  # a browser's last request (a service worker's prefetch) may still hold a lock
        try:
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {MUTABLE_TABLES} RESTART IDENTITY CASCADE"))
            break
        except OperationalError:
            if attempt == 2:
                raise
            time.sleep(0.5)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ids(engine: Engine) -> dict[str, dict[str, int]]:
    """Ids of the test city's reference rows by code."""
    with engine.connect() as c:
        return {
            "skpd": dict(c.execute(text("SELECT code, id FROM skpd")).all()),
            "category": dict(c.execute(text("SELECT code, id FROM category")).all()),
            "kelurahan": dict(c.execute(text("SELECT code, id FROM kelurahan")).all()),
        }
