"""The desk's intake page: a clerk enters a complaint that arrived by WhatsApp, LAPOR!, a call or at the counter,
with its channel, the channel's reference and when it was received, on the reporter's behalf. The same reference
entered twice (two clerks, a double click) opens the first ticket, saying who entered it and when."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from aduan import intake
from aduan.channels import DESK_CHANNELS
from aduan.errors import DomainError
from aduan.permissions import DESK_ROLES
from app import current_settings
from app.api import schemas
from app.auth.session import current_user, protect_posts, require_role
from app.citizen.views import report_form
from app.db import get_session
from app.errors import page_shape, status_of
from app.i18n import moment

bp = Blueprint("desk", __name__)
bp.before_request(protect_posts)
error_shape = page_shape("auth/error.html")


def _form_page(values: dict | None = None, error: DomainError | None = None, status: int = 200):
    return report_form("desk/new.html", values, error, status, channels=DESK_CHANNELS)


@bp.get("/baru")
@require_role(*DESK_ROLES)
def new():
    return _form_page()


@bp.post("/baru")
@require_role(*DESK_ROLES)
def submit():
    """Store the entry as the clerk's; errors show the form again with everything typed (photos excepted)."""
    user = current_user()
    photos = [f.read() for f in request.files.getlist("photos") if f and f.filename]
    try:
        body = schemas.load(schemas.NewComplaint, request.form)
        sub = schemas.submission(body, photos, "desk", schemas.Clerk(f"desk:{user.id}", user.id, user.label))
        result = intake.submit(get_session(), sub, current_settings())
    except DomainError as err:
        get_session().rollback()
        return _form_page(request.form.to_dict(), err, status_of(err))
    if result.created:
        flash(_("Aduan dicatat: %(code)s, diteruskan ke %(skpd)s.", code=result.tracking_code, skpd=result.skpd_name),
              "ok")
    else:
        who = result.entry.by if result.entry else "?"
        when = moment(result.entry.at if result.entry else None)
        flash(_("Pesan ini sudah dicatat sebelumnya oleh %(who)s (diterima %(when)s): %(code)s.",
                who=who, when=when, code=result.tracking_code), "warn")
    return redirect(url_for("field.ticket", code=result.tracking_code), 303)
