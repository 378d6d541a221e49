"""Alembic environment: GeoAlchemy2's helpers in both branches so autogenerate leaves PostGIS alone."""
from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from aduan.models import Base
from aduan.schema import include_object
from aduan.settings import Settings, metric_srid_from_env

config = context.config
target_metadata = Base.metadata
# The city's metric CRS, for the metric geometry column and the routing function; versions read it from here.
config.attributes.setdefault("metric_srid", int(config.get_main_option("metric_srid") or metric_srid_from_env()))
# The layers' H3 grid and the city's time zone, for the complaint counts (0015).
config.attributes.setdefault("h3_resolution", Settings().h3_resolution)
config.attributes.setdefault("timezone", Settings().timezone)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _options() -> dict:
    return dict(
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, **_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
