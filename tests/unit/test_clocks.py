"""Working-day clocks (app/clocks.py): weekends, national holidays, year end, 23:59 WITA, city days off."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from aduan.clocks import WorkCalendar

WITA = ZoneInfo("Asia/Makassar")
CAL = WorkCalendar()


def wita(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=WITA)


def due_day(created: dt.datetime, days: int, cal: WorkCalendar = CAL) -> dt.date:
    return cal.due_at(created, days).astimezone(WITA).date()


def test_due_at_end_of_the_due_day_in_wita():
    """Mon 2 Nov 2026 + 5 working days is due at the last second of Mon 9 Nov, WITA."""
    assert CAL.due_at(wita(2026, 11, 2), 5) == dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=WITA)


def test_weekend_is_skipped():
    """Friday + 5 working days is the next Friday."""
    assert due_day(wita(2026, 11, 6), 5) == dt.date(2026, 11, 13)


@pytest.mark.parametrize("day", [7, 8])
def test_weekend_intake_counts_like_the_friday_before(day):
    """Saturday and Sunday intakes are due the same day as Friday's."""
    assert due_day(wita(2026, 11, day), 5) == due_day(wita(2026, 11, 6), 5)


def test_national_holiday_is_skipped():
    """Independence Day (Mon 17 Aug 2026) does not count: Fri 14 Aug + 5 is Mon 24 Aug."""
    assert due_day(wita(2026, 8, 14), 5) == dt.date(2026, 8, 24)


def test_year_end_skips_new_year_and_the_next_holiday():
    """Thu 31 Dec 2026 + 5: 1 Jan (New Year) and 5 Jan 2027 (Isra Mi'raj) are skipped: Mon 11 Jan 2027."""
    assert due_day(wita(2026, 12, 31), 5) == dt.date(2027, 1, 11)


def test_fifteen_day_clock_across_christmas_and_new_year():
    """Mon 21 Dec 2026 + 15 working days skips 25 Dec, 1 Jan and 5 Jan: Thu 14 Jan 2027."""
    assert due_day(wita(2026, 12, 21), 15) == dt.date(2027, 1, 14)


def test_submission_at_2359_wita_counts_on_its_local_day():
    """Thu 5 Nov 23:59 WITA (15:59 UTC) is a Thursday intake: due Thu 12 Nov."""
    assert due_day(wita(2026, 11, 5, 23, 59).astimezone(dt.UTC), 5) == dt.date(2026, 11, 12)


def test_submission_just_after_midnight_wita_counts_on_the_next_day():
    """Fri 6 Nov 00:01 WITA is still Thursday in UTC, but it is a Friday intake: due Fri 13 Nov."""
    created = wita(2026, 11, 6, 0, 1).astimezone(dt.UTC)
    assert created.date() == dt.date(2026, 11, 5)
    assert due_day(created, 5) == dt.date(2026, 11, 13)


def test_city_day_off_is_skipped():
    """A cuti bersama given to the calendar moves the due day by one working day."""
    cal = WorkCalendar([dt.date(2026, 11, 5)])
    assert due_day(wita(2026, 11, 2), 5, cal) == dt.date(2026, 11, 10)


def test_vectorised_due_dates_match_single_ones():
    """Bulk imports and single intakes get the same due moments, including at 23:59 WITA and on weekends."""
    created = [wita(2026, 11, 5, 23, 59), wita(2026, 11, 7), wita(2026, 12, 31, 8), wita(2026, 8, 14)]
    days = [5, 5, 15, 5]
    many = CAL.due_at_many(pd.Series(created), pd.Series(days).to_numpy())
    assert [ts.to_pydatetime() for ts in many] == [CAL.due_at(c, n) for c, n in zip(created, days, strict=True)]


def test_working_days_between_skips_the_weekend():
    """From Friday to the next Tuesday are two working days (Mon, Tue)."""
    assert CAL.working_days_between(wita(2026, 11, 6), wita(2026, 11, 10)) == 2
