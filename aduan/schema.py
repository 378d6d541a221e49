"""The schema's plumbing without Flask: Alembic pointed at our migrations, and scratch databases for tests and
benchmarks."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, make_url, text

MONTH_PARTITION = re.compile(r"^complaint(_event)?_y\d{4}m\d{2}$")
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic config pointing at our migrations and the given database."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@cache
def code_revisions() -> tuple[str, ...]:
    """The migrations this code ships, newest first (read once). A database at an older one lacks what the code
    needs; one at a revision not in the list is newer than the code, as during a rolling upgrade, which migrates
    first while the old version keeps running (docs/deploy.md)."""
    return tuple(r.revision for r in ScriptDirectory.from_config(alembic_config("")).walk_revisions())


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(url: str, *, replace: bool = False, template: str | None = None) -> str:
    """Create the database named in `url` if missing (dropped first with replace=True): tests and benchmarks.
    With `template`, as a copy of that database on the same server (which nothing may be connected to)."""
    name = make_url(url).database
    admin = _admin(url)
    with admin.connect() as c:
        quote = c.dialect.identifier_preparer.quote
        if replace:
            c.execute(text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
        if not c.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}).scalar():
            copy = f" TEMPLATE {quote(template)}" if template else ""
            c.execute(text(f"CREATE DATABASE {quote(name)}{copy}"))
    admin.dispose()
    return url


def drop_database(url: str) -> None:
    """Drop the database named in `url`, closing its connections."""
    admin = _admin(url)
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {c.dialect.identifier_preparer.quote(make_url(url).database)} "
                       "WITH (FORCE)"))
    admin.dispose()


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """Leave PostGIS's own tables alone when comparing models and database, and the monthly partitions (made by
    peta_ensure_month, not by a migration: the model describes their parent)."""
    if type_ == "table" and (name == "spatial_ref_sys" or MONTH_PARTITION.match(name)):
        return False
    if type_ in ("index", "unique_constraint", "foreign_key_constraint") and MONTH_PARTITION.match(obj.table.name):
        return False
    if type_ == "foreign_key_constraint" and MONTH_PARTITION.match(obj.referred_table.name):
        return False  # PostgreSQL's own copy of a key pointing at a partitioned table, one per partition
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
