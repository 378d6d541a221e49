"""Peta Aduan: a GIS complaint-mapping service. `create_app()` reads like a table of contents."""
from __future__ import annotations

import datetime as dt
import os
from importlib import import_module

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from aduan.settings import Settings

# Blueprints per audience: (module, URL prefix). A module may define `error_shape` (see app/errors.py) and
# `register(app, prefix)` to register itself.
BLUEPRINTS = [
    ("app.health", ""),
    ("app.citizen.views", ""),
    ("app.reporter.views", ""),
    ("app.api.views", "/api/v1"),
    ("app.open311.views", "/open311/v2"),
    ("app.auth.views", ""),
    ("app.field.views", "/field"),
    ("app.moderation.views", "/desk"),
    ("app.desk.views", "/desk"),
    ("app.admin.views", "/admin"),
    ("app.planner.views", "/planner"),
    ("app.ogc.views", "/ogc"),
    ("app.tiles.views", "/tiles"),
]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the WSGI app; configuration comes from the environment (or `test_config` in tests)."""
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    settings = (test_config or {}).get("SETTINGS") or Settings()
    app.config.update(flask_config(settings))
    app.config.update(test_config or {})
    if settings.proxy_count:  # behind N reverse proxies: trust their X-Forwarded-For/-Proto, no more
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count)

    from app import db, errors, guards, http, i18n
    from app.auth import session as staff_sessions

    db.init_app(app)
    guards.init_app(app)
    http.init_app(app)
    i18n.init_app(app)
    staff_sessions.init_app(app)  # CSRF (enforced by staff blueprints), current_user
    shapes, shapes_by_prefix = {}, {}
    for name, prefix in BLUEPRINTS:
        module = import_module(name)
        if hasattr(module, "register"):  # a blueprint that registers itself (flask-smorest documents it)
            module.register(app, prefix)
        else:
            app.register_blueprint(module.bp, url_prefix=prefix or None)
        if hasattr(module, "error_shape"):
            shapes[module.bp.name] = module.error_shape
            if prefix:
                shapes_by_prefix[prefix] = module.error_shape
    errors.init_app(app, shapes, shapes_by_prefix)

    from app.cli import init_app as init_cli

    init_cli(app)
    return app


def flask_config(settings: Settings) -> dict:
    """Flask's upper-case keys from the one Settings object (kept beside them as SETTINGS)."""
    return {
        "SETTINGS": settings,
        "SECRET_KEY": settings.secret_key or os.urandom(32).hex(),
        # 3 photos of the per-photo limit plus the form itself.
        "MAX_CONTENT_LENGTH": 3 * settings.max_upload_bytes + 1024 * 1024,
        "JSON_SORT_KEYS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=settings.session_max_hours),
        # The staff cookie is signed and sent again only when it changes (at most once a minute, when its last-seen
        # time moves: app/auth/session.py), not on every answer: re-signing it cost ~0.5 ms of each nearby request.
        # Its limits are the server's (max age, idle time), not the cookie's expiry.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # CSRF is enforced by the staff blueprints (app/auth/session.py); a field form may stay open for hours,
        # so its token lives as long as the session does.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
    }


def current_settings() -> Settings:
    """The request's (or CLI command's) settings."""
    return current_app.config["SETTINGS"]
