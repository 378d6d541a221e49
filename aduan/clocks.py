"""Working-day clocks: follow-up and handling due dates in WITA, skipping weekends, Indonesian national
holidays (the `holidays` package) and city-declared days off kept in the database.

Rule (documented in the README): the intake day itself is not counted; the Nth working day *after* the intake
day is the due day, and the ticket is due at the end of that day (23:59:59 WITA); it is late from the next second.
A complaint received on a non-working day counts from the next working day, so one received on Saturday with a
5-day clock is due at the end of Friday of the following week, the same as one received on the Friday before.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from aduan.settings import DEFAULT_TIMEZONE

WEEKMASK = "1111100"  # Monday..Friday
END_OF_DAY = dt.time(23, 59, 59)


@lru_cache(maxsize=4)
def _national_holidays(years: tuple[int, ...]) -> dict[dt.date, str]:
    """Indonesian national holidays; built once per process (pure, so safe to cache)."""
    return dict(holidays.country_holidays("ID", years=list(years), language="id"))



def zone_name(tz: str) -> str:
    """The zone as people write it: WIB, WITA or WIT (tz data's abbreviation; e.g. +07 elsewhere)."""
    return dt.datetime.now(ZoneInfo(tz)).strftime("%Z")

class WorkCalendar:
    """Which days count; built once per request or import from the holidays package and the day_off table."""

    def __init__(self, days_off: Iterable[dt.date] = (), tz: str = DEFAULT_TIMEZONE,
                 years: Iterable[int] = range(2018, 2041)) -> None:
        national = _national_holidays(tuple(years))
        self.tz = ZoneInfo(tz)
        self.tz_name = tz
        self.holidays = sorted(set(national) | set(days_off))
        self._cal = np.busdaycalendar(weekmask=WEEKMASK, holidays=np.array(self.holidays, dtype="datetime64[D]"))
        # A page of 50 tickets asks the same few (today, due day) pairs; numpy's scalar busday_count costs ~25 µs
        # a call, a cache hit well under 1 µs. The calendar never changes, so neither do its answers.
        self._days_between = lru_cache(maxsize=4096)(self._count_days_between)

    @classmethod
    def from_connection(cls, conn: Connection, tz: str = DEFAULT_TIMEZONE) -> WorkCalendar:
        """National holidays plus the city's days off from the database (rebuilt only when those change)."""
        days = tuple(conn.execute(text("SELECT day FROM day_off ORDER BY day")).scalars().all())
        return _calendar(days, tz)

    def local_date(self, ts: dt.datetime) -> dt.date:
        """The calendar date in the city's time zone (a 23:59 WITA submission stays on its day)."""
        return ts.astimezone(self.tz).date()

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The Nth working day after `day` (a non-working `day` counts as the working day before it)."""
        out = np.busday_offset(np.datetime64(day, "D"), n, roll="backward", busdaycal=self._cal)
        return out.astype(dt.date)

    def due_at(self, created_at: dt.datetime, working_days: int) -> dt.datetime:
        """End of the due day, as an aware datetime (23:59:59 WITA)."""
        due_day = self.add_working_days(self.local_date(created_at), working_days)
        return dt.datetime.combine(due_day, END_OF_DAY, self.tz)

    def due_at_many(self, created_at: pd.Series, working_days: np.ndarray) -> pd.Series:
        """Vectorised `due_at` for bulk imports."""
        local = pd.to_datetime(created_at, utc=True).dt.tz_convert(self.tz_name)
        days = local.dt.tz_localize(None).dt.normalize().to_numpy().astype("datetime64[D]")
        due = np.busday_offset(days, np.asarray(working_days, dtype=np.int64), roll="backward",
                               busdaycal=self._cal) + np.timedelta64(86399, "s")
        return pd.Series(pd.to_datetime(due).tz_localize(self.tz_name), index=created_at.index)

    def _local_days(self, ts: pd.Series) -> np.ndarray:
        local = pd.to_datetime(ts, utc=True).dt.tz_convert(self.tz_name).dt.tz_localize(None).dt.normalize()
        return local.to_numpy().astype("datetime64[D]")

    def working_days_between_many(self, start: pd.Series, end: pd.Series) -> np.ndarray:
        """Vectorised `working_days_between` (negative where `end` comes first)."""
        a = self._local_days(start) + np.timedelta64(1, "D")
        b = self._local_days(end) + np.timedelta64(1, "D")
        return np.where(b >= a, np.busday_count(a, np.maximum(a, b), busdaycal=self._cal),
                        -np.busday_count(np.minimum(a, b), a, busdaycal=self._cal))

    def working_days_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working days from the day after `start` up to and including `end`'s day (both WITA)."""
        return self._days_between(self.local_date(start), self.local_date(end))

    def _count_days_between(self, start: dt.date, end: dt.date) -> int:
        a = np.datetime64(start, "D") + np.timedelta64(1, "D")
        b = np.datetime64(end, "D") + np.timedelta64(1, "D")
        return int(np.busday_count(a, b, busdaycal=self._cal)) if b > a else -int(
            np.busday_count(b, a, busdaycal=self._cal))


@lru_cache(maxsize=8)
def _calendar(days_off: tuple[dt.date, ...], tz: str) -> WorkCalendar:
    """Calendars are immutable, so one per set of days off can be shared by every request of a process."""
    return WorkCalendar(days_off, tz)
