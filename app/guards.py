"""Input no route should ever see: a NUL character or a lone surrogate anywhere in the request.

PostgreSQL cannot store NUL and no encoder can write a lone surrogate, so either would end as a 500 deep inside a
query. One hook refuses both with a bilingual 400 before any view runs — in the path, the query string, form
fields, the Idempotency-Key header and JSON bodies — answered in each blueprint's shape by the error table.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestURITooLarge

from aduan.errors import DomainError
from aduan.text import UNSTORABLE


def _bad(value: object) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_bad(k) or _bad(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_bad(v) for v in value)
    return False


MAX_URL = 65536  # Open311's 1,000 ids need ~16 KB; more than this is no query a client means to send


def _refuse_unstorable_text() -> None:
    if len(request.full_path) > MAX_URL:
        raise RequestURITooLarge()
    values: list[object] = [request.path, request.args.to_dict(flat=False), request.headers.get("Idempotency-Key", "")]
    if request.method in ("POST", "PUT", "PATCH"):
        values.append(request.get_json(silent=True) if request.is_json else request.form.to_dict(flat=False))
    if any(_bad(v) for v in values):
        raise DomainError("Permintaan berisi karakter yang tidak dapat disimpan (NUL atau surrogate tunggal).",
                          "The request contains a character that cannot be stored (NUL or a lone surrogate).")


def init_app(app: Flask) -> None:
    """Check every request before its view."""
    app.before_request(_refuse_unstorable_text)
