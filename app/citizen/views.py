"""Citizen pages: report by pin, track by code, public map. No account needed."""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for

from aduan import intake
from aduan.clocks import WorkCalendar, zone_name
from aduan.errors import DomainError, NotFound
from aduan.queries import public, reference
from aduan.ratelimit import check_submission
from aduan.sla import sla_of
from aduan.tracking import normalise_code
from app import current_settings
from app.api import schemas
from app.db import get_engine, get_session, read_engine
from app.errors import page_shape, status_of
from app.i18n import current_lang
from geo.routing import explain
from layers.statement import month_of, period_label, public_statement

bp = Blueprint("citizen", __name__)
error_shape = page_shape("citizen/error.html")  # e.g. 503 while the database is away


def report_form(template: str, values: dict | None = None, error: DomainError | None = None, status: int = 200,
                **extra: object):
    """The report form (the citizen's, or the desk's built on it) with what was typed and a fresh idempotency key."""
    with read_engine().connect() as conn:
        categories = reference.all_categories(conn)
    values = dict(values or {})
    values.setdefault("idempotency_key", str(uuid.uuid4()))
    return render_template(template, categories=categories, values=values, error=error,
                           settings=current_settings(), **extra), status


def _form_page(values: dict | None = None, error: DomainError | None = None, status: int = 200):
    return report_form("citizen/report.html", values, error, status)


@bp.get("/")
def index():
    return _form_page()


@bp.post("/lapor")
def submit():
    """The form posts here (works without JavaScript too); errors re-show the form with what was typed."""
    photos = [f.read() for f in request.files.getlist("photos") if f and f.filename]
    try:
        check_submission(get_session(), request.remote_addr, current_settings().submit_limit)
        body = schemas.load(schemas.NewComplaint, request.form) | {"lang": current_lang()}
        sub = schemas.submission(body, photos, "web")
        sub.idempotency_scope = "web"
        result = intake.submit(get_session(), sub, current_settings())
    except DomainError as err:
        get_session().rollback()
        return _form_page(request.form.to_dict(), err, status_of(err))
    return redirect(url_for("citizen.track", code=result.tracking_code, baru=1), 303)


@bp.get("/lacak")
def track_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("citizen.track", code=normalise_code(code)))
    return render_template("citizen/track_search.html")


@bp.get("/lacak/<code>")
def track(code: str):
    """The tracking page: status, clocks, public history, small map — never reporter details."""
    try:
        with get_engine().connect() as conn:  # the primary: it is opened right after submitting
            t = public.ticket(conn, normalise_code(code))
            cal = WorkCalendar.from_connection(conn, current_settings().timezone)
    except NotFound:
        return render_template("citizen/track_search.html", missing=code), 404
    sla = sla_of(cal, dt.datetime.now(dt.UTC), **t)
    return render_template("citizen/track.html", t=t, is_new=request.args.get("baru") == "1", sla=sla,
                           zone=zone_name(current_settings().timezone),
                           explanation=explain(t["routing"], current_lang(), (t["skpd_code"], t["skpd"]))
                           if t["routing"] else "")


@bp.get("/transparansi")
def transparency():
    """The city's statement of service for a month, per SKPD: no reporter data, nothing of a ticket."""
    settings = current_settings()
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    start, end = month_of(request.args.get("bulan"), today)
    with read_engine().begin() as conn:  # begin: the figures are cached on commit
        words = public_statement(conn, start, end, settings.timezone, current_lang(), settings.city_name)
    months = [month_of(None, today)]
    for _ in range(11):
        months.append(month_of((months[-1][0] - dt.timedelta(days=1)).strftime("%Y-%m"), today))
    choices = [(m.strftime("%Y-%m"), period_label(m, e, current_lang())) for m, e in months]
    return render_template("citizen/transparency.html", words=words, chosen=start.strftime("%Y-%m"),
                           months=choices)


@bp.get("/peta")
def public_map():
    return render_template("citizen/map.html", settings=current_settings())
