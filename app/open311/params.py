"""Reading what an Open311 client sends: query filters for GET requests and the fields of a POST.

No database and no Flask here: plain mappings in, checked values out, a DomainError (400, Indonesian and
English) for anything a client must fix. The spec's quirks live here: W3C datetimes, comma-separated lists,
"optional means empty equals absent", `attribute[code]` and `attribute[code][]` form keys.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from aduan.errors import DomainError
from aduan.queries.open311 import MAX_PAGE_SIZE, RequestQuery
from aduan.text import MAX_YEAR, MIN_YEAR, parse_bool
from aduan.tracking import normalise_code

DEFAULT_SPAN = dt.timedelta(days=90)  # spec: "a span of 90 days or first 1000 requests"
MAX_PAGE = 10_000
DEFAULT_RADIUS_M = 500.0
MAX_RADIUS_M = 20_000.0
MAX_IDS = 1000
MAX_IDEMPOTENCY_KEY = 64
STATUSES = ("open", "closed")
# Printable ASCII only: intake stores the key normalised, so it must be one that normalising leaves unchanged.
_IDEMPOTENCY_KEY = re.compile(rf"^[\x20-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_SPACE_OFFSET = re.compile(r"(T[0-9:.]+) (\d{2}(?::?\d{2})?)$")  # an unencoded '+' arrives as a space


def bad(message_id: str, message_en: str) -> DomainError:
    return DomainError(message_id, message_en)


def _get(args: Mapping, name: str) -> str | None:
    """A parameter's value; empty counts as absent (the spec's 'Optional Arguments')."""
    value = args.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping | list):  # a JSON object or array where the spec has a string
        raise bad(f"{name} harus berupa teks.", f"{name} must be text.")
    value = None if value is None else str(value).strip()
    return value or None


def csv_list(value: str | None) -> list[str] | None:
    """'a, b,,c' → ['a', 'b', 'c']; nothing → None (no filter)."""
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    return items or None


def w3c_datetime(value: str, name: str, tz: dt.tzinfo) -> dt.datetime:
    """A W3C/ISO 8601 datetime ('2010-01-01T00:00:00Z', with offset, or a date); no offset means WITA."""
    text = _SPACE_OFFSET.sub(r"\1+\2", value.strip())
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:  # the range also keeps ±90 days computable
        raise bad(f"{name} bukan tanggal-waktu W3C yang valid (contoh 2026-01-31T00:00:00+08:00).",
                  f"{name} is not a valid W3C datetime (e.g. 2026-01-31T00:00:00+08:00).")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def request_query(args: Mapping, now: dt.datetime, tz: dt.tzinfo) -> RequestQuery:
    """Check every filter; `service_request_id` overrides the others, as the spec says."""
    page = _int(args, "page", 1, 1, MAX_PAGE)
    page_size = _int(args, "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    extensions = parse_bool(_get(args, "extensions"))
    ids = [normalise_code(i) for i in csv_list(_get(args, "service_request_id")) or []]
    if ids:
        if len(ids) > MAX_IDS:
            raise bad(f"Paling banyak {MAX_IDS} service_request_id sekaligus.",
                      f"At most {MAX_IDS} service_request_id values at once.")
        return RequestQuery(ids=ids, page=page, page_size=page_size, extensions=extensions)
    start, end = _window(args, now, tz)
    return RequestQuery(service_codes=csv_list(_get(args, "service_code")), start=start, end=end,
                        status=_status(args), page=page, page_size=page_size, bbox=_bbox(args),
                        near=_near(args), extensions=extensions)


def _window(args: Mapping, now: dt.datetime, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    start_s, end_s = _get(args, "start_date"), _get(args, "end_date")
    start = w3c_datetime(start_s, "start_date", tz) if start_s else None
    end = w3c_datetime(end_s, "end_date", tz) if end_s else None
    if start is None and end is None:
        return now - DEFAULT_SPAN, now
    start = start or end - DEFAULT_SPAN  # type: ignore[operator]
    end = end or min(start + DEFAULT_SPAN, max(now, start))
    if start > end:
        raise bad("start_date harus sebelum end_date.", "start_date must be before end_date.")
    if end - start > DEFAULT_SPAN:
        raise bad("Rentang start_date..end_date paling lama 90 hari.",
                  "The start_date..end_date range may not span more than 90 days.")
    return start, end


def _status(args: Mapping) -> str | None:
    wanted = set(csv_list((_get(args, "status") or "").lower()) or [])
    if wanted - set(STATUSES):
        raise bad("status harus 'open' atau 'closed'.", "status must be 'open' or 'closed'.")
    return wanted.pop() if len(wanted) == 1 else None


def _int(args: Mapping, name: str, default: int, lo: int, hi: int) -> int:
    raw = _get(args, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise bad(f"{name} harus bilangan bulat {lo}..{hi}.", f"{name} must be an integer {lo}..{hi}.")
    return value


def _floats(raw: str, name: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise bad(f"{name} harus {count} angka.", f"{name} must be {count} finite numbers.")
    return values


def _bbox(args: Mapping) -> tuple[float, float, float, float] | None:
    raw = _get(args, "bbox")
    if raw is None:
        return None
    x1, y1, x2, y2 = _floats(raw, "bbox", 4)
    if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
        raise bad("bbox harus bujur_min,lintang_min,bujur_maks,lintang_maks (WGS84).",
                  "bbox must be min_lon,min_lat,max_lon,max_lat (WGS84).")
    return x1, y1, x2, y2


def _near(args: Mapping) -> tuple[float, float, float] | None:
    lat, lon = _get(args, "lat"), _get(args, "long")
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise bad("lat dan long harus dikirim bersama.", "lat and long must be sent together.")
    x, y = _floats(f"{lon},{lat}", "lat/long", 2)
    radius = _floats(_get(args, "radius") or str(DEFAULT_RADIUS_M), "radius", 1)[0]
    if not (-180 <= x <= 180 and -90 <= y <= 90) or not 0 < radius <= MAX_RADIUS_M:
        raise bad(f"lat/long di luar jangkauan atau radius bukan 1..{MAX_RADIUS_M:.0f} m.",
                  f"lat/long out of range or radius not within 1..{MAX_RADIUS_M:.0f} m.")
    return x, y, radius


@dataclass
class NewRequest:
    """A POSTed service request, its fields named as the spec names them."""

    service_code: str
    lat: str
    long: str
    description: str | None = None
    address_string: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_urls: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    idempotency_key: str | None = None


def new_request(fields: Mapping[str, list[str]], idempotency_header: str | None = None) -> NewRequest:
    """Check the POST's fields; we route by coordinates, so lat & long are required here."""
    code = _get(fields, "service_code")
    if code is None:
        raise bad("service_code wajib diisi.", "service_code is required.")
    lat, lon = _get(fields, "lat"), _get(fields, "long")
    if lat is None or lon is None:
        raise bad("lat dan long wajib diisi: aduan diteruskan ke SKPD berdasarkan titik koordinat; "
                  "address_string atau address_id saja tidak cukup.",
                  "lat and long are required: complaints are routed to an agency by their coordinates; "
                  "address_string or address_id alone is not enough.")
    key = _get(fields, "idempotency_key") or (idempotency_header or "").strip() or None
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise bad(f"Idempotency-Key: 1..{MAX_IDEMPOTENCY_KEY} karakter ASCII yang terlihat.",
                  f"Idempotency-Key must be 1..{MAX_IDEMPOTENCY_KEY} printable ASCII characters.")
    simple = {n: _get(fields, n) for n in ("description", "address_string", "first_name", "last_name", "email",
                                            "phone", "device_id", "account_id")}
    if any(isinstance(v, Mapping | list) for v in fields.get("media_url", [])):
        raise bad("media_url harus berupa alamat (teks).", "media_url must be an address (text).")
    media = [str(v).strip() for v in fields.get("media_url", []) if str(v).strip()]
    return NewRequest(service_code=code, lat=lat, long=lon, media_urls=media, attributes=attributes(fields),
                      idempotency_key=key, **simple)


