"""`GET /api/v1/nearby`: nearest first on the metric KNN index, small GeoJSON, filters, privacy, bad input."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import re

import pytest
from sqlalchemy import text

from aduan.permissions import StaffUser
from aduan.queries.nearby import KNN_ONLY_SETTINGS, NearbyQuery, find_nearby, knn_statement
from geo.routing import OutsideCityError
from tests.fieldkit import login, make_tickets, make_user

HERE = (114.51, -3.39)  # Kelurahan A
OLD = "2026-11-02 09:00"  # long past its 5-day follow-up clock
FRESH = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
M_PER_DEG_LON = 111_000  # near the equator; good to ~1 % here


def _east(metres: float) -> float:
    return HERE[0] + metres / M_PER_DEG_LON


@pytest.fixture
def officer(client, engine):
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    assert login(client, "andi@pupr.test").status_code == 303
    return client


def _get(client, **params):
    query = {"lon": HERE[0], "lat": HERE[1], **params}
    return client.get("/api/v1/nearby", query_string=query)


def test_answers_a_feature_collection_nearest_first_with_distances(officer, engine, settings):
    """Tickets come back nearest first, each with distance_m in metres."""
    make_tickets(engine, settings, [(_east(m), HERE[1], "jalan-rusak", f"{m} m", FRESH, "new")
                                    for m in (300, 100, 200)])
    resp = _get(officer)
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    body = resp.json
    assert body["type"] == "FeatureCollection"
    distances = [f["properties"]["distance_m"] for f in body["features"]]
    assert distances == sorted(distances) and [round(d, -1) for d in distances] == [100, 200, 300]


def test_feature_is_small_and_has_what_a_row_needs(officer, engine, settings):
    """A feature carries code, category, status, SKPD, SLA and distance — and no reporter data."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "Lubang", FRESH, "new")])
    [f] = _get(officer).json["features"]
    assert f["geometry"] == {"type": "Point", "coordinates": [HERE[0], HERE[1]]}
    assert set(f["properties"]) == {"code", "title", "category", "category_name", "status", "status_label", "skpd",
                                    "distance_m", "sla", "sla_text", "due", "mine", "open"}
    assert len(json.dumps(f)) < 600


def test_radius_limits_the_search(officer, engine, settings):
    """Tickets beyond radius_m are not returned."""
    make_tickets(engine, settings, [(_east(m), HERE[1], "jalan-rusak", f"{m} m", FRESH, "new") for m in (100, 600)])
    assert len(_get(officer, radius_m=300).json["features"]) == 1


def test_limit_caps_the_number_of_features(officer, engine, settings):
    """`limit` returns only the n nearest."""
    make_tickets(engine, settings, [(_east(m), HERE[1], "jalan-rusak", f"{m} m", FRESH, "new") for m in (10, 20, 30)])
    features = _get(officer, limit=2).json["features"]
    assert [round(f["properties"]["distance_m"], -1) for f in features] == [10, 20]


@pytest.mark.parametrize("radius", ["0", "10001", "-5", "abc", "nan", "1e9"])
def test_radius_out_of_range_is_400(officer, radius):
    """The radius must be a number from 1 m to 10 km."""
    resp = _get(officer, radius_m=radius)
    assert resp.status_code == 400 and resp.json["field"] == "radius_m" and "10000" in resp.json["detail"]


@pytest.mark.parametrize("limit", ["0", "201", "x"])
def test_limit_out_of_range_is_400(officer, limit):
    """At most 200 features per request."""
    assert _get(officer, limit=limit).status_code == 400


def test_position_outside_the_city_is_422(officer):
    """A point far from the city is refused with the city's name."""
    resp = officer.get("/api/v1/nearby", query_string={"lon": 114.70, "lat": -3.39})
    assert resp.status_code == 422 and resp.json["title"] == "outside_city"
    assert "Kota Banjarmasin" in resp.json["detail"]


