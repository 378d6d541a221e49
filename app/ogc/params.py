"""Query parameters of OGC API – Features, checked as the standard asks: anything unknown or malformed is a 400.

Choices (README): `limit` 1..10,000 (default 100; out of range is refused, not clamped); `bbox` is 4 or 6
numbers in CRS84, west ≤ east (a city service never needs antimeridian-crossing boxes), inside the world and at
most 90° wide or tall; `datetime` is an RFC 3339 instant or interval with `..` or empty for open ends; a date
without a time means that whole local day in the city's time zone.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from aduan.errors import DomainError
from aduan.queries.ogc import DEFAULT_LIMIT, ItemsQuery
from aduan.text import MAX_YEAR, MIN_YEAR
from layers.filters import DEFAULT_STATUSES, LayerFilter, default_range

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_LIMIT = 10_000
MAX_BBOX_SPAN = 90.0
COMMON = frozenset({"f", "lang"})
CRS_PARAMS = frozenset({"crs", "bbox-crs"})
ITEMS = frozenset({"limit", "offset", "bbox", "datetime"}) | CRS_PARAMS
CURSOR_MAX = 40
MAX_OFFSET = 10**9
FORMATS = {"json", "geojson"}


def bad(name: str, why_id: str, why_en: str) -> DomainError:
    return DomainError(f"Parameter '{name}': {why_id}", f"Parameter '{name}': {why_en}", field=name)


def check_known(args: Mapping, allowed: frozenset[str]) -> None:
    """Refuse parameters this resource does not define (OGC API – Features /req/core/query-param-unknown)."""
    unknown = sorted(set(args) - allowed - COMMON)
    if unknown:
        raise DomainError(f"Parameter tidak dikenal: {', '.join(unknown)}.",
                          f"Unknown query parameter(s): {', '.join(unknown)}.")
    if args.get("f", "json") not in FORMATS:
        raise bad("f", "format yang didukung: json, geojson.", "supported formats: json, geojson.")


def check_crs(args: Mapping) -> None:
    """OGC API – Features Part 2 with the one CRS we serve: GDAL and QGIS ask for the storage CRS by name
    (`crs`, `bbox-crs`); CRS84 is accepted, any other is refused (the collection lists what is offered)."""
    for name in sorted(CRS_PARAMS & set(args)):
        if args[name].strip("<>") != CRS84:
            raise bad(name, f"hanya {CRS84} yang tersedia.", f"only {CRS84} is offered.")


def _int(args: Mapping, name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(name, "harus bilangan bulat.", "must be an integer.") from None
    if not lo <= value <= hi:
        raise bad(name, f"harus antara {lo} dan {hi}.", f"must be between {lo} and {hi}.")
    return value


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """West, south, east, north in CRS84 (a 6-number box drops its heights)."""
    if raw is None:
        return None
    try:
        nums = [float(v) for v in raw.split(",")]
    except ValueError:
        raise bad("bbox", "harus 4 atau 6 angka dipisah koma.", "must be 4 or 6 comma-separated numbers.") from None
    if len(nums) not in (4, 6) or not all(math.isfinite(n) for n in nums):
        raise bad("bbox", "harus 4 atau 6 angka dipisah koma.", "must be 4 or 6 comma-separated numbers.")
    w, s, e, n = nums if len(nums) == 4 else (nums[0], nums[1], nums[3], nums[4])
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise bad("bbox", "di luar rentang bujur/lintang.", "outside the longitude/latitude range.")
    if w > e or s > n:
        raise bad("bbox", "urutan harus barat,selatan,timur,utara.", "order must be west,south,east,north.")
    if e - w > MAX_BBOX_SPAN or n - s > MAX_BBOX_SPAN:
        raise bad("bbox", f"terlalu besar (maks. {MAX_BBOX_SPAN:.0f}°).", f"too large (max {MAX_BBOX_SPAN:.0f}°).")
    return w, s, e, n


def _instant(text: str, tz: str, end: bool) -> dt.datetime:
    try:
        value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise bad("datetime", "bukan tanggal/waktu RFC 3339.", "not an RFC 3339 date-time.") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise bad("datetime", f"tahun harus antara {MIN_YEAR} dan {MAX_YEAR}.",
                  f"the year must be between {MIN_YEAR} and {MAX_YEAR}.")
    if not isinstance(value, dt.datetime):  # a whole day: from its first moment, or up to the next day's
        return dt.datetime.combine(value + dt.timedelta(days=1 if end else 0), dt.time(0), ZoneInfo(tz))
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))


def parse_datetime(raw: str | None, tz: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) of an instant or interval; None for an open end."""
    if raw is None:
        return None, None
    parts = raw.split("/")
    if len(parts) > 2 or raw.strip() == "" or all(p in ("", "..") for p in parts):
        raise bad("datetime", "bukan instan atau interval yang valid.", "not a valid instant or interval.")
    if len(parts) == 1:
        start = _instant(parts[0], tz, end=False)
        return start, (_instant(parts[0], tz, end=True) if len(parts[0]) == 10 else start + dt.timedelta(seconds=1))
    start = None if parts[0] in ("", "..") else _instant(parts[0], tz, end=False)
    end = None if parts[1] in ("", "..") else _instant(parts[1], tz, end=True)
    if end is not None and len(parts[1]) != 10:
        end += dt.timedelta(seconds=1)  # an interval's end instant is inclusive
    if start and end and start >= end:
        raise bad("datetime", "awal interval sesudah akhirnya.", "the interval starts after it ends.")
    return start, end


def parse_items(args: Mapping, queryables: tuple[str, ...], tz: str, cursor_paging: bool = False) -> ItemsQuery:
    """Everything /items accepts, validated; `cursor` only where the collection pages by it (complaints)."""
    check_known(args, ITEMS | set(queryables) | ({"cursor"} if cursor_paging else set()))
    check_crs(args)
    start, end = parse_datetime(args.get("datetime"), tz)
    props = tuple((q, args[q]) for q in queryables if args.get(q))
    cursor = args.get("cursor")
    if cursor is not None and not (0 < len(cursor.strip()) <= CURSOR_MAX):
        raise bad("cursor", "tidak valid.", "not valid.")
    return ItemsQuery(limit=_int(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
                      offset=_int(args, "offset", 0, 0, MAX_OFFSET), bbox=parse_bbox(args.get("bbox")),
                      after=cursor.strip().upper() if cursor is not None else None,
                      start=start, end=end, props=props)


def layer_filter(q: ItemsQuery, tz: str) -> LayerFilter:
    """The cell collections' filter: `datetime` chooses the period (default the last twelve months), and the
    category, skpd and status queryables take comma-separated codes."""
    start, end = default_range(dt.datetime.now(ZoneInfo(tz)).date())
    if q.start:
        start = q.start.astimezone(ZoneInfo(tz)).date()
    if q.end:
        end = (q.end - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date() + dt.timedelta(days=1)
    if start >= end:  # an interval open at the start and ending before the default start
        start = end - dt.timedelta(days=365)
    props = dict(q.props)
    statuses = tuple(props["status"].split(",")) if "status" in props else DEFAULT_STATUSES
    return LayerFilter(start, end, tuple(filter(None, props.get("category", "").split(","))),
                       tuple(filter(None, props.get("skpd", "").split(","))), statuses, tz)
