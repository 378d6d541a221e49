"""GET requests filters: the spec's (ids, service_code, dates, status, 90 days / 1000) and our extensions."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from aduan.intake import Submission, submit
from tests.api.open311kit import BASE, FORMATS, created_id, execute, make_key, read


@pytest.fixture
def key(app, engine) -> str:
    return make_key(engine)


def _ids(client, query: str = "", fmt: str = "json") -> list[str]:
    resp = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert resp.status_code == 200, resp.data
    return [r["service_request_id"] for r in read(resp, fmt, "service_requests")]


def _received(engine, settings, days: float) -> str:
    """A request the city received `days` ago (entered as a phone report received then): its creation time and
    the month in its id agree, as for every complaint (created_at is never changed after the fact)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    with Session(engine) as session:
        return submit(session, Submission(category="jalan-rusak", description="Jalan berlubang di depan pasar",
                                          lon=114.51, lat=-3.39, channel="phone", received_at=when),
                      settings).tracking_code


def _bad(client, query: str, fmt: str = "json") -> str:
    resp = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert resp.status_code == 400, resp.data
    return read(resp, fmt, "errors")[0]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_comma_separated_ids_select_those_requests(client, key, fmt):
    """service_request_id=a,b returns exactly a and b."""
    a, b, _ = (created_id(client, key) for _ in range(3))
    assert sorted(_ids(client, f"service_request_id={a},{b}", fmt)) == sorted([a, b])


def test_ids_override_the_other_filters(client, key):
    """service_request_id overrides status and dates, as the spec says."""
    code = created_id(client, key)
    assert _ids(client, f"service_request_id={code}&status=closed&start_date=2001-01-01T00:00:00Z") == [code]


def test_service_code_filter_accepts_a_list(client, key):
    """service_code=a,b keeps requests of those services only."""
    road = created_id(client, key)
    light = created_id(client, key, service_code="lampu-jalan")
    created_id(client, key, service_code="sampah")
    assert sorted(_ids(client, "service_code=jalan-rusak,lampu-jalan")) == sorted([road, light])


@pytest.mark.parametrize("status,expected", [("open", "new"), ("closed", "resolved"), ("open,closed", "both")])
def test_status_filter(client, key, engine, status, expected):
    """status=open keeps new/verified/in_progress, closed the rest, both means no filter."""
    fresh, done = created_id(client, key), created_id(client, key)
    execute(engine, "UPDATE complaint SET status = 'resolved' WHERE tracking_code = :c", c=done)
    want = {"new": [fresh], "resolved": [done], "both": [fresh, done]}[expected]
    assert sorted(_ids(client, f"status={status}")) == sorted(want)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_status_is_400(client, fmt):
    """status must be open or closed."""
    assert "status" in _bad(client, "status=pending", fmt)


def test_date_window_in_utc_selects_by_requested_datetime(client, key, engine, settings):
    """start_date/end_date in W3C UTC ('Z') select by requested_datetime."""
    old = _received(engine, settings, 10)
    created_id(client, key)
    assert _ids(client, "start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z") == []
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"start_date={start}&end_date={end}") == [old]


def test_offset_sent_with_an_unencoded_plus_still_parses(client, key):
    """'+08:00' sent unencoded arrives as ' 08:00' and is still read as WITA (not as UTC, not an error)."""
    code = created_id(client, key)
    wita = dt.timezone(dt.timedelta(hours=8))
    now = dt.datetime.now(wita)
    start, end = ((now + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S+08:00") for h in (-1, 1))
    assert _ids(client, f"start_date={start}&end_date={end}") == [code]


def test_default_window_is_the_last_90_days(client, key, engine, settings):
    """Without dates only the last 90 days are listed."""
    recent, old = _received(engine, settings, 89), _received(engine, settings, 91)
    assert _ids(client) == [recent]
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=92)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"start_date={start}") == [recent, old]  # there, when asked for


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("value", ["kemarin", "2026-13-01T00:00:00Z", "2026-01-01T25:00:00Z", "31/01/2026"])
def test_bad_date_is_400(client, fmt, value):
    """A start_date that is no W3C datetime answers 400 naming the parameter."""
    assert "start_date" in _bad(client, f"start_date={value}", fmt)


def test_start_after_end_is_400(client):
    """start_date after end_date is refused."""
    assert "start_date" in _bad(client, "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z")


def test_span_over_90_days_is_400(client):
    """The spec's range may not span more than 90 days."""
    assert "90" in _bad(client, "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")


def test_newest_first(client, key, engine, settings):
    """Requests come newest first."""
    first, second = _received(engine, settings, 1), created_id(client, key)
    assert _ids(client) == [second, first]


def test_default_limit_is_1000_and_paging_reaches_the_rest(client, key, engine):
    """At most 1000 requests per answer by default; page=2 returns what is left."""
    code = created_id(client, key)
    execute(engine, """
        INSERT INTO complaint (id, tracking_code, category_id, description, geom, channel, status, public, anonymous,
               generation_id, kelurahan_id, kecamatan_id, skpd_id, routing, routing_flags, created_at, updated_at,
               followup_due_at, handling_due_at, h3_cell)
        SELECT peta_next_complaint_id((id / 10000000000)::integer), left(tracking_code, 9) || 'T-' || g, category_id,
               description, geom, channel, status, public, anonymous, generation_id,
               kelurahan_id, kecamatan_id, skpd_id, routing, routing_flags, created_at - make_interval(secs => g),
               updated_at, followup_due_at, handling_due_at, h3_cell
          FROM complaint, generate_series(1, 1000) g WHERE tracking_code = :c""", c=code)
    assert len(_ids(client)) == 1000
    assert _ids(client, "page=2")[0].endswith("-T-1000")


def test_page_and_page_size(client, key, engine, settings):
    """page_size=2&page=2 gives the third and fourth newest."""
    codes = [_received(engine, settings, 5 - i) for i in range(5)]
    assert _ids(client, "page_size=2&page=2") == [codes[2], codes[1]]


@pytest.mark.parametrize("query", ["page_size=0", "page_size=1001", "page_size=x", "page=0", "page=-1"])
def test_bad_paging_is_400(client, query):
    """page and page_size must be integers in range."""
    assert query.split("=")[0] in _bad(client, query)


def test_bbox_keeps_requests_inside(client, key):
    """bbox=min_lon,min_lat,max_lon,max_lat keeps requests inside the box only."""
    west = created_id(client, key, long="114.51")
    created_id(client, key, long="114.53")
    assert _ids(client, "bbox=114.50,-3.40,114.52,-3.38") == [west]


@pytest.mark.parametrize("bbox", ["1,2,3", "114.52,-3.40,114.50,-3.38", "a,b,c,d", "nan,0,1,1"])
def test_bad_bbox_is_400(client, bbox):
    """A bbox that is not four ordered finite numbers is refused."""
    assert "bbox" in _bad(client, f"bbox={bbox}")


def test_radius_keeps_requests_near_a_point(client, key):
    """lat/long/radius keeps requests within radius metres."""
    near = created_id(client, key, long="114.510", lat="-3.390")
    created_id(client, key, long="114.530", lat="-3.390")  # about 2.2 km east
    assert _ids(client, "lat=-3.3905&long=114.5105&radius=300") == [near]


@pytest.mark.parametrize("query", ["lat=-3.39", "lat=-3.39&long=114.51&radius=0", "lat=x&long=114.51",
                                   "lat=-3.39&long=114.51&radius=50000"])
def test_bad_radius_query_is_400(client, query):
    """lat without long, a zero or huge radius, or non-numbers are refused."""
    _bad(client, query)
