"""Text as people and files send it: one cleaner for stored text, one reader of yes/no words, one masker.

`clean_text` stores text as text (normalised, control characters dropped, bounded); HTML is escaped on output,
never here. `parse_bool` is the one word list for yes/no, in Indonesian and English, used by forms, query
parameters, CSV imports and the environment alike.

`mask_contacts` is what every public output applies to free text (description, address, public notes; through
aduan/queries/public.py): people type their phone number, e-mail or NIK into a complaint. The stored text is
never changed — staff see the original. What the public sees instead (our choice):
- an Indonesian mobile number (08…, +62 8…, 62 8…; 10–13 digits in national form, digits grouped by spaces,
  dashes or dots) keeps its operator prefix and last two digits, in national form: `0812-****-**90` — a reader
  sees that a number was given, nobody can call it;
- a landline (`(0511) 3252 525`, `021-555-1234`, `+62 511 3252525`; 9–12 digits in national form, starting with
  its area code) keeps its area code and last two digits: `0511-****-**25`;
- an e-mail address becomes `[email disembunyikan]`, also when written to dodge harvesters: `siti [at] example
  [dot] org`, `siti(at)example.org`, `siti at example dot org` (the plain words `at` and `dot`/`titik` only
  together, so that an English "at" in a sentence stays); its last label is letters and a bare @ has no spaces
  around it, so prices and times ("3 @ Rp5.000", "rapat @ 10.00") stay;
- a 16-digit NIK (the national identity number, also written in groups of four) becomes `[NIK disembunyikan]`.
Dates, RT/RW, house numbers, kilometre markers and other short numbers are left alone: a phone must start
like a mobile number and have 10–13 digits, or start with an area code and have 9–12, a NIK exactly 16.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from babel.dates import format_date

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on", "ya"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off", "tidak"})
MAX_DESCRIPTION = 5000  # a complaint's text, as the database's check constraint allows
# The years a date in a request may name (filters, searches, Open311, OGC): wider than any real question, and far
# enough inside Python's years 1–9999 that adding a day or going back a period of up to ten years stays a date.
MIN_YEAR, MAX_YEAR = 1900, 2999


# What PostgreSQL cannot store (NUL) and no encoder can write (a lone surrogate): refused in requests
# (app/guards.py) and in imported files (aduan/bulk_load.py).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: object, limit: int | None) -> str | None:
    """Normalised (NFC), control characters but tab and newline dropped, trimmed, at most `limit` characters (None:
    not cut, for a caller that refuses what is too long instead)."""
    if value is None:
        return None
    s = unicodedata.normalize("NFC", str(value))
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    return s[:limit] if s else None


def yes_no(value: object) -> bool | None:
    """True/false from a yes/no word (any case, surrounding spaces ignored); None for anything else."""
    if isinstance(value, bool):
        return value
    word = "" if value is None else str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


def parse_bool(value: object, default: bool = False) -> bool:
    """`yes_no`, with `default` for anything that is not a yes/no word."""
    answer = yes_no(value)
    return default if answer is None else answer


def format_moment(value: dt.datetime | None, tz: str, lang: str = "id", *, with_time: bool = True) -> str:
    """'27 Nov 2026 14:05 WITA' in the city's clock and zone name (WIB, WITA, WIT); en dash when there is none.

    Month names come from Babel's CLDR data for `lang` ("3 Des 2026", "3 Dec 2026"), so mail, replies and pages
    name months alike; the zone is the city's abbreviation, which CLDR does not know for WITA.
    """
    if value is None:
        return "–"
    local = value.astimezone(ZoneInfo(tz))
    day = format_date(local.date(), "d MMM y", locale=lang)
    return f"{day} {local:%H:%M %Z}" if with_time else day


EMAIL_MASK = "[email disembunyikan]"
NIK_MASK = "[NIK disembunyikan]"
_AT = r"(?:@|\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*)"  # @ as written, or [at], (at), with or without spaces
_DOT = r"(?:\.|\s*[\[({<]\s*(?:dot|titik|\.)\s*[\])}>]\s*)"  # ., [dot], (titik)
_WORD_DOT = r"\s+(?:dot|titik)\s+"
_TLD = r"[^\W\d_]{2,}(?![\w-])"  # the last label is letters: "rapat @ 10.00" and "3 @ Rp5.000" are no addresses
# The local part starts where its run of characters starts and is never given back: one pass over a long word,
# not one per character of it (5,000 letters took 0.7 s with the alternatives below, 2 ms now).
_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]++(?:{_AT}[\w-]+(?:(?:{_DOT}|{_WORD_DOT})[\w-]+)*(?:{_DOT}|{_WORD_DOT})"
                    rf"{_TLD}|\s+at\s+[\w-]+(?:{_DOT}[\w-]+)*(?:{_WORD_DOT}[\w-]+)*{_WORD_DOT}{_TLD})",
                    re.IGNORECASE)
_NIK = re.compile(r"(?<!\d)\d{4}(?:[ .-]?\d{4}){3}(?!\d)")
# A mobile number's candidate: its start (0, 62 or +62, then 8) and digit groups joined by one separator each;
# `_phone` keeps the longest leading run of groups that is a phone number and leaves what follows.
_PHONE = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .-]?8\d*(?:[ .-]\d+)*")
_GROUP = re.compile(r"\d+|[^\d]+")
PHONE_DIGITS = (10, 13)  # national form, with its leading 0


def _national(digits: str) -> str:
    return "0" + digits[2:] if digits.startswith("62") else digits


def _phone(match: re.Match) -> str:
    """Mask the longest leading part of the candidate that has a mobile number's length."""
    text = match.group(0)
    ends = [m.end() for m in _GROUP.finditer(text) if m.group(0)[0].isdigit()]
    for end in reversed(ends):
        digits = _national(re.sub(r"\D", "", text[:end]))
        if PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
            return f"{digits[:4]}-****-{'*' * (len(digits) - 10)}{digits[-2:]}" + text[end:]
    return text


