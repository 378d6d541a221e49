"""Vector tiles: decoded with mapbox-vector-tile; raw points at high zoom, aggregates below, cache headers."""
from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from tests import planner_data
from tests.planner_data import PII

city_data = planner_data.city_data  # the fixture, by name
CENTRE = (114.52, -3.39)


def _tile(z: int, lon: float = CENTRE[0], lat: float = CENTRE[1]) -> str:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


def _decode(client, url: str) -> dict:
    r = client.get(url)
    assert r.status_code == 200
    return mapbox_vector_tile.decode(r.data)


def test_high_zoom_tile_holds_raw_public_points(client, city_data):
    """At z15 each feature is one complaint with its tracking code, category and status."""
    layer = _decode(client, f"/tiles/complaints/{_tile(15)}.pbf")["complaints"]
    props = layer["features"][0]["properties"]
    assert layer["features"][0]["geometry"]["type"] == "Point"
    assert {"tracking_code", "category", "status", "created"} == set(props)


def test_low_zoom_tile_holds_counts_not_points(client, city_data):
    """At z12 features are per-cell counts; over the tiles around the city they add up to every complaint."""
    z, x, y = map(int, _tile(12).split("/"))
    layers = [_decode(client, f"/tiles/complaints/{z}/{x + dx}/{y + dy}.pbf").get("complaints", {"features": []})
              for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    feats = [f for layer in layers for f in layer["features"]]
    assert {k for f in feats for k in f["properties"]} == {"count"}
    assert sum(f["properties"]["count"] for f in feats) == city_data["loaded"]
    assert len(feats) < city_data["loaded"]


def test_hexbins_tile_has_polygons_with_counts(client, city_data):
    """The hexbins layer carries H3 polygons with count, previous count, change and density."""
    layer = _decode(client, f"/tiles/hexbins/{_tile(13)}.pbf")["hexbins"]
    f = layer["features"][0]
    assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"cell", "count", "count_prev", "change", "per_km2"} <= set(f["properties"])


def test_tile_has_cache_headers_and_revalidates(client, city_data):
    """Tiles are cacheable with an ETag; a matching If-None-Match gets 304."""
    url = f"/tiles/complaints/{_tile(15)}.pbf"
    r = client.get(url)
    assert r.mimetype == "application/vnd.mapbox-vector-tile"
    assert "max-age" in r.headers["Cache-Control"] and r.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_repeated_tile_is_identical(client, city_data):
    """A cached tile is byte-for-byte the tile first built."""
    url = f"/tiles/complaints/{_tile(12)}.pbf"
    assert client.get(url).data == client.get(url).data


def test_tiles_never_contain_reporter_data(client, city_data):
    """No reporter name, phone or e-mail at any zoom."""
    for z in (12, 14, 15, 16):
        data = client.get(f"/tiles/complaints/{_tile(z)}.pbf").data
        assert not any(v.encode() in data for v in PII.values())


def test_tile_outside_city_is_empty(client, city_data):
    """A tile far away answers 200 with no features."""
    assert client.get("/tiles/complaints/14/0/0.pbf").data == b""


@pytest.mark.parametrize("path", ["complaints/3/8/0", "complaints/3/0/8", "complaints/23/0/0",
                                  "complaints/2/-1/0", "complaints/2/x/0"])
def test_tile_outside_the_matrix_is_404(client, path):
    """x or y beyond 2^z − 1, negative, non-numeric or z > 22 are not tiles."""
    assert client.get(f"/tiles/{path}.pbf").status_code == 404


def test_unknown_layer_is_404(client):
    """Only complaints and hexbins exist."""
    r = client.get("/tiles/reporters/1/0/0.pbf")
    assert r.status_code == 404 and "complaints" in r.get_json()["detail_en"]


def test_unknown_parameter_is_400(client):
    """A misspelt filter is refused rather than silently ignored."""
    assert client.get("/tiles/complaints/1/0/0.pbf?categry=sampah").status_code == 400


def test_unknown_category_is_400(client):
    """A category code that does not exist is refused."""
    assert client.get("/tiles/complaints/1/0/0.pbf?category=tidak-ada").status_code == 400


def _post(client, lon: float, lat: float) -> str:
    r = client.post("/api/v1/complaints", json={"category": "sampah", "description": "sampah menumpuk di sini",
                                                "lon": lon, "lat": lat})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["tracking_code"]


def test_a_write_changes_its_own_tiles_and_leaves_far_tiles_cached(client, city_data, engine):
    """Tiles are invalidated per tile: a new complaint (and then its status change) in the west changes the
    west tile's ETag and content; a tile in the east keeps its ETag (a cache hit); city-scale tiles change."""
    west, east = (114.5015, -3.3985), (114.5385, -3.3815)
    urls = {name: f"/tiles/complaints/{_tile(17, *where)}.pbf" for name, where in (("west", west), ("east", east))}
    urls["city"] = f"/tiles/complaints/{_tile(11)}.pbf"
    before = {name: client.get(url) for name, url in urls.items()}
    code = _post(client, *west)
    after = {name: client.get(url) for name, url in urls.items()}
    assert after["east"].headers["ETag"] == before["east"].headers["ETag"]
    assert after["west"].headers["ETag"] != before["west"].headers["ETag"]
    assert code.encode() in after["west"].data and code.encode() not in before["west"].data
    assert after["city"].headers["ETag"] != before["city"].headers["ETag"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE complaint SET status = 'verified' WHERE tracking_code = :c"), {"c": code})
    moved = client.get(urls["west"])
    assert moved.headers["ETag"] != after["west"].headers["ETag"]
    feature = next(f for f in mapbox_vector_tile.decode(moved.data)["complaints"]["features"]
                   if f["properties"]["tracking_code"] == code)
    assert feature["properties"]["status"] == "verified"
    assert client.get(urls["east"]).headers["ETag"] == before["east"].headers["ETag"]


def test_city_scale_tiles_of_one_version_share_one_sum(client, city_data, engine):
    """A map at z12 asks for several tiles at once: they share one sum of the counts (one cache entry), and the
    points they draw add up to every complaint."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM layer_cache"))
    z, x, y = map(int, _tile(12).split("/"))
    tiles = [_decode(client, f"/tiles/complaints/{z}/{x + dx}/{y + dy}.pbf") for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM layer_cache WHERE layer = 'cell_totals'")).scalar() == 1
    assert sum(f["properties"]["count"] for t in tiles for f in t.get("complaints", {"features": []})["features"]) \
        == city_data["loaded"]
