"""Text as people and files send it: one cleaner for stored text, one reader of yes/no words.

`clean_text` stores text as text (normalised, control characters dropped, bounded); HTML is escaped on output,
never here. `parse_bool` is the one word list for yes/no, in Indonesian and English, used by forms, query
parameters, CSV imports and the environment alike.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on", "ya"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off", "tidak"})
MAX_DESCRIPTION = 5000  # a complaint's text, as the database's check constraint allows


def clean_text(value: object, limit: int) -> str | None:
    """Normalised (NFC), control characters but tab and newline dropped, trimmed, at most `limit` characters."""
    if value is None:
        return None
    s = unicodedata.normalize("NFC", str(value))
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    return s[:limit] if s else None


def parse_bool(value: object, default: bool = False) -> bool:
    """True/false from a yes/no word (any case, surrounding spaces ignored); anything else is `default`."""
    if isinstance(value, bool):
        return value
    word = "" if value is None else str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    return False if word in FALSE_WORDS else default


MONTHS_ID = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_moment(value: dt.datetime | None, tz: str, lang: str = "id", *, with_time: bool = True) -> str:
    """'27 Nov 2026 14:05 WITA' in the city's clock and zone name (WIB, WITA, WIT); en dash when there is none."""
    if value is None:
        return "–"
    local = value.astimezone(ZoneInfo(tz))
    day = f"{local.day} {(MONTHS_EN if lang == 'en' else MONTHS_ID)[local.month - 1]} {local.year}"
    return f"{day} {local:%H:%M %Z}" if with_time else day
