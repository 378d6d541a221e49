"""The schema is built by migrations only, and they agree with the models."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from aduan.models import Base
from aduan.schema import alembic_config, include_object
from tests.conftest import scratch_database


def test_models_match_migrations(engine):
    """Autogenerate finds nothing to change: models and migrations describe the same schema."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade(database_url):
    """A scratch database goes up, down to nothing, and up again."""
    with scratch_database(database_url, "mig") as scratch_url:
        cfg = alembic_config(scratch_url)
        command.downgrade(cfg, "base")
        eng = create_engine(scratch_url)
        with eng.connect() as c:
            tables = c.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname='public' "
                                    "AND tablename <> 'spatial_ref_sys' AND tablename <> 'alembic_version'")).scalar()
        eng.dispose()
        assert tables == 0
        command.upgrade(cfg, "head")
        eng = create_engine(scratch_url)
        with eng.connect() as c:
            assert c.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'peta_route'")).scalar() == 1
            assert c.execute(text("SELECT PostGIS_Lib_Version()")).scalar().startswith("3.")
        eng.dispose()
