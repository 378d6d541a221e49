"""Peta Aduan: a GIS complaint-mapping service. `create_app()` reads like a table of contents."""
from __future__ import annotations

from flask import Flask

from app.config import Settings


def create_app(test_config: dict | None = None) -> Flask:
    """Build the WSGI app; configuration comes from the environment (or `test_config` in tests)."""
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    settings = (test_config or {}).get("SETTINGS") or Settings()
    app.config.update(settings.as_flask_config())
    app.config.update(test_config or {})

    from app import db, errors

    db.init_app(app)
    errors.init_app(app)

    from app.health import bp as health_bp

    app.register_blueprint(health_bp)

    from app.cli import init_app as init_cli

    init_cli(app)
    return app