def test_outside_the_city_is_422_even_with_tickets_within_the_radius(officer, engine, settings):
    """The city test is part of the search statement: 500 m west of the city (tolerance 250 m) a ticket 110 m
    inside it is within the 1 km radius, and the answer is still the refusal, not the ticket."""
    make_tickets(engine, settings, [(114.501, HERE[1], "jalan-rusak", "Di tepi kota", FRESH, "new")])
    assert _get(officer, lon=114.501).json["numberReturned"] == 1
    resp = _get(officer, lon=114.50 - 500 / M_PER_DEG_LON)
    assert resp.status_code == 422 and resp.json["title"] == "outside_city"


def test_no_ticket_near_a_point_in_the_city_is_an_empty_collection(officer):
    """Nothing within the radius is an answer, not an error."""
    resp = _get(officer)
    assert resp.status_code == 200 and resp.json["features"] == [] and resp.json["numberReturned"] == 0


def test_missing_coordinates_are_400(officer):
    """lon/lat are required numbers."""
    assert officer.get("/api/v1/nearby?lat=-3.39").status_code == 400


def test_unknown_status_filter_is_400(officer):
    """Only the documented status filters are accepted."""
    assert _get(officer, status="lost").status_code == 400


def test_own_skpd_is_the_default_filter(officer, engine, settings):
    """An officer of PUPR sees PUPR tickets by default, not DLH's."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "PUPR", FRESH, "new"),
                                    (HERE[0], HERE[1], "sampah", "DLH", FRESH, "new")])
    assert [f["properties"]["skpd"] for f in _get(officer).json["features"]] == ["PUPR"]


def test_all_skpds_shows_other_public_tickets_but_not_their_private_ones(officer, engine, settings):
    """With skpd=all another SKPD's public tickets appear; its non-public (confidential) ones never do."""
    codes = make_tickets(engine, settings, [(HERE[0], HERE[1], "sampah", "publik", FRESH, "new"),
                                            (HERE[0], HERE[1], "sampah", "rahasia", FRESH, "new")])
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET public = false WHERE tracking_code = :c"), {"c": codes[1]})
    features = _get(officer, skpd="all").json["features"]
    assert [f["properties"]["code"] for f in features] == [codes[0]]
    assert features[0]["properties"]["mine"] is False


def test_another_skpds_ticket_is_titled_by_its_public_text_not_the_reporters_words(officer, app, engine, settings):
    """Contact data the reporter typed reaches only those who may see it: another SKPD's officer reads the
    moderated text, masked; the owning SKPD reads the original."""
    words = "Sampah menumpuk, hubungi saya 0812-3456-7890 atau budi@example.com"
    [code] = make_tickets(engine, settings, [(HERE[0], HERE[1], "sampah", words, FRESH, "new")])
    [title] = [f["properties"]["title"] for f in _get(officer, skpd="all").json["features"]]
    assert "3456" not in title and "budi@example.com" not in title and title.startswith("Sampah menumpuk")
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET public_description = 'Sampah menumpuk (dimoderasi)' "
                       "WHERE tracking_code = :c"), {"c": code})
    assert [f["properties"]["title"] for f in _get(officer, skpd="all").json["features"]] == [
        "Sampah menumpuk (dimoderasi)"]
    make_user(engine, "dewi@dlh.test", "officer", "DLH")
    owner = app.test_client()
    assert login(owner, "dewi@dlh.test").status_code == 303
    assert [f["properties"]["title"] for f in _get(owner).json["features"]] == [words[:80]]


def test_planner_sees_every_skpd_including_non_public(client, engine, settings):
    """Planners read everything (and change nothing)."""
    make_user(engine, "rina@bappeda.test", "planner")
    login(client, "rina@bappeda.test")
    codes = make_tickets(engine, settings, [(HERE[0], HERE[1], "sampah", "rahasia", FRESH, "new")])
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET public = false"))
    assert [f["properties"]["code"] for f in _get(client).json["features"]] == codes


def test_category_filter(officer, engine, settings):
    """Only the asked category is returned."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "jalan", FRESH, "new"),
                                    (HERE[0], HERE[1], "lampu-jalan", "lampu", FRESH, "new")])
    features = _get(officer, skpd="all", category="lampu-jalan").json["features"]
    assert [f["properties"]["category"] for f in features] == ["lampu-jalan"]


def test_open_is_the_default_status_filter(officer, engine, settings):
    """Resolved tickets are left out unless asked for."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "baru", FRESH, "new"),
                                    (HERE[0], HERE[1], "jalan-rusak", "selesai", FRESH, "resolved")])
    assert [f["properties"]["status"] for f in _get(officer).json["features"]] == ["new"]
    assert [f["properties"]["status"] for f in _get(officer, status="resolved").json["features"]] == ["resolved"]


