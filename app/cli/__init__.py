"""`flask --app app …` commands: migrate, import, seed, users, keys."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every command group."""
    from app.cli import boundaries, database, seed

    app.cli.add_command(database.db)
    app.cli.add_command(boundaries.import_boundaries)
    app.cli.add_command(seed.seed_demo)
