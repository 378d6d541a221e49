"""The desk's pages: the review queue (/desk/tinjau) and one ticket's moderation (/desk/aduan/<code>/moderasi).

Only DESK_ROLES (the desk and admins) open them: anonymous visitors are sent to the login form, other staff get
403 (app/auth/session.py's require_role); every POST carries the CSRF token (protect_posts). Each view parses,
calls one function of aduan/ and renders; a refused action shows the page again with the message and its status.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from aduan import moderation
from aduan.channels import channel_name
from aduan.errors import DomainError
from aduan.permissions import DESK_ROLES
from aduan.queries import reference, review
from app import current_settings
from app.auth.session import current_user, protect_posts, require_role
from app.db import get_session
from app.errors import page_shape, status_of
from app.i18n import current_lang, in_lang
from app.moderation import forms
from geo.routing import explain, flag_name

bp = Blueprint("moderation", __name__)
bp.before_request(protect_posts)
error_shape = page_shape("auth/error.html")


@bp.app_template_filter("flag_name")
def _flag_name(flag: str) -> str:
    """A routing flag in the reader's language (geo/routing.py's FLAG_NAMES)."""
    return flag_name(flag, current_lang())


@bp.app_template_filter("channel_name")
def _channel_name(code: str | None) -> str:
    return channel_name(code or "", current_lang())


@bp.get("/tinjau")
@require_role(*DESK_ROLES)
def queue():
    """Tickets waiting for a clerk's look: uncertain routing and desk entries, oldest first."""
    page = request.args.get("page", "1")
    q = review.review_queue(get_session().connection(), int(page) if page.isdigit() and len(page) < 7 else 1)
    return render_template("moderation/queue.html", q=q)


def _render(code: str, error: DomainError | None = None, form: dict | None = None, status: int = 200):
    conn = get_session().connection()
    t = review.moderation_ticket(conn, current_user(), code)
    why = explain(t["routing"], current_lang(), (t["skpd_code"], t["skpd_name"]))
    return render_template("moderation/ticket.html", t=t, explanation=why, error=error, form=form or {},
                           skpds=reference.skpd_choices(conn), labels=moderation.ACTION_LABELS), status


@bp.get("/aduan/<code>/moderasi")
@require_role(*DESK_ROLES)
def ticket(code: str):
    return _render(code)


@bp.post("/aduan/<code>/moderasi")
@require_role(*DESK_ROLES)
def moderate(code: str):
    """Apply one moderation; on a refusal show the page again with what the clerk typed."""
    session = get_session()
    try:
        m = forms.moderation_from_form(request.form)
        moderation.moderate(session.connection(), current_settings(), current_user(), code, m)
    except DomainError as err:
        session.rollback()
        return _render(code, err, request.form.to_dict(), status_of(err))
    session.commit()
    flash(in_lang(*moderation.ACTION_LABELS[m.action]), "ok")
    if m.action in ("confirm", "reroute") and request.form.get("next") == "queue":
        return redirect(url_for("moderation.queue"), code=303)
    return redirect(url_for("moderation.ticket", code=code), code=303)
