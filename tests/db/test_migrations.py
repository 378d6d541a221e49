"""The schema is built by migrations only, and they agree with the models."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, text

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


def test_model_checks_match_the_database(conn):
    """Every named check the models declare is the check migrations made (autogenerate does not compare checks):
    the model's text, as PostgreSQL normalises it on a copy of the table, equals the migrated constraint's."""
    compared = 0
    for table in Base.metadata.sorted_tables:
        for check in (c for c in table.constraints if isinstance(c, CheckConstraint) and c.name):
            migrated = conn.execute(text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                "AND conname = :n"), {"t": table.name, "n": check.name}).scalar()
            assert migrated is not None, f"{table.name}.{check.name} is missing from the database"
            # fixed names from the models, no values: a scratch copy of the table with the model's check on it
            conn.execute(text(f'CREATE TEMP TABLE model_check (LIKE "{table.name}") ON COMMIT DROP'))
            conn.execute(text(f"ALTER TABLE model_check ADD CONSTRAINT model CHECK ({check.sqltext}) NOT VALID"))
            declared = conn.execute(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                         "WHERE conrelid = 'model_check'::regclass AND conname = 'model'")).scalar()
            conn.execute(text("DROP TABLE model_check"))
            assert declared.removesuffix(" NOT VALID") == migrated, f"{table.name}.{check.name}"
            compared += 1
    assert compared >= 3


@pytest.mark.parametrize("valid", [True, False])
def test_an_upgrade_that_stopped_after_the_concurrent_index_runs_again(database_url, valid):
    """0018 builds its index outside the migration's transaction, so a later migration's failure left it behind and
    every retry failed on it ("already exists"); a build cut short leaves it invalid. Either way a retry goes on."""
    with scratch_database(database_url, "mig_retry") as scratch_url:
        cfg = alembic_config(scratch_url)
        command.downgrade(cfg, "0017")
        eng = create_engine(scratch_url)
        with eng.begin() as c:  # as a stopped run leaves it: built, or marked invalid
            c.execute(text("CREATE INDEX complaint_cell ON complaint (h3_cell, created_at)"))
            c.execute(text("UPDATE pg_index SET indisvalid = :v WHERE indexrelid = 'complaint_cell'::regclass"),
                      {"v": valid})
        eng.dispose()
        command.upgrade(cfg, "head")
        eng = create_engine(scratch_url)
        with eng.connect() as c:
            assert c.execute(text("SELECT bool_and(i.indisvalid) FROM pg_index i "
                                  "JOIN pg_class x ON x.oid = i.indexrelid "
                                  "WHERE x.relname LIKE 'complaint%cell'")).scalar() is True
        eng.dispose()
