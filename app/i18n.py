"""Indonesian first, English available: `tr("Laporkan", "Report")` picks by the visitor's language.

The language comes from `?lang=id|en` (remembered in a cookie) or the browser's Accept-Language; default `id`.
Text stays next to its English beside it in templates, so translators and reviewers see both at once.
"""
from __future__ import annotations

from flask import Flask, Response, g, request

from aduan import channels, statuses

LANGS = ("id", "en")


def current_lang() -> str:
    """The language for this request."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get("lang")
        if asked not in LANGS:
            asked = request.accept_languages.best_match(LANGS, default="id") or "id"
        g.lang = asked
    return g.lang


def tr(text_id: str, text_en: str) -> str:
    """Pick the Indonesian or English text."""
    return text_en if current_lang() == "en" else text_id


def status_label(status: str | None) -> str:
    """A ticket status in the reader's language."""
    return statuses.label(status, current_lang())


def channel_label(channel: str | None) -> str:
    """A channel (WhatsApp, SP4N-LAPOR!, …) in the reader's language."""
    return channels.channel_name(channel or "", current_lang())


def init_app(app: Flask) -> None:
    """Expose `tr`, the language and the status vocabulary to templates; remember an explicit choice."""
    app.jinja_env.globals.update(tr=tr, current_lang=current_lang, status_label=status_label,
                                 channel_label=channel_label, statuses=statuses.STATUSES)

    @app.after_request
    def _remember(resp: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGS:
            resp.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax")
        return resp
