"""Which server answers: public reads a replica, writes and a writer's own next reads the primary, staff the
primary, a lagging replica nobody. The proof is a marker ticket written while the replica's replay is paused: it
exists on the primary only, so an answer that shows it was read there and one that lacks it on the replica."""
from __future__ import annotations

import math
import time

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from aduan.db import HEALTH_TTL_S
from aduan.settings import Settings
from app import create_app
from app.db import OWN_WRITES_COOKIE
from layers import cache
from tests import fieldkit

PIN = (114.51, -3.39)  # Kelurahan A of the test city; make_ticket's default place
PUBLIC_READS = ["/api/v1/map-points", "/ogc/collections/complaints/items", "/planner/export/complaints.geojson"]


def _tile_url(z: int = 15) -> str:
    n = 2**z
    x = int((PIN[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(PIN[1]))) / math.pi) / 2 * n)
    return f"/tiles/complaints/{z}/{x}/{y}.pbf"


def _shows(client, url: str, code: str) -> bool:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
    if url.endswith(".pbf"):
        feats = mapbox_vector_tile.decode(r.data).get("complaints", {"features": []})["features"]
        return any(f["properties"].get("tracking_code") == code for f in feats)
    return code in r.get_data(as_text=True)


@pytest.fixture
def before_and_marker(pair, replica_settings):
    """A ticket both servers hold, then (replay paused) a marker ticket only the primary holds."""
    before = fieldkit.make_ticket(pair.engine, replica_settings(), created_at="2026-11-02 08:00")
    pair.wait_replayed()
    with pair.replay_paused():
        marker = fieldkit.make_ticket(pair.engine, replica_settings(), created_at="2026-11-02 09:00")
        yield before, marker


@pytest.mark.parametrize("url", [*PUBLIC_READS, _tile_url()])
def test_public_reads_are_answered_by_the_replica(make_app, before_and_marker, url):
    """Map points, OGC items, exports and tiles show what the replica holds, not the primary's newest ticket."""
    before, marker = before_and_marker
    client = make_app().test_client()
    assert _shows(client, url, before)
    assert not _shows(client, url, marker)


def test_without_replicas_the_same_reads_see_the_primary(make_app, pair, before_and_marker):
    """The control: an app with no replica configured shows the marker at the same URLs."""
    _, marker = before_and_marker
    app = create_app({"SETTINGS": Settings(database_url=pair.url, secret_key="test-secret"), "TESTING": True})
    try:
        assert all(_shows(app.test_client(), url, marker) for url in [*PUBLIC_READS, _tile_url()])
    finally:
        app.extensions["db_engine"].dispose()


def test_a_submission_is_stored_on_the_primary_and_its_browser_then_reads_the_primary(make_app, pair):
    """After the form posts, the tracking page and the same browser's public map show the new ticket while the
    replica has not replayed it; another browser's map reads the replica and does not show it yet."""
    app = make_app()
    citizen, stranger = app.test_client(), app.test_client()
    with pair.replay_paused():
        r = citizen.post("/lapor", data={"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar",
                                         "lon": str(PIN[0]), "lat": str(PIN[1])})
        assert r.status_code == 303
        assert f"{OWN_WRITES_COOKIE}=1" in r.headers["Set-Cookie"] and "Max-Age=" in r.headers["Set-Cookie"]
        code = r.headers["Location"].split("/lacak/")[1].split("?")[0]
        assert citizen.get(r.headers["Location"]).status_code == 200
        assert stranger.get(f"/lacak/{code}").status_code == 200  # tracking always reads the primary
        assert _shows(citizen, "/api/v1/map-points", code)
        assert not _shows(stranger, "/api/v1/map-points", code)
    with pair.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM complaint WHERE tracking_code = :c"), {"c": code}).scalar() == 1


def test_own_writes_window_covers_lag_and_check_interval(make_app):
    """The cookie lasts longer than a replica in use can be behind: max lag plus one health-check interval."""
    app = make_app(max_lag_s=5)
    app.extensions["db_replicas"].ttl_s = HEALTH_TTL_S  # as in production
    r = app.test_client().post("/api/v1/complaints", json={"category": "jalan-rusak", "description": "Lampu mati",
                                                          "lon": PIN[0], "lat": PIN[1]})
    assert r.status_code == 201
    assert "Max-Age=9" in r.headers["Set-Cookie"]  # 5 s lag + 3 s between checks, rounded up, + 1


def test_staff_sessions_read_the_primary(make_app, pair, before_and_marker):
    """A logged-in planner's layers and exports come from the primary (staff pages never read a replica)."""
    _, marker = before_and_marker
    fieldkit.make_user(pair.engine, "perencana@example.id", "planner")  # the replica is paused: primary only
    client = make_app().test_client()
    assert fieldkit.login(client, "perencana@example.id").status_code == 303
    client.delete_cookie(OWN_WRITES_COOKIE)  # the login was a write: keep only the staff session
    assert _shows(client, "/planner/export/complaints.geojson", marker)


