"""Domain errors carry a message in Indonesian and English; one place turns them into HTTP responses."""
from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from aduan.errors import DomainError
from geo.routing import OutsideCityError, RoutingError


def problem(status: int, title: str, detail_id: str, detail_en: str, **extra) -> tuple:
    """RFC 9457 problem details, with the Indonesian text first."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail_id,
            "detail_en": detail_en, **extra}
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def init_app(app: Flask) -> None:
    """Register the handlers; blueprints with their own wire format (Open311, OGC) register theirs."""

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return problem(err.status, err.code, err.message_id, err.message_en,
                       **({"field": err.field} if err.field else {}))

    @app.errorhandler(RoutingError)
    def _routing(err: RoutingError):
        status = 422 if isinstance(err, OutsideCityError) else 400
        code = "outside_city" if status == 422 else "bad_location"
        return problem(status, code, err.message_id, err.message_en, **({"field": err.field} if err.field else {}))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if request.accept_mimetypes.accept_html and not request.path.startswith(("/api/", "/ogc", "/open311")):
            return err
        messages = {
            404: ("Tidak ditemukan.", "Not found."),
            405: ("Metode tidak diizinkan.", "Method not allowed."),
            413: ("Berkas terlalu besar.", "Upload too large."),
        }
        id_, en = messages.get(err.code or 500, (err.description or "", err.description or ""))
        return problem(err.code or 500, err.name, id_, en)
