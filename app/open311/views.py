"""Open311 GeoReport v2 under /open311/v2, in XML and JSON by the URL suffix (see docs/open311.md).

Each route parses, calls one function of app/open311/georeport.py and serialises. Every error on these routes,
ours or the framework's, answers in Open311's shape (`error_shape`): a list of {code, description} with 400, 403
or 404 (or 503 while the database is away).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from aduan.errors import DomainError, NotFound
from aduan.queries import public
from aduan.text import parse_bool
from app import current_settings
from app.db import get_engine, get_session
from app.errors import Answer
from app.http import ROW_ID, photo_response
from app.open311 import georeport, updates
from app.open311.formats import FORMATS, errors, respond

bp = Blueprint("open311", __name__)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
SPEC_STATUSES = (400, 403, 404)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"Format tidak dikenal: .{fmt} (pakai .xml atau .json).",
                       f"Unknown format: .{fmt} (use .xml or .json).")
    return fmt



def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "id"


def _media_url(attachment_id: int, content_type: str) -> str:
    ext = EXTENSIONS.get(content_type, "jpg")
    return url_for("open311.media", attachment_id=attachment_id, ext=ext, _external=True)


@bp.get("/")
@bp.get("/discovery.<fmt>")
def discovery(fmt: str = "xml") -> Response:
    root = url_for("open311.discovery", fmt="xml", _external=True).rsplit("/", 1)[0]
    return respond(_fmt(fmt), "discovery", georeport.discovery(root, current_settings()))


@bp.get("/services.<fmt>")
def services(fmt: str) -> Response:
    fmt = _fmt(fmt)
    return respond(fmt, "services", georeport.services(get_session().connection(), _lang()))


@bp.get("/services/<code>.<fmt>")
def service_definition(code: str, fmt: str) -> Response:
    fmt = _fmt(fmt)
    return respond(fmt, "service_definition", georeport.service_definition(get_session().connection(), code))


@bp.get("/requests.<fmt>")
def list_requests(fmt: str) -> Response:
    fmt = _fmt(fmt)
    body = georeport.list_requests(get_session().connection(), request.args, current_settings(), _media_url, _lang())
    return respond(fmt, "service_requests", body)


@bp.post("/requests.<fmt>")
def create_request(fmt: str) -> Response:
    fmt = _fmt(fmt)
    photos = [f.read() for f in request.files.getlist("media")]
    body = georeport.create_request(get_session(), get_engine(), _post_fields(), photos, _api_key(),
                                    request.headers.get("Idempotency-Key"), current_settings())
    return respond(fmt, "service_requests", body)


@bp.get("/requests/<code>.<fmt>")
def get_request(code: str, fmt: str) -> Response:
    fmt = _fmt(fmt)
    extensions = parse_bool(request.args.get("extensions"))
    body = georeport.get_request(get_session().connection(), code, current_settings(), _media_url,
                                 extensions=extensions, lang=_lang())
    return respond(fmt, "service_requests", body)


@bp.get("/servicerequestupdates.<fmt>")
def list_updates(fmt: str) -> Response:
    fmt = _fmt(fmt)
    body = updates.list_updates(get_session().connection(), request.args, current_settings(), _media_url, _lang())
    return respond(fmt, "service_request_updates", body)


@bp.post("/servicerequestupdates.<fmt>")
def create_update(fmt: str) -> Response:
    fmt = _fmt(fmt)
    session = get_session()
    body = updates.create_update(session.connection(), get_engine(), _post_fields(), _api_key())
    session.commit()
    return respond(fmt, "service_request_updates", body)


@bp.get("/tokens/<code>.<fmt>")
def token(code: str, fmt: str) -> Response:
    fmt = _fmt(fmt)
    return respond(fmt, "service_requests", georeport.token(get_session().connection(), code))


@bp.get(f"/media/<{ROW_ID}:attachment_id>.<ext>")
def media(attachment_id: int, ext: str) -> Response:
    return photo_response(*public.photo(get_session().connection(), attachment_id))


@bp.before_request
def options() -> Response | None:
    """OPTIONS names what the resource takes: Flask's own answer would add the catch-all's methods to every path."""
    if request.method != "OPTIONS":
        return None
    allowed = _allowed_methods()
    if not allowed:
        raise NotFound("Sumber daya Open311 ini tidak ada.", "No such Open311 resource.")
    resp = current_app.response_class(status=200)
    resp.allow.update(allowed)
    return resp


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def unknown(rest: str) -> Response:
    """Anything else under /open311/v2: 404 (or 405 for a known path and the wrong method), Open311-shaped."""
    if allowed := _allowed_methods():  # the answer names what the resource does take (its Allow header)
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound("Sumber daya Open311 ini tidak ada.", "No such Open311 resource.")


def _allowed_methods() -> list[str]:
    """The methods this path's own route takes (not the catch-all's), with HEAD beside GET and OPTIONS; none for
    a path no route of ours serves."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(method=method)
        except (HTTPException, RequestRedirect):
            continue
        if endpoint != "open311.unknown":
            allowed.append(method)
    return [*allowed, *(["HEAD"] if "GET" in allowed else []), "OPTIONS"] if allowed else []


def _api_key() -> str | None:
    """The client's key: the X-Api-Key header or `Authorization: Bearer …` (kept out of URLs and access logs),
    else the spec's `api_key` field or query parameter."""
    bearer = request.headers.get("Authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip()
    fields = _post_fields()
    return request.headers.get("X-Api-Key") or next(iter(fields.get("api_key") or []), None)


def _post_fields() -> dict[str, list]:
    """Form-encoded per spec (query-string values too, as some clients send api_key there); JSON also accepted."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise DomainError("Isi JSON harus berupa objek.", "The JSON body must be an object.")
        return {k: v if isinstance(v, list) else [v] for k, v in body.items()}
    return request.args.to_dict(flat=False) | request.form.to_dict(flat=False)


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    return "json" if request.path.endswith(".json") else "xml"


def error_shape(answer: Answer) -> Response:
    """Open311 allows 400, 403 and 404 (and server errors); any other client error is a 400 carrying its code."""
    http = answer.status if answer.status in SPEC_STATUSES or answer.status >= 500 else 400
    text = f"{answer.message_id} / {answer.message_en}" if answer.message_id != answer.message_en else answer.message_en
    resp = errors(_error_format(), http, text, code=answer.status)
    resp.headers.update(answer.headers)
    return resp
