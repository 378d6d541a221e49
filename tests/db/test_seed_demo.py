"""`flask seed-demo` on a scratch database: the whole demo in one transaction, every complaint routed.

The session test database holds the tiny test city other tests rely on, so this module migrates its own
`<test db>_seed` database, seeds it and drops it afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from aduan import demo
from aduan.demo import reference as ref
from aduan.settings import Settings
from app import create_app
from tests.conftest import scratch_database

N = 2000


class _Boom(RuntimeError):
    pass


@pytest.fixture(scope="module")
def scratch_url(database_url: str) -> Iterator[str]:
    with scratch_database(database_url, "seed") as url:
        yield url


@pytest.fixture(scope="module")
def seeded(scratch_url: str) -> Iterator[dict]:
    """A failed seed first (must leave nothing), then a real one, then a second one with --if-empty."""
    app = create_app({"SETTINGS": Settings(database_url=scratch_url, secret_key="x"), "TESTING": True})
    runner = app.test_cli_runner()
    eng = create_engine(scratch_url)

    def explode(*args, **kwargs):
        raise _Boom("complaint loading failed")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo, "load_complaints", explode)
        failed = runner.invoke(args=["seed-demo", "--complaints", "10"])
    with eng.connect() as c:
        left_after_failure = c.execute(text(
            "SELECT (SELECT count(*) FROM boundary_generation) + (SELECT count(*) FROM skpd) "
            "+ (SELECT count(*) FROM category) + (SELECT count(*) FROM service_area)")).scalar()
    first = runner.invoke(args=["seed-demo", "--complaints", str(N), "--seed", "5"])
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    yield {"failed": failed, "left_after_failure": left_after_failure, "first": first, "second": second,
           "engine": eng}
    eng.dispose()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def db(seeded) -> Engine:
    return seeded["engine"]


def _scalar(engine: Engine, sql: str):
    with engine.connect() as c:
        return c.execute(text(sql)).scalar()


def test_a_failed_seed_leaves_nothing(seeded):
    """One transaction: when loading the complaints fails, no boundaries or reference rows stay behind."""
    assert isinstance(seeded["failed"].exception, _Boom)
    assert seeded["left_after_failure"] == 0


def test_seed_shows_stages_and_a_summary(seeded):
    """The operator sees each stage, complaint progress, and a closing summary that says SYNTHETIC."""
    out = seeded["first"].output
    assert seeded["first"].exit_code == 0, out
    for line in ("==> loading boundary generation", "==> loading SKPD", "complaints routed:", "SYNTHETIC",
                 "5 kecamatan, 52 kelurahan", "by SKPD:"):
        assert line in out


def test_reference_rows_are_loaded(db):
    """5 kecamatan, 52 kelurahan, every SKPD, category and service area of the demo."""
    assert _scalar(db, "SELECT count(*) FROM kecamatan") == 5
    assert _scalar(db, "SELECT count(*) FROM kelurahan") == 52
    assert _scalar(db, "SELECT count(*) FROM kelurahan WHERE population IS NULL OR area_km2 <= 0") == 0
    assert _scalar(db, "SELECT count(*) FROM skpd") == len(ref.SKPD)
    assert _scalar(db, "SELECT count(*) FROM category") == len(ref.CATEGORIES)
    assert _scalar(db, "SELECT count(*) FROM service_area WHERE valid_to IS NULL") == len(ref.SERVICE_AREAS)
    assert _scalar(db, "SELECT count(*) FROM service_area_category") == sum(
        len(a.categories) for a in ref.SERVICE_AREAS)


def test_generation_is_synthetic_and_active(db):
    """The demo boundaries are labelled synthetic and are the active generation."""
    with db.connect() as c:
        rows = c.execute(text("SELECT synthetic, active, name FROM boundary_generation")).all()
    assert len(rows) == 1 and rows[0].synthetic and rows[0].active
    assert "SINTETIS" in rows[0].name


def test_complaints_loaded_or_reported(seeded, db):
    """All 2,000 complaints go in (none may vanish silently: loaded + refused = generated)."""
    loaded = _scalar(db, "SELECT count(*) FROM complaint")
    assert loaded >= N - 10
    assert f"{loaded:,} loaded, {N - loaded:,} refused" in seeded["first"].output
    assert _scalar(db, "SELECT count(*) FROM complaint_event WHERE kind = 'created'") == loaded


def test_every_complaint_is_routed_to_an_skpd(db):
    """Each complaint has a kelurahan and an SKPD; service areas decide some, category defaults the rest."""
    assert _scalar(db, "SELECT count(*) FROM complaint WHERE skpd_id IS NULL OR kelurahan_id IS NULL") == 0
    with db.connect() as c:
        rules = dict(c.execute(text("SELECT (routing).skpd_rule, count(*) FROM complaint GROUP BY 1")).all())
        skpd = c.execute(text("SELECT count(DISTINCT skpd_id) FROM complaint")).scalar()
    assert set(rules) == {"service_area", "category_default"}
    assert skpd >= 10
    assert _scalar(db, "SELECT count(*) FROM complaint c JOIN category k ON k.id = c.category_id "
                       "WHERE k.confidential AND c.public") == 0


def test_overlapping_service_areas_route_by_priority(db):
    """Flooding inside both the PUPR drainage zone and the BPBD flood zone goes to BPBD (higher priority)."""
    n = _scalar(db, """
        SELECT count(*) FROM complaint c
          JOIN category k ON k.id = c.category_id AND k.code = 'genangan-banjir'
          JOIN service_area d ON d.name = 'Zona Pemeliharaan Drainase PUPR Pusat Kota' AND ST_Covers(d.geom, c.geom)
          JOIN service_area f ON f.name = 'Zona Rawan Banjir BPBD' AND ST_Covers(f.geom, c.geom)
          JOIN skpd s ON s.id = c.skpd_id
         WHERE s.code <> 'BPBD'""")
    both = _scalar(db, """
        SELECT count(*) FROM complaint c
          JOIN service_area d ON d.name = 'Zona Pemeliharaan Drainase PUPR Pusat Kota' AND ST_Covers(d.geom, c.geom)
          JOIN service_area f ON f.name = 'Zona Rawan Banjir BPBD' AND ST_Covers(f.geom, c.geom)""")
    assert both > 0 and n == 0


def test_if_empty_leaves_a_seeded_database_alone(seeded, db):
    """A second run with --if-empty says so and writes nothing."""
    assert seeded["second"].exit_code == 0
    assert "nothing to do" in seeded["second"].output
    assert _scalar(db, "SELECT count(*) FROM boundary_generation") == 1
    assert _scalar(db, "SELECT count(*) FROM complaint") <= N