def test_overdue_filter_and_sla_text(officer, engine, settings):
    """overdue=1 keeps only late tickets; their SLA reads "terlambat N hari kerja"."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "lama", OLD, "new"),
                                    (HERE[0], HERE[1], "jalan-rusak", "baru", FRESH, "new")])
    [f] = _get(officer, overdue=1).json["features"]
    assert f["properties"]["sla"] == "late" and "terlambat" in f["properties"]["sla_text"]
    assert "hari kerja" in f["properties"]["sla_text"]


def test_sla_text_in_english_on_request(officer, engine, settings):
    """?lang=en gives the English text."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "lama", OLD, "new")])
    [f] = _get(officer, lang="en").json["features"]
    assert f["properties"]["sla_text"].startswith("Follow-up:") and "late" in f["properties"]["sla_text"]


def test_large_answers_are_gzipped_for_clients_that_accept_it(officer, engine, settings):
    """Slow mobile connections get a compressed body."""
    make_tickets(engine, settings, [(_east(m), HERE[1], "jalan-rusak", "x" * 60, FRESH, "new") for m in range(0, 50)])
    resp = officer.get("/api/v1/nearby", query_string={"lon": HERE[0], "lat": HERE[1]},
                       headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(resp.data))["features"]) == 50


def _plan(conn, settings, query: NearbyQuery) -> str:
    user = StaffUser(1, "x@t.test", None, "officer", 1, "PUPR")
    stmt, values = knn_statement(query, user, settings, dt.datetime.now(dt.UTC))
    state = stmt.compile(conn).construct_expanded_state(values)
    for name, value in KNN_ONLY_SETTINGS.items():  # as find_nearby runs it
        conn.execute(text(f"SET LOCAL {name} = {value}"))
    return "\n".join(conn.exec_driver_sql("EXPLAIN " + state.statement, state.parameters).scalars())


def test_open_tickets_query_walks_the_partial_knn_index(conn, settings):
    """The default search (open tickets) is a KNN walk of the open-tickets index, ordered by <->, no sort."""
    plan = _plan(conn, settings, NearbyQuery(*HERE, category="sampah", overdue=True))
    assert re.search(r"Index Scan using complaint_y\d{4}m\d{2}_open_geom_m", plan)  # each month's piece of it
    assert "Order By: (geom_m <->" in plan


def test_specific_open_status_also_uses_the_partial_index(conn, settings):
    """status=new is a subset of open tickets, so it can use the open-tickets index too."""
    assert re.search(r"Index Scan using complaint_y\d{4}m\d{2}_open_geom_m",
                     _plan(conn, settings, NearbyQuery(*HERE, status="new")))


def test_all_statuses_query_walks_the_full_knn_index(conn, settings):
    """status=all uses the full metric GiST index, still in KNN order."""
    plan = _plan(conn, settings, NearbyQuery(*HERE, status="all"))
    assert re.search(r"Index Scan using idx_complaint_y\d{4}m\d{2}_geom_m", plan) and "Order By: (geom_m <->" in plan


def test_nearby_page_renders_the_list_without_javascript(officer, engine, settings):
    """With lon/lat in the URL the page lists tickets itself: own ones link to the staff page, others' to the
    public tracking page."""
    own, other = make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "jalan", FRESH, "new"),
                                                 (HERE[0], HERE[1], "lampu-jalan", "lampu", FRESH, "new")])
    html = officer.get("/field/sekitar", query_string={"lon": HERE[0], "lat": HERE[1], "skpd": "all"}).get_data(
        as_text=True)
    assert f'href="/field/aduan/{own}"' in html and f'href="/lacak/{other}"' in html
    assert "2 aduan dalam 1000 m" in html


def test_nearby_page_outside_the_city_is_422(officer):
    """The page, like the API, refuses a point outside the city with a readable message."""
    resp = officer.get("/field/sekitar", query_string={"lon": 114.70, "lat": -3.39})
    assert resp.status_code == 422 and "luar wilayah" in resp.get_data(as_text=True)


