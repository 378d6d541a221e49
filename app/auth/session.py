"""Staff sessions: a signed Flask cookie (HttpOnly, SameSite=Lax, Secure when configured) checked on the server.

The cookie holds the user id, when the session began, when it was last used, and an HMAC fingerprint of the
password hash: a changed password or a deactivated account ends every session at its next request, and an idle
or too old session is refused even if an old cookie is replayed. Pages answer an expired session with a redirect
to /login; JSON APIs with 401 problem details.

CSRF: Flask-WTF's CSRFProtect is initialised with `WTF_CSRF_CHECK_DEFAULT = False`, so blueprints that serve
machine clients (Open311, OGC, tiles, the JSON API) are left alone; staff blueprints call `protect_posts` in
their `before_request`, and any other blueprint may call `csrf.protect()` the same way.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from aduan.accounts import Account, load_account
from aduan.errors import DomainError, Forbidden
from aduan.permissions import StaffUser
from app.db import get_session
from app.errors import problem

csrf = CSRFProtect()
JSON_BLUEPRINTS = ("field_api",)


class Unauthorized(DomainError):
    status = 401
    code = "unauthenticated"


class SessionExpired(Unauthorized):
    code = "session_expired"


@dataclass(frozen=True)
class AuthSettings:
    """Session limits and cookie flags, from the environment."""

    idle_minutes: int = field(default_factory=lambda: int(os.environ.get("PETA_SESSION_IDLE_MIN", "240")))
    max_hours: int = field(default_factory=lambda: int(os.environ.get("PETA_SESSION_MAX_HOURS", "12")))
    secure_cookie: bool = field(default_factory=lambda: os.environ.get(
        "PETA_SECURE_COOKIES", "").lower() in ("1", "true", "yes"))


def init_app(app: Flask) -> None:
    """Cookie flags, CSRF, the `current_user` template global and the CSRF error page."""
    limits = app.config.setdefault("AUTH_SETTINGS", AuthSettings())
    # Flask ships defaults for these keys, so replace only the defaults (an explicit test or deployment config wins).
    for key, flask_default, ours in (
            ("SESSION_COOKIE_HTTPONLY", True, True),
            ("SESSION_COOKIE_SAMESITE", None, "Lax"),
            ("SESSION_COOKIE_SECURE", False, limits.secure_cookie),
            ("PERMANENT_SESSION_LIFETIME", dt.timedelta(days=31), dt.timedelta(hours=limits.max_hours))):
        if app.config.get(key, flask_default) == flask_default:
            app.config[key] = ours
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # A field form may stay open for hours; the token lives as long as the session does.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.jinja_env.globals["current_user"] = current_user
    app.register_error_handler(CSRFError, _csrf_failed)


def wants_json() -> bool:
    """JSON APIs get JSON errors; pages get pages and redirects."""
    return request.blueprint in JSON_BLUEPRINTS or request.path.startswith("/api/")


def _csrf_failed(err: CSRFError):
    msg_id = "Formulir kedaluwarsa atau tidak sah (token CSRF hilang/salah). Muat ulang halaman lalu coba lagi."
    msg_en = "The form is expired or invalid (CSRF token missing or wrong). Reload the page and try again."
    if wants_json():
        return problem(400, "csrf_failed", msg_id, msg_en)
    return render_template("auth/error.html", status=400, message_id=msg_id, message_en=msg_en), 400


def protect_posts() -> None:
    """`before_request` hook for staff blueprints: every state-changing request needs the CSRF token."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.protect()


def _fingerprint(password_hash: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def session_claims(account: Account, now: float | None = None) -> dict:
    """What a fresh login stores in the cookie (tests use it to open sessions without the form)."""
    now = time.time() if now is None else now
    return {"uid": account.user.id, "pwf": _fingerprint(account.password_hash), "iat": now, "seen": now}


def login_user(account: Account) -> None:
    """Start a new session (cleared first, so a planted session id cannot be fixed)."""
    session.clear()
    session.permanent = True
    session.update(session_claims(account))
    g.current_user, g.auth_state = account.user, "ok"


def logout_user() -> None:
    session.clear()
    g.current_user, g.auth_state = None, "anonymous"


def current_user() -> StaffUser | None:
    """The logged-in staff member for this request, or None (cached per request)."""
    if "auth_state" not in g:
        g.current_user, g.auth_state = _load()
    return g.current_user


def _load() -> tuple[StaffUser | None, str]:
    uid = session.get("uid")
    if not uid:
        return None, "anonymous"
    now = time.time()
    limits: AuthSettings = current_app.config["AUTH_SETTINGS"]
    too_old = now - float(session.get("iat", 0)) > limits.max_hours * 3600
    idle = now - float(session.get("seen", 0)) > limits.idle_minutes * 60
    account = None if (too_old or idle) else load_account(get_session().connection(), int(uid))
    if account is None or not account.active or not hmac.compare_digest(
            session.get("pwf", ""), _fingerprint(account.password_hash)):
        session.clear()
        return None, "expired"
    if now - float(session["seen"]) > 60:
        session["seen"] = now
    return account.user, "ok"


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: `next` must never send a user to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _refuse_anonymous():
    expired = g.get("auth_state") == "expired"
    if wants_json():
        if expired:
            raise SessionExpired("Sesi Anda telah berakhir; silakan masuk lagi.",
                                 "Your session has expired; please log in again.")
        raise Unauthorized("Silakan masuk sebagai petugas.", "Please log in as staff.")
    here = request.full_path.rstrip("?") if request.query_string else request.path
    return redirect(url_for("auth.login", next=here, **({"expired": 1} if expired else {})))


def login_required(view: Callable) -> Callable:
    """Pages redirect to the login form; JSON endpoints answer 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if current_user() is None:
            return _refuse_anonymous()
        return view(*args, **kwargs)

    return wrapped


def require_role(*roles: str) -> Callable:
    """Logged in and one of `roles`, else 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return _refuse_anonymous()
            if user.role not in roles:
                raise Forbidden("Peran Anda tidak berhak membuka halaman ini.",
                                "Your role may not open this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorate
