"""Fixtures: a private primary with a streaming replica (replicakit), and the app reading public data from it."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import text

from aduan.settings import Settings
from app import create_app
from tests.conftest import MUTABLE_TABLES
from tests.replica.replicakit import Pair, primary_and_replica


@pytest.fixture(scope="session")
def pair() -> Iterator[Pair]:
    with primary_and_replica() as servers:
        yield servers


@pytest.fixture
def replica_settings(pair: Pair) -> Callable[..., Settings]:
    """Settings naming the replica; a lag allowance of an hour unless a test says otherwise."""
    def make(max_lag_s: float = 3600.0) -> Settings:
        return Settings(database_url=pair.url, database_replica_urls=(pair.replica_url,),
                        replica_max_lag_s=max_lag_s, secret_key="test-secret", submit_limit=0)

    return make


@pytest.fixture
def make_app(pair: Pair, replica_settings) -> Iterator[Callable[..., Flask]]:
    """Apps on the pair that check the replica's health on every request (tests change it between requests);
    what a test wrote is removed afterwards, on the primary and so on the replica."""
    apps: list[Flask] = []

    def make(max_lag_s: float = 3600.0) -> Flask:
        app = create_app({"SETTINGS": replica_settings(max_lag_s), "TESTING": True, "SECRET_KEY": "test-secret"})
        app.extensions["db_replicas"].ttl_s = 0
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["db_engine"].dispose()
        for replica in app.extensions["db_replicas"].replicas:
            replica.dispose()
    with pair.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {MUTABLE_TABLES}, layer_cache RESTART IDENTITY CASCADE"))
    pair.wait_replayed()
