"""Field pages (phone first): nearby tickets, the ticket page with its status update, the SKPD queue.

Each view parses, calls one domain function, renders. Domain errors become a page with the Indonesian and
English message and their 4xx status; a refused update re-renders the ticket with what the officer typed.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from aduan import assignment
from aduan.clocks import WorkCalendar
from aduan.errors import DomainError
from aduan.queries import nearby as near
from aduan.queries import queue as wall
from aduan.queries import reference, tickets
from aduan.sla import sla_of
from aduan.statuses import label
from aduan.tracking import normalise_code
from aduan.workflow import ACTION_LABELS, Outcome, StaleUpdate, apply
from app import current_settings
from app.api import schemas
from app.auth.session import current_user, login_required, protect_posts
from app.db import get_session
from app.errors import page_shape, status_of
from app.field import forms
from app.http import ROW_ID
from app.i18n import current_lang, number
from geo.routing import explain

bp = Blueprint("field", __name__)
bp.before_request(protect_posts)
error_shape = page_shape("auth/error.html")


def _ctx():
    settings = current_settings()
    conn = get_session().connection()
    return settings, conn, WorkCalendar.from_connection(conn, settings.timezone), dt.datetime.now(dt.UTC)




@bp.get("/sw.js")
def service_worker():
    """The field PWA's service worker (static/sw.js), served here so its scope covers /field/; always revalidated."""
    resp = current_app.send_static_file("sw.js")
    resp.mimetype = "text/javascript"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/")
@login_required
def index():
    return redirect(url_for("field.nearby"))


@bp.get("/sekitar")
@login_required
def nearby():
    """Map and list; with lon/lat in the URL the list is rendered here too, so it works without JavaScript."""
    settings, conn, cal, now = _ctx()
    user = current_user()
    found, query = None, None
    if request.args.get("lon") and request.args.get("lat"):
        query = schemas.nearby_query(schemas.load(schemas.NearbyArgs, request.args), user)
        rows = near.find_nearby(conn, settings, user, query, now)
        found = near.feature_collection(rows, query, user, cal, now, current_lang())["features"]
    return render_template("field/nearby.html", features=found, query=query, args=request.args,
                           skpds=reference.skpd_choices(conn), categories=reference.category_choices(conn),
                           radius_max=near.RADIUS_MAX)


def _render_ticket(code: str, form: dict | None = None, error: DomainError | None = None, status: int = 200):
    settings, conn, cal, now = _ctx()
    user = current_user()
    ticket = tickets.staff_ticket(conn, user, code)
    return render_template(
        "field/ticket.html", t=ticket, sla=sla_of(cal, now, **ticket),
        explanation=explain(ticket["routing"], current_lang(), (ticket["skpd_code"], ticket["skpd_name"])),
        form=form or {}, error=error, skpds=reference.skpd_choices(conn), action_labels=ACTION_LABELS,
        onsite_max_m=settings.onsite_max_m), status


@bp.get("/aduan/<code>")
@login_required
def ticket(code: str):
    """A code typed by hand (lower case, without dashes) leads to the ticket's own address."""
    if (canonical := normalise_code(code)) and canonical != code:
        return redirect(url_for("field.ticket", code=canonical))
    return _render_ticket(code)


@bp.post("/aduan/<code>")
@login_required
def ticket_update(code: str):
    """Apply one change; on a refusal show the ticket again with the officer's text kept (nothing lost)."""
    settings, conn, _, _ = _ctx()
    session = get_session()
    try:
        change = forms.change_from_form(request.form, request.files.get("photo"),
                                        settings.max_upload_bytes)
        outcome = apply(conn, settings, current_user(), code, change)
    except DomainError as err:
        session.rollback()
        form = request.form.to_dict()
        if isinstance(err, StaleUpdate):
            form.pop("version", None)  # the page shows the latest state; its version goes into the form
        return _render_ticket(code, form=form, error=err, status=status_of(err))
    session.commit()
    _flash_outcome(outcome)
    return redirect(url_for("field.ticket", code=code), code=303)


def _flash_outcome(outcome: Outcome) -> None:
    flash(_("Tersimpan. Status: %(status)s", status=label(outcome.status, current_lang())), "ok")
    onsite = outcome.data.get("onsite") or {}
    if "offsite" in outcome.flags:
        flash(_("Posisi Anda %(distance)s m dari lokasi aduan (batas %(limit)s m): dicatat sebagai penyelesaian "
                "di luar lokasi.", distance=number(onsite["distance_m"], 0), limit=number(onsite["max_m"], 0)), "warn")
    elif "no_position" in outcome.flags:
        flash(_("Posisi Anda tidak terkirim: penyelesaian dicatat tanpa pemeriksaan lokasi."), "warn")


@bp.get(f"/foto/<{ROW_ID}:photo_id>")
@login_required
def photo(photo_id: int):
    _, conn, _, _ = _ctx()
    data, content_type = tickets.photo_for_staff(conn, current_user(), photo_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=86400",
                                                          "X-Content-Type-Options": "nosniff"})


@bp.get("/antrian")
@login_required
def queue():
    """The SKPD's open tickets, overdue first, filtered and paged, with the wall counts."""
    _, conn, cal, now = _ctx()
    user = current_user()
    query = forms.queue_query(request.args, wall.queue_skpd(user, (request.args.get("skpd") or "").strip() or None))
    q = wall.skpd_queue(conn, cal, query, user, now)
    officers = assignment.officers(conn, user.skpd_id) if user.skpd_id else []
    return render_template("field/queue.html", q=q, skpds=reference.skpd_choices(conn), user=user,
                           categories=reference.category_choices(conn), officers=officers,
                           kelurahan=reference.kelurahan_choices(conn), args=request.args,
                           page_url=lambda page: url_for("field.queue", **(request.args.to_dict() | {"page": page})))


@bp.post("/aduan/<code>/tugaskan")
@login_required
def assign(code: str):
    """Give the ticket to an officer of its SKPD (or to nobody); back to the ticket with a message."""
    officer = forms.officer_id(request.form)
    label = assignment.assign(get_session().connection(), current_user(), code, officer)
    get_session().commit()
    flash(_("Ditugaskan ke %(name)s.", name=label) if label else _("Penugasan dicabut."), "ok")
    return redirect(url_for("field.ticket", code=code), code=303)
