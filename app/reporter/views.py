"""The reporter's private page at /balas/<token> and following a public ticket by e-mail.

The token in the link is the credential (it came in a message to the reporter; it is not the tracking code), so
these pages need no account. Each form posts one action; a refusal shows the page again with the message and
what was typed.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for

from aduan import followers, replies
from aduan.errors import DomainError
from aduan.ratelimit import hit
from aduan.tracking import normalise_code
from app import current_settings
from app.db import get_engine, get_session
from app.errors import page_shape, status_of
from app.i18n import current_lang

bp = Blueprint("reporter", __name__)
error_shape = page_shape("citizen/error.html")
FOLLOW_LIMIT = 20  # follow requests per client address per 10 minutes


@bp.after_request
def _private(resp):
    """A page reached by a private link shows what its holder may do: kept out of shared browsers' caches and out
    of search engines (the token is in its address)."""
    if "token" in (request.view_args or {}):
        resp.headers["Cache-Control"] = "private, no-store"
        resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    return resp


def _page(token: str, error: DomainError | None = None, form: dict | None = None, status: int = 200, done=None):
    data = replies.page(get_session().connection(), token, current_settings(), dt.datetime.now(dt.UTC))
    return render_template("reporter/reply.html", p=data, t=data["ticket"], token=token, error=error,
                           form=form or {}, done=done), status


@bp.get("/balas/<token>")
def reply_page(token: str):
    return _page(token, done=request.args.get("ok"))


ACTIONS = {
    "reply": lambda c, t, f, s, now: replies.reply(c, t, f.get("note", ""), _photo(), s, now),
    "confirm": lambda c, t, f, s, now: replies.confirm(c, t, s, now),
    "reopen": lambda c, t, f, s, now: replies.reopen(c, t, f.get("reason", ""), s, now),
    "rate": lambda c, t, f, s, now: replies.rate(c, t, f.get("score"), f.get("comment"), now),
    "stop": lambda c, t, f, s, now: replies.set_notify(c, t, False),
    "resume": lambda c, t, f, s, now: replies.set_notify(c, t, True),
}


def _photo() -> bytes | None:
    upload = request.files.get("photo")
    return upload.read(current_settings().max_upload_bytes + 1) if upload and upload.filename else None


@bp.post("/balas/<token>")
def reply_action(token: str):
    """Apply one action of the private page; a refusal keeps the reporter's text."""
    action = request.form.get("action", "")
    session = get_session()
    try:
        if action not in ACTIONS:
            raise DomainError("Tindakan tidak dikenal.", "Unknown action.", field="action")
        ACTIONS[action](session.connection(), token, request.form, current_settings(), dt.datetime.now(dt.UTC))
    except DomainError as err:
        session.rollback()
        return _page(token, err, request.form.to_dict(), status_of(err))
    session.commit()
    return redirect(url_for("reporter.reply_page", token=token, ok=action), 303)


@bp.post("/lacak/<code>/ikuti")
def follow(code: str):
    """Ask to follow a public ticket; the answer is the same whether or not the address already follows."""
    code = normalise_code(code)
    try:
        with get_engine().begin() as conn:
            hit(conn, f"follow:{request.remote_addr or 'unknown'}", limit=FOLLOW_LIMIT, window_s=600)
        with get_engine().begin() as conn:
            followers.follow(conn, code, request.form.get("email", ""), current_lang(), current_settings())
    except DomainError as err:
        return render_template("reporter/follow.html", code=code, error=err), status_of(err)
    return render_template("reporter/follow.html", code=code, asked=True)


@bp.get("/ikuti/<token>")
def follow_confirm(token: str):
    """The link in the confirmation message: following starts."""
    with get_engine().begin() as conn:
        code = followers.confirm(conn, token, dt.datetime.now(dt.UTC))
    return render_template("reporter/follow.html", code=code, confirmed=True)


@bp.get("/berhenti/<token>")
def unfollow_page(token: str):
    return render_template("reporter/follow.html", token=token, unfollow=True)


@bp.post("/berhenti/<token>")
def unfollow(token: str):
    with get_engine().begin() as conn:
        followers.unfollow(conn, token)
    return render_template("reporter/follow.html", stopped=True)
