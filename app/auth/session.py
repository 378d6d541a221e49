"""Staff sessions: a signed Flask cookie (HttpOnly, SameSite=Lax, Secure when configured) checked on the server.

The cookie holds the user id, the token of its server-side session (table staff_session, which keeps only the
token's hash), when it began, when it was last used, and an HMAC fingerprint of the password hash: logging out
deletes the server-side session, so a copied cookie is worthless afterwards; a changed password or a deactivated
account ends every session at its next request; an idle or too old session is refused even if replayed. Pages
answer an expired session with a redirect to /login; JSON APIs with 401 problem details.

CSRF: Flask-WTF's CSRFProtect is initialised with `WTF_CSRF_CHECK_DEFAULT = False`, so blueprints that serve
machine clients (Open311, OGC, tiles, the JSON API) are left alone; staff blueprints call `protect_posts` in
their `before_request`, and any other blueprint may call `csrf.protect()` the same way.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from aduan.accounts import Account, close_session, open_session, session_account
from aduan.errors import Forbidden, SessionExpired, Unauthorized
from aduan.permissions import StaffUser
from app import current_settings
from app.db import get_engine, get_session

csrf = CSRFProtect()


USER_HEADER = "X-Peta-User"  # whose answer this is (static/sw.js keeps it in that user's cache only)


def init_app(app: Flask) -> None:
    """CSRF (checked by the staff blueprints, see protect_posts), the `current_user` template global, and the
    header that names a staff answer's user."""
    csrf.init_app(app)
    app.jinja_env.globals["current_user"] = current_user
    app.after_request(_name_user)


def _name_user(resp: Response) -> Response:
    """An answer made for a logged-in staff member says whose it is, so the field service worker files it in that
    member's offline cache even when no page has told it yet who is logged in (a message a reload can cut off).
    Only the member's own id, already in each staff page (data-user); never on an answer to anyone else."""
    user = g.get("current_user") if g.get("auth_state") == "ok" else None
    if user is not None:
        resp.headers[USER_HEADER] = str(user.id)
        resp.vary.add("Cookie")
    return resp


def wants_json() -> bool:
    """JSON APIs get 401 problem details; pages get a redirect to the login form."""
    return request.path.startswith("/api/")


def protect_posts() -> None:
    """`before_request` hook for staff blueprints: every state-changing request needs the CSRF token."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.protect()


def _fingerprint(password_hash: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def session_claims(account: Account, now: float | None = None) -> dict:
    """What a fresh login stores in the cookie, after opening its server-side session (tests use it to open
    sessions without the form)."""
    now = time.time() if now is None else now
    with get_engine().begin() as conn:
        sid = open_session(conn, account.user.id, current_settings().session_max_hours)
    return {"uid": account.user.id, "sid": sid, "pwf": _fingerprint(account.password_hash), "iat": now, "seen": now}


def login_user(account: Account) -> None:
    """Start a new session (cleared first, so a planted session id cannot be fixed)."""
    session.clear()
    session.permanent = True
    session.update(session_claims(account))
    g.current_user, g.auth_state = account.user, "ok"


def logout_user() -> None:
    """End the session on the server too: a copy of the cookie is worth nothing afterwards."""
    with get_engine().begin() as conn:
        close_session(conn, session.get("sid"))
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
    settings = current_settings()
    too_old = now - float(session.get("iat", 0)) > settings.session_max_hours * 3600
    idle = now - float(session.get("seen", 0)) > settings.session_idle_minutes * 60
    conn = get_session().connection()
    account = None if (too_old or idle) else session_account(conn, int(uid), session.get("sid"))
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
