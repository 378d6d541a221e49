"""Indonesian first, English available, through Flask-Babel and gettext catalogs.

Indonesian is the source language: the msgid is the Indonesian text (`_("Laporkan")` in templates,
`gettext("Laporkan")` in views), and `translations/en/LC_MESSAGES/messages.po` holds its English. We chose
Flask-Babel over our own pair picker because it is the Pallets-ecosystem extension for exactly this: the
standard gettext toolchain (pybabel extract/update/compile, any .po editor), Jinja's i18n extension with
autoescaped placeholders, and CLDR number/date formatting for the same locale ("4,3" and "3 Des 2026" in
Indonesian). The compiled `.mo` is committed next to its `.po` (a unit test checks they agree), so a fresh clone
runs without a compile step.

The language comes from `?lang=id|en` (remembered in a cookie) or the browser's Accept-Language; default `id`.
Text that arrives with its own translation — database rows (category and SKPD names), domain errors and the
domain's vocabulary tables (statuses, channels, routing flags, actions), which stay (id, en) pairs because the
domain also writes them outside a request (mail, exports, bilingual API errors) — is chosen with `in_lang`.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from flask import Flask, Response, g, request
from flask_babel import Babel, format_decimal

from aduan import channels, statuses
from aduan.text import format_moment
from app import current_settings

LANGS = ("id", "en")
TRANSLATIONS = Path(__file__).with_name("translations")
babel = Babel()


def current_lang() -> str:
    """The language for this request (also Flask-Babel's locale)."""
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get("lang")
        if asked not in LANGS:
            asked = request.accept_languages.best_match(LANGS, default="id") or "id"
        g.lang = asked
    return g.lang


def in_lang(text_id: str | None, text_en: str | None) -> str:
    """The reader's version of text that carries its own translation (a row, an error); UI text uses gettext."""
    return (text_en or text_id or "") if current_lang() == "en" else (text_id or "")


def status_label(status: str | None) -> str:
    """A ticket status in the reader's language."""
    return statuses.label(status, current_lang())


def channel_label(channel: str | None) -> str:
    """A channel (WhatsApp, SP4N-LAPOR!, …) in the reader's language."""
    return channels.channel_name(channel or "", current_lang())


def number(value: object, decimals: int = 1, unit: str = "") -> str:
    """A figure in the reader's locale ("4,3" / "4.3"); an en dash for no data."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pattern = "#,##0." + "0" * decimals if decimals and isinstance(value, float) else "#,##0"
    return format_decimal(value, format=pattern) + unit


def moment(value: dt.datetime | None, with_time: bool = True) -> str:
    """A moment on the city's clock with month names in the reader's language ("3 Des 2026 14:05 WITA")."""
    return format_moment(value, current_settings().timezone, current_lang(), with_time=with_time)


def due_day(value: dt.datetime | None) -> str:
    """A due moment's day (one second back, so a deadline at midnight names the day it closes)."""
    return moment(value - dt.timedelta(seconds=1) if value else None, with_time=False)


def init_app(app: Flask) -> None:
    """Bind Flask-Babel to our language choice; give templates the helpers; remember an explicit choice."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=current_lang)
    app.jinja_env.globals.update(current_lang=current_lang, in_lang=in_lang, status_label=status_label,
                                 channel_label=channel_label, statuses=statuses.STATUSES)
    app.jinja_env.filters.update(number=number, moment=moment, due_day=due_day)

    @app.after_request
    def _remember(resp: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGS:
            resp.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax")
        return resp

