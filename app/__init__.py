"""Peta Aduan: a GIS complaint-mapping service. `create_app()` reads like a table of contents."""
from __future__ import annotations

from importlib import import_module

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from aduan.settings import Settings

# Blueprints per audience: (module, URL prefix).
BLUEPRINTS = [
    ("app.health", ""),
    ("app.citizen.views", ""),
    ("app.api.views", "/api/v1"),
    ("app.open311.views", "/open311/v2"),
    ("app.auth.views", ""),
    ("app.field.views", "/field"),
    ("app.field.api", ""),
    ("app.planner.views", "/planner"),
    ("app.ogc.views", "/ogc"),
    ("app.tiles.views", "/tiles"),
]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the WSGI app; configuration comes from the environment (or `test_config` in tests)."""
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    settings = (test_config or {}).get("SETTINGS") or Settings()
    app.config.update(settings.as_flask_config())
    app.config.update(test_config or {})
    if settings.proxy_count:  # behind N reverse proxies: trust their X-Forwarded-For/-Proto, no more
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count)

    from app import db, errors, i18n
    from app.auth import session as staff_sessions

    db.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    staff_sessions.init_app(app)  # cookie flags, CSRF (enforced by staff blueprints), current_user
    for module, prefix in BLUEPRINTS:
        app.register_blueprint(import_module(module).bp, url_prefix=prefix or None)

    from app.cli import init_app as init_cli

    init_cli(app)
    return app
