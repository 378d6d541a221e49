"""Language (app/i18n.py): the English catalog covers every UI text, the compiled catalog matches its source, and
numbers and dates follow the reader's locale."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string

from aduan.settings import Settings
from aduan.text import format_moment
from app import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> dict[tuple[str, str | None], str]:
    """Every (msgid, context) our templates and views use, with a place it is used."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {(msg[2] if isinstance(msg[2], str) else msg[2][0], msg[4]): f"{msg[0]}:{msg[1]}"
            for msg in extract_from_dir(str(ROOT), method_map, options_map)}


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


@pytest.fixture
def web():
    """A bare Flask app with only our i18n bound (no database)."""
    app = Flask(__name__, template_folder=str(ROOT / "app/templates"))
    app.config["SETTINGS"] = Settings(database_url="postgresql+psycopg://x@localhost/x", secret_key="x",
                                      timezone="Asia/Makassar")
    i18n.init_app(app)
    return app


def test_every_used_msgid_has_an_english_translation(catalog):
    """No UI text used in a template or view is missing from the English catalog or left empty."""
    used = _extracted()
    assert len(used) > 200  # the extractor found the templates
    missing = {m: where for m, where in used.items() if not getattr(catalog.get(*m), "string", None)}
    assert missing == {}


def test_translations_keep_the_placeholders_of_their_msgid(catalog):
    """'%(code)s' in the Indonesian text is '%(code)s' in the English one (a wrong name would raise or vanish)."""
    wrong = [m.id for m in catalog if m.id and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(m.string))]
    assert wrong == []


def test_compiled_catalog_matches_its_source(catalog):
    """The committed .mo says what the .po says (run `pybabel compile -d app/translations` after editing)."""
    with open(PO.with_suffix(".mo"), "rb") as f:
        compiled = read_mo(f)
    assert {(m.id, m.context): m.string for m in compiled if m.id} == {(m.id, m.context): m.string
                                                                      for m in catalog if m.id}


def test_no_inline_pairs_left():
    """UI text goes through the catalog: no template or view calls `tr(…)` (the old inline pairs)."""
    files = [*ROOT.glob("app/templates/**/*.html"), *ROOT.glob("app/**/*.py")]
    assert [str(p.relative_to(ROOT)) for p in files if re.search(r"(?<![\w.])tr\(", p.read_text())] == []


def test_in_lang_is_for_data_not_literals():
    """`in_lang` picks between translations that come with the data; a literal there would bypass the catalog."""
    files = [*ROOT.glob("app/templates/**/*.html"), *ROOT.glob("app/**/*.py")]
    literal = re.compile(r"in_lang\(\s*['\"]")
    assert [str(p.relative_to(ROOT)) for p in files if literal.search(p.read_text())] == []


@pytest.mark.parametrize("lang, text", [("id", "Lacak aduan"), ("en", "Track a complaint")])
def test_gettext_answers_in_the_request_language(web, lang, text):
    """`_()` in a template gives the Indonesian source text or its English translation."""
    with web.test_request_context(f"/?lang={lang}"):
        assert render_template_string('{{ _("Lacak aduan") }}') == text


def test_default_language_is_indonesian(web):
    """Without a choice or an Accept-Language the page is Indonesian."""
    with web.test_request_context("/"):
        assert i18n.current_lang() == "id" and render_template_string('{{ _("Lacak aduan") }}') == "Lacak aduan"


def test_english_browser_gets_english(web):
    """Accept-Language picks English when the visitor asks nothing."""
    with web.test_request_context("/", headers={"Accept-Language": "en-GB,en;q=0.8"}):
        assert render_template_string('{{ _("Lacak aduan") }}') == "Track a complaint"


def test_placeholders_are_escaped(web):
    """A value put into a translated text is HTML-escaped."""
    with web.test_request_context("/?lang=en"):
        out = render_template_string('{{ _("Foto %(id)s", id=x) }}', x="<b>")
    assert out == "Photo &lt;b&gt;"


@pytest.mark.parametrize("lang, shown", [("id", "4,3"), ("en", "4.3")])
def test_decimal_in_reader_locale(web, lang, shown):
    """One decimal with the locale's separator: Indonesian uses a comma."""
    with web.test_request_context(f"/?lang={lang}"):
        assert render_template_string("{{ x|number }}", x=4.3) == shown
        assert i18n.number(4.34) == shown and i18n.number(12, unit=" m") == "12 m"


@pytest.mark.parametrize("lang, shown", [("id", "1.234,5%"), ("en", "1,234.5%")])
def test_thousands_and_unit(web, lang, shown):
    """Thousands are grouped by the locale; the unit follows the figure; no data is an en dash."""
    with web.test_request_context(f"/?lang={lang}"):
        assert i18n.number(1234.5, unit="%") == shown
        assert i18n.number(float("nan")) == "–" and i18n.number(None) == "–"


@pytest.mark.parametrize("lang, shown", [("id", "3 Des 2026"), ("en", "3 Dec 2026")])
def test_dates_name_months_in_reader_language(lang, shown):
    """Month names come from the locale: 'Des' in Indonesian, 'Dec' in English."""
    moment = dt.datetime(2026, 12, 3, 6, 5, tzinfo=dt.UTC)
    assert format_moment(moment, "Asia/Makassar", lang) == f"{shown} 14:05 WITA"
    assert format_moment(moment, "Asia/Makassar", lang, with_time=False) == shown


@pytest.mark.parametrize("lang, shown", [("id", "3 Mei 2026 14:05 WITA"), ("en", "3 May 2026 14:05 WITA")])
def test_moment_filter_uses_request_language_and_city_zone(web, lang, shown):
    """The templates' `moment` filter shows the city's clock with the reader's month names."""
    with web.test_request_context(f"/?lang={lang}"):
        assert render_template_string("{{ t|moment }}", t=dt.datetime(2026, 5, 3, 6, 5, tzinfo=dt.UTC)) == shown


def test_due_day_names_the_day_a_midnight_deadline_closes(web):
    """A deadline at 00:00 of the 4th is shown as the 3rd; one at 23:59:59 of the 3rd too."""
    wita = dt.timezone(dt.timedelta(hours=8))
    with web.test_request_context("/"):
        assert i18n.due_day(dt.datetime(2026, 12, 4, 0, 0, tzinfo=wita)) == "3 Des 2026"
        assert i18n.due_day(dt.datetime(2026, 12, 3, 23, 59, 59, tzinfo=wita)) == "3 Des 2026"


def test_in_lang_falls_back_to_indonesian(web):
    """Data without an English text (an SKPD with no name_en) shows its Indonesian text in English pages."""
    with web.test_request_context("/?lang=en"):
        assert i18n.in_lang("Dinas PUPR", None) == "Dinas PUPR" and i18n.in_lang("Jalan", "Road") == "Road"
