"""/healthz tells a sysadmin whether the database and PostGIS answer and which boundaries are active."""


def test_healthz_reports_database_postgis_and_generation(client):
    """A healthy service answers 200 with versions and the active generation."""
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["boundary_generation"]["name"] == "test city"


def test_healthz_unreachable_database_is_503(engine):
    """With the database unreachable the answer is 503, not a crash."""
    from aduan.settings import Settings
    from app import create_app

    bad = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", secret_key="x")
    resp = create_app({"SETTINGS": bad, "TESTING": True}).test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"


def test_healthz_names_a_schema_older_than_the_code_but_serves_on_a_newer_one(client, engine):
    """The code was updated but `flask db upgrade` not run: its writes would fail, so 503 naming both revisions
    and the command, instead of "ok". A schema newer than the code is a rolling upgrade under way (migrations
    first, old instances still serving): 200, or the balancer would take every old instance out at once."""
    from sqlalchemy import text

    from aduan.schema import code_revisions

    head, older = code_revisions()[0], code_revisions()[1]
    assert client.get("/healthz").get_json()["schema_revision"] == head
    answers = {}
    try:
        for revision in (older, "9999"):
            with engine.begin() as c:
                c.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
            answers[revision] = client.get("/healthz")
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    body = answers[older].get_json()
    assert answers[older].status_code == 503 and body["error"] == "schema_behind_code"
    assert body["schema_revision"] == older and body["code_revision"] == head
    assert "db upgrade" in body["message"] and "db upgrade" in body["message_id"]
    newer = answers["9999"]
    assert newer.status_code == 200 and newer.get_json()["schema_revision"] == "9999"


def test_healthz_names_a_metric_crs_other_than_the_schemas(engine, database_url):
    """PETA_METRIC_SRID changed after the first migration: 503 saying which two disagree."""
    from aduan.settings import Settings
    from app import create_app

    wrong = Settings(database_url=database_url, secret_key="x", metric_srid=32751)
    resp = create_app({"SETTINGS": wrong, "TESTING": True}).test_client().get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 503 and body["error"] == "metric_srid_mismatch"
    assert "32751" in body["message"] and "EPSG:32750" in body["message"]


def test_healthz_says_how_far_ahead_the_monthly_partitions_go_and_warns_without_next_month(client, engine,
                                                                                           settings):
    """Normally three months ahead; with the worker not running since, no partition for next month: still 200 (a
    submission then makes its month), with a warning naming the command."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from aduan import partitions

    body = client.get("/healthz").get_json()
    assert body["partitions"]["months_ahead"] >= 3 and "warning" not in body
    coming = partitions.next_months(dt.datetime.now(ZoneInfo(settings.timezone)).date(), 3)[1:]
    try:
        with engine.begin() as c:
            for key in reversed(coming):
                for parent in ("complaint_event", "complaint"):
                    name = partitions.partition_name(parent, key)
                    c.execute(text(f"ALTER TABLE {parent} DETACH PARTITION {name}"))
                    c.execute(text(f"DROP TABLE {name}"))
        resp = client.get("/healthz")
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["partitions"]["months_ahead"] == 0 and "flask db partitions" in body["warning"]
    finally:
        partitions.ensure_ahead(engine, settings)
