"""`GET /api/v1/nearby`: tickets near a point for a staff session, as a small GeoJSON FeatureCollection.

Its own blueprint ("field_api") so the public JSON API stays with its owner; answers are gzip-compressed when
the client accepts it, because field staff are often on a slow mobile connection.
"""
from __future__ import annotations

import datetime as dt
import gzip

from flask import Blueprint, Response, current_app, jsonify, request

from aduan.clocks import WorkCalendar
from aduan.queries.nearby import feature_collection, find_nearby, parse_query
from app.auth.session import current_user, login_required
from app.db import get_session
from app.i18n import current_lang

bp = Blueprint("field_api", __name__, url_prefix="/api/v1")
GZIP_MIN_BYTES = 1024


@bp.get("/nearby")
@login_required
def nearby():
    user, settings, now = current_user(), current_app.config["SETTINGS"], dt.datetime.now(dt.UTC)
    conn = get_session().connection()
    query = parse_query(request.args, user)
    rows = find_nearby(conn, settings, user, query, now)
    cal = WorkCalendar.from_connection(conn, settings.timezone)
    body = feature_collection(rows, query, user, cal, now, current_lang())
    resp = jsonify(body)
    resp.mimetype = "application/geo+json"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.after_request
def _compress(resp: Response) -> Response:
    """Gzip JSON bodies for clients that accept it (about 6× smaller for a page of features)."""
    if (resp.status_code != 200 or resp.direct_passthrough or "Content-Encoding" in resp.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return resp
    data = resp.get_data()
    if len(data) >= GZIP_MIN_BYTES:
        resp.set_data(gzip.compress(data, compresslevel=5))
        resp.headers["Content-Encoding"] = "gzip"
    resp.vary.add("Accept-Encoding")
    return resp