# A landline: its area code (0 and 2–3 digits) in brackets or followed by a separator, or +62 and the area code
# without its 0, then the number; or all of it without separators. A date (05-11-2026) starts with two digits,
# not an area code, and is left alone.
_LANDLINE = re.compile(r"(?<![\d+])(?:\(0[1-79]\d{1,2}\)|0[1-79]\d{1,2}(?=[ .-])|\+?62[ .-]?[1-79]\d{1,2}(?=[ .-])"
                       r"|0[1-79]\d{7,10}(?!\d))(?:[ .-]?\d+)*")
LANDLINE_DIGITS = (9, 12)  # national form, with its leading 0


def _landline(match: re.Match) -> str:
    """Mask the longest leading part of the candidate that has a landline's length; its area code stays."""
    text = match.group(0)
    groups = [m for m in _GROUP.finditer(text) if m.group(0)[0].isdigit()]
    first = groups[0].group(0)
    area = ("0" + groups[1].group(0) if first == "62" else first) if len(groups) > 1 else first[:4]
    for end in reversed([m.end() for m in groups]):
        digits = _national(re.sub(r"\D", "", text[:end]))
        if LANDLINE_DIGITS[0] <= len(digits) <= LANDLINE_DIGITS[1]:
            return f"{area}-****-**{digits[-2:]}" + text[end:]
    return text


def mask_contacts(value: str | None) -> str | None:
    """The text with phone numbers, e-mail addresses and NIK masked (see the module docstring)."""
    if not value:
        return value
    value = _EMAIL.sub(EMAIL_MASK, value)
    value = _NIK.sub(NIK_MASK, value)
    return _LANDLINE.sub(_landline, _PHONE.sub(_phone, value))


def mask_json(value: object) -> object:
    """`mask_contacts` on every string a JSON value holds (answers to a category's questions)."""
    if isinstance(value, str):
        return mask_contacts(value)
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_json(v) for k, v in value.items()}
    return value
