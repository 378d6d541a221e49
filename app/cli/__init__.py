"""`flask --app app …` commands: migrate, import, seed, users, keys, layers."""
from __future__ import annotations

from importlib import import_module

from flask import Flask

# Each module lists its click commands in COMMANDS.
MODULES = ["database", "boundaries", "setup", "seed", "complaints", "staff", "layers", "clients", "worker", "places"]


def init_app(app: Flask) -> None:
    """Register every command."""
    for name in MODULES:
        for command in import_module(f"app.cli.{name}").COMMANDS:
            app.cli.add_command(command)
