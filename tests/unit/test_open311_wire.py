"""Open311 wire details without a database: XML/JSON rendering, datetimes, query and form parsing."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from aduan.errors import DomainError
from app.errors import status_of
from app.open311.formats import to_json, to_xml, w3c
from app.open311.params import attributes, csv_list, new_request, request_query, w3c_datetime

WITA = ZoneInfo("Asia/Makassar")
NOW = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)


def test_w3c_gives_wita_offset_without_microseconds():
    """UTC instants are written in WITA with +08:00 and whole seconds."""
    assert w3c(dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC), WITA) == "2026-01-01T08:00:00+08:00"


def test_w3c_of_nothing_is_none():
    """A missing datetime stays missing (an empty element / null)."""
    assert w3c(None, WITA) is None


def test_xml_lists_use_the_spec_item_names():
    """A list under 'services' holds <service> elements; nested lists get their own item names."""
    doc = ET.fromstring(to_xml("services", [{"service_code": "a", "flags": ["x", "y"]}]))
    assert [c.tag for c in doc] == ["service"] and [f.tag for f in doc.find("service/flags")] == ["flag", "flag"]


def test_xml_renders_booleans_and_none_as_the_spec_does():
    """true/false in lower case; None as an empty element."""
    doc = ET.fromstring(to_xml("service", {"metadata": False, "group": None}))
    assert doc.find("metadata").text == "false" and doc.find("group").text is None


def test_xml_drops_characters_xml_cannot_carry():
    """Control characters that XML 1.0 forbids are dropped so the document still parses."""
    doc = ET.fromstring(to_xml("request", {"description": "a\x00b\x0bc\x1fd\ttab"}))
    assert doc.find("description").text == "abcd\ttab"


def test_json_keeps_unicode_and_markup_as_text():
    """JSON is UTF-8 with the text unchanged (no HTML escaping needed: it is data)."""
    assert to_json([{"d": "Jalan rusak <b> — 'é'"}]).decode() == '[{"d": "Jalan rusak <b> — \'é\'"}]'


@pytest.mark.parametrize("value,expected", [
    ("2026-01-01T00:00:00Z", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ("2026-01-01T08:00:00+08:00", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ("2026-01-01T08:00:00 08:00", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ("2026-01-01T08:00", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ("2026-01-01", dt.datetime(2025, 12, 31, 16, tzinfo=dt.UTC)),
])
def test_w3c_datetime_accepts_the_w3c_forms(value, expected):
    """Z, an offset, an offset whose '+' became a space, and no offset (taken as WITA) all parse."""
    assert w3c_datetime(value, "start_date", WITA) == expected


@pytest.mark.parametrize("args", [{"end_date": "0001-01-01T00:00:00Z"}, {"start_date": "9999-12-31T23:00:00Z"},
                                  {"start_date": "9999-12-31"}])
def test_dates_at_the_ends_of_the_calendar_are_refused(args):
    """Dates whose 90-day window would leave the calendar are a 400, not an overflow."""
    with pytest.raises(DomainError):
        request_query(args, NOW, WITA)


def test_default_window_is_90_days_up_to_now():
    """No dates means the last 90 days."""
    q = request_query({}, NOW, WITA)
    assert (q.start, q.end) == (NOW - dt.timedelta(days=90), NOW)


def test_only_start_date_spans_90_days_at_most_up_to_now():
    """With start_date alone the window runs 90 days from it, not past now."""
    q = request_query({"start_date": "2026-11-01T00:00:00Z"}, NOW, WITA)
    assert q.end == NOW and q.start == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_empty_parameters_count_as_absent():
    """The spec's 'Optional Arguments': an empty parameter equals a missing one."""
    assert request_query({"status": "", "start_date": "", "service_code": ""}, NOW, WITA) == request_query({}, NOW,
                                                                                                          WITA)


def test_csv_list_trims_and_drops_empties():
    """'a, b,,c' is three items."""
    assert csv_list("a, b,,c") == ["a", "b", "c"] and csv_list("") is None


def test_form_attributes_collect_single_and_multiple_values():
    """attribute[a]=1 and attribute[b][]=x&attribute[b][]=y become {a: [1], b: [x, y]}."""
    got = attributes({"attribute[a]": ["1"], "attribute[b][]": ["x", "y"], "attributes": ["z"], "a": ["q"]})
    assert got == {"a": ["1"], "b": ["x", "y"]}


def test_json_attribute_object_is_read_too():
    """A JSON body's {"attribute": {"b": ["x", "y"]}} is the same as the form keys."""
    assert attributes({"attribute": [{"a": "1", "b": ["x", "y"]}]}) == {"a": ["1"], "b": ["x", "y"]}


def test_new_request_takes_the_header_key_when_no_field():
    """The Idempotency-Key header is used when no idempotency_key field is sent."""
    req = new_request({"service_code": ["a"], "lat": ["1"], "long": ["2"]}, "hdr-1")
    assert req.idempotency_key == "hdr-1"


def test_new_request_without_coordinates_is_refused():
    """lat and long are required to route."""
    with pytest.raises(DomainError) as err:
        new_request({"service_code": ["a"], "address_string": ["Jl. A"]})
    assert status_of(err.value) == 400 and "lat" in err.value.message_en