def tile_entries(pair) -> list[bytes]:
    """The complaints tiles in the primary's layer cache, oldest first."""
    with pair.engine.connect() as conn:
        return [bytes(p) for p in conn.execute(text(
            "SELECT payload FROM layer_cache WHERE layer = 'tile:complaints' ORDER BY created_at")).scalars()]


def test_a_tile_computed_on_the_replica_is_cached_on_the_primary_and_read_from_there(make_app, pair,
                                                                                        replica_settings):
    """The layer cache is UNLOGGED, so on the primary only: a tile the replica built is stored there, for every
    instance and replica to share, and the next request the replica answers takes it from there."""
    fieldkit.make_ticket(pair.engine, replica_settings())
    pair.wait_replayed()
    client = make_app().test_client()
    first = client.get(_tile_url())
    assert first.status_code == 200
    assert tile_entries(pair) == [first.data]
    with pair.engine.begin() as conn:  # a payload that only the primary's cache holds
        conn.execute(text("UPDATE layer_cache SET payload = CAST('from the primary' AS bytea)"))
    assert client.get(_tile_url()).data == b"from the primary"


def test_a_lagging_replica_keeps_the_primarys_newer_tile_and_newer_data_replaces_both(make_app, pair,
                                                                                        replica_settings):
    """Storing a tile deletes other versions of it only if they were stored before the data it was computed
    from: a replica behind the primary stores its older tile beside the primary's newer one, not in its place;
    once the replica has replayed a newer ticket still, its tile replaces both."""
    settings = replica_settings()
    fieldkit.make_ticket(pair.engine, settings, created_at="2026-11-02 08:00")
    pair.wait_replayed()
    app = make_app()
    on_primary, on_replica = app.test_client(), app.test_client()
    on_primary.set_cookie(OWN_WRITES_COOKIE, "1")  # a browser that has just written reads the primary
    with pair.replay_paused():
        marker = fieldkit.make_ticket(pair.engine, settings, created_at="2026-11-02 09:00")
        assert _shows(on_primary, _tile_url(), marker) and not _shows(on_replica, _tile_url(), marker)
        newer, older = on_primary.get(_tile_url()).data, on_replica.get(_tile_url()).data  # both cache hits
        assert tile_entries(pair) == [newer, older]
    fieldkit.make_ticket(pair.engine, settings, created_at="2026-11-02 10:00")
    pair.wait_replayed()
    newest = on_replica.get(_tile_url()).data
    assert tile_entries(pair) == [newest] and newest not in (newer, older)


def test_cache_on_points_the_layer_cache_at_another_database(pair):
    """The hook without the app: on a replica connection, `cache_on(primary)` looks up and stores there."""
    with pair.replica_engine.connect() as replica, cache.cache_on(pair.engine):
        assert cache.cached_bytes(replica, "probe", {"n": 1}, lambda: b"computed", "v1") == b"computed"
        assert cache.cached_bytes(replica, "probe", {"n": 1}, lambda: pytest.fail("not cached"), "v1") == b"computed"
    assert cache.CACHE_ENGINE.get() is None
    with pair.engine.begin() as conn:
        assert conn.execute(text("DELETE FROM layer_cache WHERE layer = 'probe' RETURNING payload")).all() == [
            (b"computed",)]


def test_a_lagging_replica_is_skipped_without_an_error(make_app, pair, replica_settings):
    """Replay paused with WAL waiting and its last replayed commit older than the allowance: the primary
    answers (the marker shows), with a 200; resumed, the replica is in use again."""
    app = make_app(max_lag_s=0.5)
    with pair.replay_paused():
        marker = fieldkit.make_ticket(pair.engine, replica_settings())
        pair.wait_received_not_replayed()
        time.sleep(0.6)  # the last commit the replica replayed is now older than the allowance
        assert _shows(app.test_client(), "/api/v1/map-points", marker)
        with app.app_context():
            assert app.extensions["db_replicas"].healthy() == []
    pair.wait_replayed()
    with app.app_context():
        assert app.extensions["db_replicas"].healthy() == app.extensions["db_replicas"].replicas


def test_an_idle_primary_does_not_make_its_replica_late(make_app, pair):
    """Nothing written for longer than the allowance: the replica's last replayed commit is old, yet it has
    replayed all there is, so it stays in use."""
    pair.wait_replayed()
    app = make_app(max_lag_s=0.5)
    time.sleep(1.0)
    with app.app_context():
        assert app.extensions["db_replicas"].healthy() == app.extensions["db_replicas"].replicas
