"""The month arithmetic behind the monthly partitions (aduan/partitions.py), without a database."""
from __future__ import annotations

import datetime as dt

import pytest

from aduan.partitions import ID_MONTH, code_span, month_after, month_key, months_between, next_months, partition_name


def test_month_keys_roll_over_the_year():
    """December is followed by January of the next year, and the distance counts across years."""
    assert month_after(202612) == 202701 and month_after(202611) == 202612
    assert next_months(dt.date(2026, 11, 30), 3) == [202611, 202612, 202701, 202702]
    assert months_between(202611, 202703) == 4 and months_between(202703, 202611) == -4
    assert month_key(dt.datetime(2026, 1, 31, 23, 59)) == 202601


@pytest.mark.parametrize("code,month", [("BJM-2611-8K3QAB", 202611), ("BJM-2612-XXXXXX", 202612),
                                        ("PLK-2001-AAAAAA", 202001)])
def test_a_tracking_code_names_the_ids_of_its_month(code, month):
    """The code's YYMM bounds the ids: exactly the month's range, the next month excluded."""
    span = code_span(code)
    assert span == {"lo": month * ID_MONTH, "hi": month_after(month) * ID_MONTH}


@pytest.mark.parametrize("code", ["", None, "BJM", "BJM-26-ABC", "BJM-2613-ABCDEF", "BJM-2600-ABCDEF",
                                  "BJM-XX11-ABCDEF"])
def test_a_code_naming_no_month_matches_nothing(code):
    """An empty id range: the lookup reads no partition and finds nothing."""
    assert code_span(code) == {"lo": 0, "hi": 0}


def test_partition_names_match_the_sql_functions():
    """Named as peta_month_suffix() names them (migrations/sql/partitions_v1.sql)."""
    assert partition_name("complaint", 202603) == "complaint_y2026m03"
    assert partition_name("complaint_event", 202612) == "complaint_event_y2026m12"
