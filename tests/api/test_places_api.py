"""GET /api/v1/places and /api/v1/places/nearest: search by name and the nearest named place, bilingual 400s."""
from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import LineString, Point
from sqlalchemy import text

from aduan import places


@pytest.fixture
def patokan(engine):
    """Places committed for the app to read (the app's connections are its own); removed afterwards."""
    rows = [{"name": "Pasar Lama", "kind": "pasar", "geometry": Point(114.510, -3.390)},
            {"name": "Masjid Dekat", "kind": "masjid", "geometry": Point(114.502, -3.398)},
            {"name": "Masjid Jauh", "kind": "masjid", "geometry": Point(114.538, -3.362)},
            {"name": "<img src=x onerror=alert(1)> Gang", "kind": "gang", "geometry": Point(114.52, -3.37)},
            {"name": "Jalan Ahmad Yani", "kind": "jalan",
             "geometry": LineString([(114.505, -3.385), (114.535, -3.385)])}]
    with engine.begin() as c:
        places.load_places(c, pd.DataFrame(rows), source="api-test")
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM place"))


def test_search_finds_a_misspelt_place_with_its_point_and_cache_header(client, patokan):
    """A typo still finds the market; the answer is public and briefly cacheable."""
    r = client.get("/api/v1/places?q=pasar%20lma")
    assert r.status_code == 200
    assert r.get_json()["places"][0] == {"name": "Pasar Lama", "kind": "pasar", "lon": 114.51, "lat": -3.39,
                                         "distance_m": None}
    assert r.headers["Cache-Control"] == "public, max-age=300"


def test_search_near_a_centre_ranks_nearest_first_and_gives_distances(client, patokan):
    """With lon/lat, equal matches come nearest first, each with its distance in metres."""
    body = client.get("/api/v1/places?q=masjid&lon=114.501&lat=-3.399").get_json()
    assert [p["name"] for p in body["places"]] == ["Masjid Dekat", "Masjid Jauh"]
    assert 0 < body["places"][0]["distance_m"] < body["places"][1]["distance_m"]


def test_search_finds_kelurahan_names_and_honours_limit(client, patokan):
    """Kelurahan names are searched too; limit caps the list."""
    body = client.get("/api/v1/places?q=kelurahan&limit=3").get_json()
    assert len(body["places"]) == 3 and {p["kind"] for p in body["places"]} == {"kelurahan"}


def test_place_names_are_data_in_json(client, patokan):
    """A hostile name comes back as the string it is (the pages escape it)."""
    body = client.get("/api/v1/places?q=gang").get_json()
    assert body["places"][0]["name"] == "<img src=x onerror=alert(1)> Gang"


def test_nearest_gives_the_landmark_text_in_both_languages(client, patokan):
    """A pin ~120 m north of Pasar Lama: "dekat Pasar Lama, 120 m" / "near Pasar Lama, 120 m"."""
    body = client.get("/api/v1/places/nearest?lon=114.510&lat=-3.388915").get_json()
    assert body["place"]["name"] == "Pasar Lama" and 115 < body["place"]["distance_m"] < 125
    assert (body["label"], body["label_en"]) == ("dekat Pasar Lama, 120 m", "near Pasar Lama, 120 m")


def test_nearest_with_nothing_near_is_an_empty_answer(client, patokan):
    """Beyond max_m (or far outside the city) there is no place and no label, not an error."""
    for query in ("lon=114.510&lat=-3.388915&max_m=50", "lon=-150&lat=60"):
        r = client.get(f"/api/v1/places/nearest?{query}")
        assert r.status_code == 200 and r.get_json() == {"place": None, "label": None, "label_en": None}


@pytest.mark.parametrize("query,field", [
    ("", "q"), ("q=", "q"), ("q=" + "x" * 101, "q"), ("q=pasar&limit=0", "limit"), ("q=pasar&limit=51", "limit"),
    ("q=pasar&lon=114.5", "lon"), ("q=pasar&lon=200&lat=0", "lon"), ("q=pasar&lon=nan&lat=1", "lon")])
def test_bad_search_parameters_are_bilingual_400s(client, query, field):
    """Each bad parameter is a 400 problem naming it, in Indonesian and English."""
    r = client.get(f"/api/v1/places?{query}")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["field"] == field and body["detail"] and body["detail_en"] and body["detail"] != body["detail_en"]


@pytest.mark.parametrize("query,field", [("lon=114.5", "lat"), ("", "lon"), ("lon=114.5&lat=-3.39&max_m=0", "max_m"),
                                         ("lon=114.5&lat=-3.39&max_m=99999", "max_m")])
def test_bad_nearest_parameters_are_bilingual_400s(client, query, field):
    """lon and lat are required (a missing one is named); max_m is bounded."""
    r = client.get(f"/api/v1/places/nearest?{query}")
    assert r.status_code == 400 and r.get_json()["field"] == field and r.get_json()["detail_en"]


@pytest.mark.parametrize("q", ["pasar%00lama", "%00"])
def test_a_nul_is_a_400_not_a_500(client, q):
    """NUL characters are refused by the central guard (app/guards.py), in both languages."""
    r = client.get(f"/api/v1/places?q={q}")
    assert r.status_code == 400 and "NUL" in r.get_json()["detail_en"]


def test_a_huge_or_odd_query_is_refused_or_answered_never_a_500(client, patokan):
    """Wildcards, quotes and 100 characters of noise are text; 10,000 characters are a 400."""
    for q in ["%25", "_", "'; DROP TABLE place; --", "\\", "ä" * 100, "  pasar  lama  "]:
        r = client.get("/api/v1/places", query_string={"q": q})
        assert r.status_code == 200, q
    assert client.get("/api/v1/places", query_string={"q": "  pasar  lama  "}).get_json()["places"][0]["name"] \
        == "Pasar Lama"
    assert client.get("/api/v1/places", query_string={"q": "x" * 10_000}).status_code == 400


def test_both_routes_are_in_the_openapi_document(client):
    """The contract lists both operations with their parameters."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {p["name"] for p in paths["/places"]["get"]["parameters"]} == {"q", "lon", "lat", "limit"}
    assert {p["name"] for p in paths["/places/nearest"]["get"]["parameters"]} == {"lon", "lat", "max_m"}
