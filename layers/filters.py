"""What every layer is filtered by: a time range, categories, SKPD and statuses.

Parsed once from query parameters, turned into one SQL expression over the complaint table (values bound), and
hashed into the cache key. Defaults (documented in the README): the last twelve calendar months up to today in the
city's time zone; every status except `rejected` and `duplicate` (those are not separate problems on the ground); public
complaints only, because the layers are served without a login.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Table, and_, select

from aduan.errors import DomainError
from aduan.models import Category, Complaint, Skpd
from aduan.partitions import created_between
from aduan.settings import DEFAULT_TIMEZONE
from aduan.statuses import NOT_A_PROBLEM, STATUSES
from aduan.text import MAX_YEAR, MIN_YEAR

DEFAULT_STATUSES = tuple(s for s in STATUSES if s not in NOT_A_PROBLEM)
MAX_RANGE_DAYS = 3660
FILTER_PARAMS = ("start", "end", "category", "skpd", "status")


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s (the monthly counts, partitions of tiles and reports step by it)."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class LayerFilter:
    """A time range [start, end) of local dates plus code lists; empty lists mean "all"."""

    start: dt.date
    end: dt.date
    categories: tuple[str, ...] = ()
    skpd: tuple[str, ...] = ()
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    tz: str = DEFAULT_TIMEZONE
    public_only: bool = True

    def key(self) -> dict:
        """A JSON-able, order-independent form for cache keys."""
        d = asdict(self)
        d.update(start=self.start.isoformat(), end=self.end.isoformat(), categories=sorted(self.categories),
                 skpd=sorted(self.skpd), statuses=sorted(self.statuses))
        return d

    @property
    def last_day(self) -> dt.date:
        """The inclusive end date shown to people."""
        return self.end - dt.timedelta(days=1)

    def previous(self) -> LayerFilter:
        """The period of the same length just before, for change maps."""
        days = self.end - self.start
        return replace(self, start=self.start - days, end=self.start)

    def months(self) -> list[dt.date]:
        """First days of the calendar months that the range touches, oldest first."""
        out, m = [], self.start.replace(day=1)
        while m < self.end:
            out.append(m)
            m = next_month(m)
        return out

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The range as aware datetimes at local midnight."""
        tz = ZoneInfo(self.tz)
        return (dt.datetime.combine(self.start, dt.time(0), tz), dt.datetime.combine(self.end, dt.time(0), tz))

    def condition(self, c: Table = Complaint.__table__) -> ColumnElement[bool]:
        """The filter as one expression over complaint table (or alias) `c`."""
        start, end = self.bounds()
        return and_(c.c.created_at >= start, c.c.created_at < end, created_between(c.c.id, start, end),
                    self.kind_condition(c))

    def kind_condition(self, c: Table) -> ColumnElement[bool]:
        """Status, category, SKPD and visibility over any table with those columns (complaints, their counts)."""
        parts = [c.c.status.in_(self.statuses)]
        if self.categories:
            cat = Category.__table__
            parts.append(c.c.category_id.in_(select(cat.c.id).where(cat.c.code.in_(self.categories))))
        if self.skpd:
            skpd = Skpd.__table__
            parts.append(c.c.skpd_id.in_(select(skpd.c.id).where(skpd.c.code.in_(self.skpd))))
        if self.public_only:
            parts.append(c.c.public)
        return and_(*parts)


def _codes(args: Mapping, name: str) -> tuple[str, ...]:
    values = args.getlist(name) if hasattr(args, "getlist") else [args.get(name) or ""]
    return tuple(sorted({c.strip() for v in values for c in (v or "").split(",") if c.strip()}))


def _date(args: Mapping, name: str, default: dt.date) -> dt.date:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise DomainError(f"Tanggal '{name}' tidak valid (format YYYY-MM-DD).",
                          f"Invalid date '{name}' (use YYYY-MM-DD).", field=name) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise DomainError(f"Tahun pada tanggal '{name}' harus antara {MIN_YEAR} dan {MAX_YEAR}.",
                          f"The year of date '{name}' must be between {MIN_YEAR} and {MAX_YEAR}.", field=name)
    return day


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """Twelve calendar months up to and including today."""
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, today + dt.timedelta(days=1)


def parse_filter(args: Mapping, tz: str, today: dt.date | None = None) -> LayerFilter:
    """Read `start`, `end` (inclusive local dates), `category`, `skpd`, `status`; every bad value is a 400."""
    today = today or dt.datetime.now(ZoneInfo(tz)).date()
    d_start, d_end = default_range(today)
    start = _date(args, "start", d_start)
    end = _date(args, "end", d_end - dt.timedelta(days=1)) + dt.timedelta(days=1)
    if end <= start:
        raise DomainError("Tanggal akhir harus sesudah tanggal awal.", "The end date must not be before the start.",
                          field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise DomainError("Rentang waktu paling lama 10 tahun.", "The time range is at most 10 years.", field="start")
    statuses = _codes(args, "status") or DEFAULT_STATUSES
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise DomainError(f"Status tidak dikenal: {', '.join(unknown)}.", f"Unknown status: {', '.join(unknown)}.",
                          field="status")
    return LayerFilter(start, end, _codes(args, "category"), _codes(args, "skpd"), statuses, tz)


def check_codes(conn: Connection, flt: LayerFilter) -> None:
    """Unknown category or SKPD codes are a 400, not an empty map that looks like good news."""
    for table, name, codes in ((Category.__table__, "category", flt.categories), (Skpd.__table__, "skpd", flt.skpd)):
        if not codes:
            continue
        known = set(conn.execute(select(table.c.code).where(table.c.code.in_(codes))).scalars())
        missing = sorted(set(codes) - known)
        if missing:
            raise DomainError(f"Kode {name} tidak dikenal: {', '.join(missing)}.",
                              f"Unknown {name} code: {', '.join(missing)}.", field=name)
