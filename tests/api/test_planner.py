"""Planner pages and layer endpoints: what a planner clicks, and every bad input a clear 4xx."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests import planner_data

city_data = planner_data.city_data  # the fixture, by name


def test_map_page_offers_every_layer_and_uses_only_local_assets(client):
    """The map page lists the six layers and loads scripts and styles from /static only."""
    html = client.get("/planner/", headers={"Accept": "text/html"}).get_data(as_text=True)
    for name in ("heat", "hexbins", "choropleth", "hotspots", "emerging", "late"):
        assert f'value="{name}"' in html
    assert all(u.startswith("/static/") for u in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html))


def test_hexbin_layer_counts_add_up(client, city_data):
    """Hex-bin counts sum to the complaints in the period, and empty cells are included."""
    doc = client.get("/planner/layers/hexbins.geojson").get_json(force=True)
    counts = [f["properties"]["count"] for f in doc["features"]]
    assert sum(counts) == city_data["loaded"] and 0 in counts


def test_choropleth_missing_population_is_null_not_zero(client, city_data):
    """Kelurahan B has no population: its rate is null, the others have a number."""
    feats = {f["id"]: f["properties"] for f in client.get("/planner/layers/choropleth.geojson").get_json(
        force=True)["features"]}
    assert feats["99.01.01.1002"]["per_1000"] is None and feats["99.01.01.1002"]["count"] > 0
    assert feats["99.01.01.1001"]["per_1000"] == pytest.approx(1000 * feats["99.01.01.1001"]["count"] / 12000)


def test_late_layer_holds_only_open_overdue_tickets(client, city_data):
    """Every late ticket is open and names the missed clock."""
    feats = client.get("/planner/layers/late.geojson").get_json(force=True)["features"]
    assert feats
    assert all(f["properties"]["status"] in ("new", "verified", "in_progress") for f in feats)
    assert {f["properties"]["late_kind"] for f in feats} <= {"followup", "handling"}


def test_emerging_layer_gives_monthly_series_and_a_pattern(client, city_data):
    """Each cell has a pattern and one Gi* bin per month of the range (for the time slider)."""
    doc = client.get("/planner/layers/emerging.geojson").get_json(force=True)
    props = doc["features"][0]["properties"]
    assert len(props["bins"]) == len(doc["months"]) == 12 and props["pattern"]


def test_heat_page_is_folium_without_cdn(client, city_data):
    """The Folium heatmap page references no external URL."""
    html = client.get("/planner/heat").get_data(as_text=True)
    assert "L.heatLayer" in html and "/static/vendor/leaflet.heat-0.2.0/leaflet-heat.js" in html
    assert not re.search(r"https?://", html)


def test_performance_page_renders_table_and_svg(client, city_data):
    """The performance page shows a row per SKPD, the city-wide row, the statement in words and SVG charts."""
    html = client.get("/planner/performance", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "Dinas PUPR" in html and "<svg" in html
    city_row = re.search(r'<tr id="city-row">(.*?)</tr>', html, re.S).group(1)
    assert "Seluruh kota" in city_row and f'<td class="num">{city_data["loaded"]}</td>' in city_row
    statement = re.search(r'<p id="statement-city">(.*?)</p>', html, re.S).group(1)
    assert f'{city_data["loaded"]} aduan; tindak lanjut rata-rata' in statement and "hari kalender" in statement
    en = client.get("/planner/performance?lang=en").get_data(as_text=True)
    assert "complaints; followed up in" in re.search(r'<p id="statement-city">(.*?)</p>', en, re.S).group(1)


def test_performance_csv_by_skpd_and_month(client, city_data):
    """The CSV has one row per SKPD and month with the documented columns, tickets adding up."""
    body = client.get("/planner/performance.csv?group=skpd,month").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {"followup_median", "followup_within_5", "handling_within_15", "open_overdue", "scope"} <= set(rows[0])
    groups, city = [r for r in rows if r["scope"] == "group"], [r for r in rows if r["scope"] == "city"]
    assert sum(int(r["tickets"]) for r in groups) == city_data["loaded"] == int(city[0]["tickets"])
    assert rows[-1] is city[-1] and len(city) == 1 and city[0]["skpd"] == ""


@pytest.mark.parametrize(("query", "field"), [
    ("start=2026-02-30", "start"), ("start=2026-05-01&end=2026-04-01", "end"), ("status=selesai", "status"),
    ("category=tidak-ada", "category"), ("skpd=NOPE", "skpd"), ("start=2000-01-01&end=2026-01-01", "start"),
])
def test_bad_filters_are_400_naming_the_field(client, query, field):
    """Each bad filter value is a 400 that names the field."""
    r = client.get(f"/planner/layers/hexbins.geojson?{query}")
    assert r.status_code == 400 and r.get_json()["field"] == field


def test_unknown_layer_is_404(client):
    """A layer name that does not exist is a 404."""
    assert client.get("/planner/layers/nope.geojson").status_code == 404


def test_bad_grouping_is_400(client):
    """Grouping by something other than skpd, kelurahan, month is refused."""
    assert client.get("/planner/performance.csv?group=reporter").status_code == 400


def test_bad_filter_on_html_page_is_a_page_not_json(client):
    """A browser gets a readable 400 page."""
    r = client.get("/planner/performance?start=kemarin", headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.mimetype == "text/html" and "YYYY-MM-DD" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/planner/layers/hexbins.geojson", "/planner/layers/heat.geojson",
                                  "/planner/export/complaints.csv", "/planner/performance.csv",
                                  "/tiles/hexbins/10/837/521.pbf", "/tiles/hexbins.json"])
@pytest.mark.parametrize("dates", [{"end": "9999-12-31"}, {"start": "0001-01-01", "end": "0001-01-05"}])
def test_a_date_at_the_end_of_the_calendar_is_400_not_500(client, path, dates):
    """Layers, exports and tiles refuse years Python's dates cannot step past (the day after the end, the period
    before the start), naming the accepted years in both languages."""
    r = client.get(path, query_string=dates)
    assert r.status_code == 400, r.get_data()[:200]
    assert "1900" in r.json["detail"] and "2999" in r.json["detail_en"]
