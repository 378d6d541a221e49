"""Staff login and logout at /login and /logout (citizens need no account)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from aduan.accounts import authenticate
from aduan.errors import TooManyRequests
from aduan.permissions import StaffUser
from aduan.ratelimit import check_login, login_failed
from app import current_settings
from app.auth.session import current_user, login_user, logout_user, protect_posts, safe_next
from app.db import get_engine, get_session
from app.errors import page_shape

bp = Blueprint("auth", __name__)
bp.before_request(protect_posts)
error_shape = page_shape("auth/error.html")  # e.g. a login form without its CSRF token


def home_for(user: StaffUser) -> str:
    """Where a user lands after login: the desk and SKPD admins on their queue, planners on the layers, the field
    on nearby tickets."""
    if user.role == "planner":
        return url_for("planner.map_page")
    return url_for("field.queue") if user.role in ("skpd_admin", "desk", "admin") else url_for("field.nearby")


@bp.get("/login")
def login():
    return render_template("auth/login.html", next=safe_next(request.args.get("next")),
                           expired=request.args.get("expired") == "1", user=current_user())


@bp.post("/login")
def login_post():
    email = request.form.get("email", "")
    try:
        check_login(get_engine(), email, request.remote_addr, current_settings().login_limit)
    except TooManyRequests as err:
        return render_template("auth/login.html", next=safe_next(request.form.get("next")), failed=True,
                               throttled=err, email=email[:200], user=None), 429
    session = get_session()
    account = authenticate(session.connection(), email, request.form.get("password", ""))
    if account is None:
        login_failed(get_engine(), email, request.remote_addr)
        return render_template("auth/login.html", next=safe_next(request.form.get("next")), failed=True,
                               email=email[:200], user=None), 401
    session.commit()  # a re-hashed password
    login_user(account)
    return redirect(safe_next(request.form.get("next")) or home_for(account.user), code=303)


@bp.get("/logout")
def logout():
    if current_user() is None:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html")


@bp.post("/logout")
def logout_post():
    logout_user()
    return redirect(url_for("auth.login", bye=1), code=303)