def test_find_nearby_restores_the_planner_settings(conn, settings):
    """Sorts and JIT off and a kept plan are only for the KNN statement; the transaction gets them back."""
    user = StaffUser(1, "x@t.test", None, "admin", None, None)
    before = [conn.execute(text(f"SHOW {name}")).scalar() for name in KNN_ONLY_SETTINGS]
    find_nearby(conn, settings, user, NearbyQuery(*HERE), dt.datetime.now(dt.UTC))
    after = [conn.execute(text(f"SHOW {name}")).scalar() for name in KNN_ONLY_SETTINGS]
    assert after == before == ["on", "on", "auto"]


def test_the_kept_statement_takes_each_users_own_values(app, engine, settings):
    """The KNN statement is built once per filter shape and kept: a second officer of another SKPD, asking the
    same way right after the first, sees their own private ticket and not the first officer's."""
    codes = make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "PUPR rahasia", FRESH, "new"),
                                            (HERE[0], HERE[1], "sampah", "DLH rahasia", FRESH, "new")])
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET public = false"))
        ids = dict(c.execute(text("SELECT code, id FROM skpd WHERE code IN ('PUPR', 'DLH')")).all())
        seen = {}
        for skpd in ("PUPR", "DLH", "PUPR"):
            user = StaffUser(1, "x@t.test", None, "officer", ids[skpd], skpd)
            rows = find_nearby(c, settings, user, NearbyQuery(*HERE, status="all"), dt.datetime.now(dt.UTC))
            seen.setdefault(skpd, []).append([r["tracking_code"] for r in rows])
    assert seen == {"PUPR": [[codes[0]], [codes[0]]], "DLH": [[codes[1]]]}


def test_the_kept_statement_tests_each_point_against_the_city(engine, settings):
    """The city test inside the kept (prepared, generic) statement is made for each run's point: after runs in
    the city, a point outside it is refused, and one inside is answered again."""
    make_tickets(engine, settings, [(114.501, HERE[1], "jalan-rusak", "Di tepi kota", FRESH, "new")])
    user = StaffUser(1, "x@t.test", None, "admin", None, None)
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as c:
        for _ in range(7):  # psycopg prepares the statement on its fifth run
            assert len(find_nearby(c, settings, user, NearbyQuery(114.501, HERE[1]), now)) == 1
        kept = c.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
        assert any("geom_m <->" in s for s in kept), kept
        with pytest.raises(OutsideCityError):
            find_nearby(c, settings, user, NearbyQuery(114.50 - 500 / M_PER_DEG_LON, HERE[1]), now)
        c.rollback()
        assert len(find_nearby(c, settings, user, NearbyQuery(114.501, HERE[1]), now)) == 1


def test_a_read_only_request_keeps_the_connections_prepared_statements(officer, app, engine, settings):
    """Nearby requests one after another reuse the KNN statement's plan: the request's transaction, which wrote
    nothing, ends with a commit (psycopg drops every prepared statement on a rollback), so from the sixth request
    on the statement is prepared on the server instead of planned over every month again."""
    make_tickets(engine, settings, [(HERE[0], HERE[1], "jalan-rusak", "jalan", FRESH, "new")])
    for _ in range(7):
        assert officer.get("/api/v1/nearby", query_string={"lon": HERE[0], "lat": HERE[1]}).status_code == 200
    pool_conn = app.extensions["db_engine"].raw_connection()
    try:
        with pool_conn.cursor() as cur:
            cur.execute("SELECT statement FROM pg_prepared_statements")
            kept = [row[0] for row in cur.fetchall()]
    finally:
        pool_conn.close()
    assert any("geom_m <->" in s for s in kept), kept


@pytest.mark.parametrize("param", ["skpd", "category"])
def test_a_filter_naming_no_skpd_or_category_is_400_not_an_empty_list(officer, param):
    """An empty list would read as "nothing near"; an unknown code is a typing error to say so."""
    resp = _get(officer, **{param: "NOPE"})
    assert resp.status_code == 400 and resp.json["field"] == param and "NOPE" in resp.json["detail"]
