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


_POINT_BINS = text("""
SELECT floor(p.px / 64) AS bx, floor(p.py / 64) AS by, count(*) AS n, avg(p.px) AS px, avg(p.py) AS py
  FROM (SELECT (ST_X(g) - ST_XMin(env)) / (ST_XMax(env) - ST_XMin(env)) * 4096 AS px,
               (ST_YMax(env) - ST_Y(g)) / (ST_YMax(env) - ST_YMin(env)) * 4096 AS py
          FROM (SELECT ST_Transform(geom, 3857) AS g, ST_TileEnvelope(:z, :x, :y) AS env FROM complaint
                 WHERE public AND status IN ('new', 'verified', 'in_progress', 'resolved', 'closed')
                   AND created_at >= :start) c) p
 WHERE p.px >= 0 AND p.px < 4096 AND p.py >= 0 AND p.py < 4096
 GROUP BY 1, 2
""")


@pytest.mark.parametrize("z", [13, 14])
def test_binned_tile_equals_binning_its_points(client, city_data, engine, z):
    """z13–14 tiles are summed from cached per-cell parts: the same bins, counts and mean positions (to the tile
    unit) as binning the tile's points directly with PostGIS's own Web Mercator (a write included)."""
    _post(client, *CENTRE)
    tile = _tile(z)
    zz, x, y = map(int, tile.split("/"))
    r = client.get(f"/tiles/complaints/{tile}.pbf?start=2020-01-01")
    assert r.status_code == 200
    feats = mapbox_vector_tile.decode(r.data, default_options={"y_coord_down": True})["complaints"]["features"]
    with engine.connect() as conn:
        ref = conn.execute(_POINT_BINS, {"z": zz, "x": x, "y": y, "start": "2019-12-31T16:00:00Z"}).all()
    assert len(ref) > 3 and len(feats) == len(ref)
    unmatched = [(f["properties"]["count"], *f["geometry"]["coordinates"]) for f in feats]
    for _, _, n, px, py in ref:  # each bin once: its count, at its mean position (rounded to the tile unit)
        match = next(f for f in unmatched if f[0] == n and max(abs(f[1] - px), abs(f[2] - py)) <= 0.5 + 1e-9)
        unmatched.remove(match)
    assert unmatched == []


def _parts(engine, layer: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT key FROM layer_cache WHERE layer = :l"), {"l": layer}).scalars())


def test_a_write_recomputes_only_its_own_cells_part_of_a_binned_tile(client, city_data, engine):
    """After a new complaint, a z14 tile is rebuilt from the cached parts of its other cells plus one new part
    (its own cell's), summed from the cached parts of that cell's other months plus one new (this month's), and
    counts one more."""
    url = f"/tiles/complaints/{_tile(14)}.pbf"

    def total() -> int:
        return sum(f["properties"]["count"] for f in _decode(client, url)["complaints"]["features"])

    before, cells, months = total(), _parts(engine, "tile:bins"), _parts(engine, "tile:bins:month")
    assert len(cells) > 1 and len(months) > len(cells)
    _post(client, *CENTRE)
    assert total() == before + 1
    cells_now, months_now = _parts(engine, "tile:bins"), _parts(engine, "tile:bins:month")
    assert len(cells_now - cells) == 1 and len(cells - cells_now) == 1  # one cell's part replaced, the others reused
    assert len(months_now - months) == 1 and len(months - months_now) <= 1  # this month's part, new or replaced


def test_a_status_change_recomputes_only_its_months_part(client, city_data, engine):
    """A status change of an older ticket replaces the part of its own cell and month only; the tile still equals
    binning its points (the ticket leaves the default statuses: one fewer)."""
    url = f"/tiles/complaints/{_tile(14)}.pbf"
    z, x, y = map(int, _tile(14).split("/"))
    total = sum(f["properties"]["count"] for f in _decode(client, url)["complaints"]["features"])
    cells, months = _parts(engine, "tile:bins"), _parts(engine, "tile:bins:month")
    with engine.begin() as conn:  # the oldest public ticket of the tile's centre, months before this one
        conn.execute(text(
            "UPDATE complaint SET status = 'rejected' WHERE id = (SELECT id FROM complaint WHERE public AND "
            "status <> 'rejected' AND created_at < now() - interval '60 days' AND "
            "geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) ORDER BY created_at LIMIT 1)"),
            {"z": z, "x": x, "y": y})
    feats = _decode(client, url)["complaints"]["features"]
    assert sum(f["properties"]["count"] for f in feats) == total - 1
    cells_now, months_now = _parts(engine, "tile:bins"), _parts(engine, "tile:bins:month")
    assert len(cells_now - cells) == 1 and len(cells - cells_now) == 1
    assert len(months_now - months) == 1 and len(months - months_now) == 1


def test_world_scale_hexbins_tiles_answer_quickly(client, city_data):
    """Hex-bin tiles far out (z0–z8, a client zoomed out) pick the city's cells instead of enumerating every cell
    of a continent (millions at the layers' resolution, minutes and gigabytes): they answer, and once the cells are
    wider than a tile unit they carry the whole city."""
    sums = {}
    for z in range(0, 9):
        feats = _decode(client, f"/tiles/hexbins/{_tile(z)}.pbf").get("hexbins", {"features": []})["features"]
        sums[z] = sum(f["properties"]["count"] for f in feats)
    assert sums[8] == city_data["loaded"], sums