def attributes(fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """`attribute[code]=v` and `attribute[code][]=v1&…` (multivaluelist) → {code: [values]}."""
    out: dict[str, list[str]] = {}
    for key, values in fields.items():
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            kept = [str(v).strip() for v in values if str(v).strip()]
            if kept:
                out.setdefault(match.group(1), []).extend(kept)
    nested = fields.get("attribute")  # a JSON body may send {"attribute": {"code": "v" | ["v1", "v2"]}}
    if nested and isinstance(nested[0], Mapping):
        for code, value in nested[0].items():
            vals = value if isinstance(value, list) else [value]
            kept = [str(v).strip() for v in vals if v is not None and str(v).strip()]
            if kept:
                out.setdefault(str(code), []).extend(kept)
    return out


UPDATES_DEFAULT_SPAN = dt.timedelta(days=7)
UPDATES_MAX_SPAN = dt.timedelta(days=90)


def update_window(args: Mapping, now: dt.datetime, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """start_date and end_date of GET servicerequestupdates: both or neither (the last 7 days), at most 90 days."""
    start, end = _get(args, "start_date"), _get(args, "end_date")
    if (start is None) != (end is None):
        raise bad("start_date dan end_date harus dikirim bersama.", "start_date and end_date go together.")
    if start is None:
        return now - UPDATES_DEFAULT_SPAN, now
    first, last = w3c_datetime(start, "start_date", tz), w3c_datetime(end, "end_date", tz)
    if first > last or last - first > UPDATES_MAX_SPAN:
        raise bad("Rentang start_date..end_date tidak valid (maksimal 90 hari).",
                  "start_date..end_date is not a valid range (at most 90 days).")
    return first, last


@dataclass
class NewUpdate:
    """A POSTed service request update, named as FixMyStreet's Open311 client sends it."""

    service_request_id: str
    description: str | None
    update_id: str | None = None
    status: str | None = None
    media_urls: list[str] = field(default_factory=list)


def new_update(fields: Mapping[str, list[str]]) -> NewUpdate:
    """Check the POST's fields: a request id and some text or a photo URL."""
    code = _get(fields, "service_request_id")
    if code is None:
        raise bad("service_request_id wajib diisi.", "service_request_id is required.")
    code = normalise_code(code)
    media = [str(v).strip() for v in fields.get("media_url", []) if str(v).strip()]
    description = _get(fields, "description")
    if description is None and not media:
        raise bad("description atau media_url wajib diisi.", "description or media_url is required.")
    return NewUpdate(code, description, _get(fields, "update_id"), _get(fields, "status"), media)
