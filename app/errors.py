"""The one table from error to HTTP status, and the one handler that answers every error.

Domain errors (aduan/errors.py, geo/ included) map to a status by their class (`STATUS`, looked up along the
class's MRO, so a subclass inherits its parent's status); framework errors keep theirs with a bilingual message;
an unreachable database is a 503 worth retrying (a public GET whose replica failed is first repeated on the
primary). Each blueprint chooses only the *shape* of the body: a module in `create_app`'s table may define
`error_shape(answer)` (Open311's error list, OGC's exception document, an HTML page); everything else answers
RFC 9457 problem details.
"""
from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from aduan.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unavailable,
    Unprocessable,
)
from app.db import read_primary_instead

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    Unprocessable: 422,
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    Conflict: 409,
    TooManyRequests: 429,
    Unavailable: 503,
    DomainError: 400,
}
SERVER_ERROR = ("Kesalahan server; sudah dicatat.", "Server error; it has been logged.")
HTTP_MESSAGES = {
    404: ("Tidak ditemukan.", "Not found."),
    414: ("Alamat permintaan terlalu panjang (maksimal 64 KB).", "The request URL is too long (at most 64 KB)."),
    405: ("Metode tidak diizinkan.", "Method not allowed."),
    500: SERVER_ERROR,  # an exception no handler knows: Flask logs it and answers InternalServerError
}
CSRF_MESSAGE = ("Formulir kedaluwarsa atau tidak sah (token CSRF hilang/salah). Muat ulang halaman lalu coba lagi.",
                "The form is expired or invalid (CSRF token missing or wrong). Reload the page and try again.")
UNAVAILABLE = ("Layanan sedang tidak tersedia, coba lagi nanti.",
               "The service is temporarily unavailable, please try again later.")
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class Answer:
    """What every error answer says, whatever its shape."""

    status: int
    code: str
    message_id: str
    message_en: str
    field: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


Shape = Callable[[Answer], ResponseReturnValue]


def status_of(err: DomainError) -> int:
    """The HTTP status of a domain error, by the nearest class in STATUS."""
    return next(STATUS[cls] for cls in type(err).__mro__ if cls in STATUS)


def answer_for(err: Exception) -> Answer:
    """The status, code and bilingual message for any error a request can end in."""
    if isinstance(err, DomainError):
        return Answer(status_of(err), err.code, err.message_id, err.message_en, err.field)
    if isinstance(err, CSRFError):
        return Answer(400, "csrf_failed", *CSRF_MESSAGE)
    if isinstance(err, HTTPException):
        return _http_answer(err)
    if isinstance(err, DataError):
        return Answer(400, "bad_value", "Nilai parameter tidak valid.", "A parameter value is not valid.")
    if isinstance(err, OperationalError | InterfaceError):
        log.warning("database unavailable: %s", err.__class__.__name__)
        return Answer(503, "unavailable", *UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)})
    log.error("database error", exc_info=err)
    return Answer(500, "server_error", *SERVER_ERROR)


def _http_answer(err: HTTPException) -> Answer:
    status = err.code or 500
    code = re.sub(r"\W+", "_", (err.name or "error").lower()).strip("_")
    if isinstance(err, RequestEntityTooLarge):
        mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return Answer(413, code, f"Kiriman terlalu besar (maksimal {mb} MB).", f"Upload too large (at most {mb} MB).")
    message_id, message_en = HTTP_MESSAGES.get(status, (err.description or err.name, err.description or err.name))
    headers = {"Allow": ", ".join(err.valid_methods)} if getattr(err, "valid_methods", None) else {}
    return Answer(status, code, message_id, message_en, headers=headers)


def problem(answer: Answer) -> Response:
    """RFC 9457 problem details, with the Indonesian text first."""
    body = {"type": "about:blank", "title": answer.code, "status": answer.status, "detail": answer.message_id,
            "detail_en": answer.message_en, **({"field": answer.field} if answer.field else {})}
    resp = jsonify(body)
    resp.status_code = answer.status
    resp.mimetype = "application/problem+json"
    resp.headers.update(answer.headers)
    return resp


def page_shape(template: str) -> Shape:
    """Errors as a page in both languages (the template gets status, message_id and message_en)."""
    def shape(answer: Answer) -> ResponseReturnValue:
        return render_template(template, status=answer.status, message_id=answer.message_id,
                               message_en=answer.message_en), answer.status, answer.headers

    return shape


_citizen_page = page_shape("citizen/error.html")


def _default_shape(answer: Answer, err: Exception) -> ResponseReturnValue:
    """Problem details; a browser that asked for a page outside the APIs (an unknown address, a form's address
    opened by hand) gets the citizen pages' error page, in both languages."""
    if (isinstance(err, HTTPException) and not isinstance(err, CSRFError) and request.accept_mimetypes.accept_html
            and not request.path.startswith(("/api/", "/ogc", "/open311"))):
        return _citizen_page(answer)
    return problem(answer)


def _handle(err: Exception) -> ResponseReturnValue:
    if isinstance(err, OperationalError | InterfaceError) and read_primary_instead():
        return _again_on_primary()
    answer = answer_for(err)
    shape = current_app.extensions["error_shapes"].get(request.blueprint) if request.blueprint else _shape_by_path()
    return shape(answer) if shape else _default_shape(answer, err)


def _shape_by_path() -> Shape | None:
    """A request no route took (an address under /open311/v2 whose id a converter refused) is shaped by the
    blueprint that owns its path's prefix."""
    for prefix, shape in current_app.extensions["error_shapes_by_prefix"].items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return shape
    return None


def _again_on_primary() -> ResponseReturnValue:
    """The view once more: its replica failed mid-request, and a GET is safe to repeat (app/db.py)."""
    try:
        return current_app.ensure_sync(current_app.view_functions[request.endpoint])(**request.view_args)
    except (DomainError, HTTPException, DBAPIError) as err:
        return _handle(err)


def init_app(app: Flask, shapes: dict[str, Shape], shapes_by_prefix: dict[str, Shape]) -> None:
    """Answer every error through the table; `shapes` maps blueprint names to their body shape, and
    `shapes_by_prefix` their URL prefixes, for requests that matched no route."""
    app.extensions["error_shapes"] = shapes
    app.extensions["error_shapes_by_prefix"] = shapes_by_prefix
    for kind in (DomainError, HTTPException, DBAPIError):
        app.register_error_handler(kind, _handle)
