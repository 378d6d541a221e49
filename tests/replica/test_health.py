"""`/healthz` with a replica: the replica's lag is reported, and with the primary down the instance answers 200
"degraded" (public reads still serve from the replica), so a load balancer keeps it in — marking every instance
down for a primary they all share would stop the public map too (deploy/haproxy.cfg checks /healthz)."""
from __future__ import annotations

import time

from tests import fieldkit


def test_healthz_lists_each_replica_with_its_lag(pair, make_app):
    pair.wait_replayed()
    body = make_app().test_client().get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["replicas"] == [{"server": f"127.0.0.1:{pair.replica.port}/peta_aduan_test_replica", "lag_s": 0.0,
                                 "in_use": True}]
    assert "postgres@" not in str(body)  # the server, never the credentials


def test_with_the_primary_down_healthz_is_degraded_not_down(pair, make_app):
    client = make_app().test_client()
    with pair.stopped(pair.primary):
        r = client.get("/healthz")
        body = r.get_json()
        assert r.status_code == 200 and body["status"] == "degraded"
        assert body["database"] == "primary_unreachable" and body["replicas"][0]["in_use"] is True
        assert "replika" in body["message_id"] and "replica" in body["message"]
        assert client.get("/api/v1/map-points").status_code == 200  # what "degraded" promises


def test_a_replica_lagging_beyond_the_limit_is_reported_out_of_use(pair, make_app, replica_settings):
    client = make_app(max_lag_s=0.5).test_client()
    # a commit replayed first: a replica restarted by an earlier test and given none since has no replay time at
    # all (its lag is then unknown, reported as None, not as seconds)
    fieldkit.make_ticket(pair.engine, replica_settings())
    pair.wait_replayed()
    with pair.replay_paused():
        fieldkit.make_ticket(pair.engine, replica_settings())  # written on the primary, not replayed
        pair.wait_received_not_replayed()
        time.sleep(0.6)  # the last commit the replica replayed is now older than the allowance
        body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["replicas"][0]["in_use"] is False
    assert body["replicas"][0]["lag_s"] > 0.5
