"""Find the place: import named places from files (bad rows refused one by one) and search them with the test
city's kelurahan and kecamatan — fuzzy, nearest first — on real PostGIS."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from shapely.geometry import LineString, Point
from sqlalchemy import text

from aduan import places

# Inside the test city (tests/citykit.py: lon 114.50..114.54, lat -3.40..-3.36).
PASAR_LAMA = (114.510, -3.390)
NORTH_OF_PASAR_LAMA_120M = (114.510, -3.390 + 0.001085)  # ≈ 120 m (meridian degree ≈ 110.6 km here)


def _load(conn, rows: list[dict], **kw) -> places.PlaceLoadReport:
    return places.load_places(conn, pd.DataFrame(rows), source=kw.pop("source", "test"), **kw)


def _pt(lon: float, lat: float) -> Point:
    return Point(lon, lat)


@pytest.fixture
def patokan(conn):
    """A few places in the rolled-back transaction: markets, mosques at known distances, a street."""
    rows = [{"name": "Pasar Lama", "kind": "pasar", "geometry": _pt(*PASAR_LAMA)},
            {"name": "Pasar Baru", "kind": "pasar", "geometry": _pt(114.530, -3.370)},
            {"name": "Masjid Jauh", "kind": "masjid", "geometry": _pt(114.538, -3.362)},
            {"name": "Masjid Dekat", "kind": "masjid", "geometry": _pt(114.502, -3.398)},
            {"name": "Masjid Tengah", "kind": "masjid", "geometry": _pt(114.520, -3.380)},
            {"name": "Jalan Ahmad Yani", "kind": "jalan",
             "geometry": LineString([(114.505, -3.385), (114.535, -3.385)])}]
    report = _load(conn, rows)
    assert report.loaded == len(rows) and report.refused == []
    return conn


@pytest.fixture
def clean_places(engine):
    """CLI imports commit: remove what they wrote."""
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM place"))


def test_fuzzy_search_finds_a_misspelt_market(patokan):
    """"pasar lma" (a typo) finds Pasar Lama, first."""
    hits = places.search(patokan, "pasar lma")
    assert hits[0]["name"] == "Pasar Lama" and hits[0]["kind"] == "pasar"
    assert (hits[0]["lon"], hits[0]["lat"]) == PASAR_LAMA


def test_equal_matches_come_nearest_first_to_the_map_centre(patokan):
    """Every "Masjid …" matches "masjid" equally well: the one nearest to the centre comes first."""
    hits = places.search(patokan, "masjid", near=(114.501, -3.399))
    assert [h["name"] for h in hits] == ["Masjid Dekat", "Masjid Tengah", "Masjid Jauh"]
    assert hits[0]["distance_m"] < hits[1]["distance_m"] < hits[2]["distance_m"]
    far = places.search(patokan, "masjid", near=(114.539, -3.361))
    assert [h["name"] for h in far] == ["Masjid Jauh", "Masjid Tengah", "Masjid Dekat"]


def test_a_better_match_beats_a_nearer_one(patokan):
    """Similarity ranks before nearness: "pasar lama" finds Pasar Lama first even next to Pasar Baru."""
    hits = places.search(patokan, "pasar lama", near=(114.530, -3.370))
    assert hits[0]["name"] == "Pasar Lama"


def test_kelurahan_and_kecamatan_names_are_found_with_a_point_inside(patokan):
    """Area names of the active generation are found; the point to pan to lies inside the area."""
    kel = places.search(patokan, "Kelurahan C")[0]
    assert (kel["name"], kel["kind"]) == ("Kelurahan C", "kelurahan")
    assert 114.50 < kel["lon"] < 114.52 and -3.3795 < kel["lat"] < -3.36
    kec = places.search(patokan, "kec. utara uji")[0]
    assert (kec["name"], kec["kind"]) == ("Kecamatan Utara Uji", "kecamatan")


def test_a_street_is_found_at_its_point_nearest_the_map_centre(patokan):
    """A line pans to where it passes nearest the centre, and its distance is to the line."""
    hit = places.search(patokan, "jalan ahmad yani", near=(114.530, -3.380))[0]
    assert hit["name"] == "Jalan Ahmad Yani"
    assert (hit["lon"], hit["lat"]) == (114.53, -3.385)
    assert 540 < hit["distance_m"] < 570  # 0.005° of latitude


def test_limit_caps_the_results_and_empty_queries_find_nothing(patokan):
    """limit is respected; a query of spaces finds nothing (and does not fail)."""
    assert len(places.search(patokan, "masjid", limit=2)) == 2 and len(places.search(patokan, "masjid")) == 3
    assert places.search(patokan, "   ") == []
    assert places.search(patokan, "%_\\") == []  # LIKE wildcards are text, not patterns


def test_nearest_names_the_place_and_its_distance(patokan):
    """A pin 120 m from Pasar Lama is "dekat Pasar Lama, 120 m"; beyond max_m there is nothing."""
    hit = places.nearest(patokan, *NORTH_OF_PASAR_LAMA_120M)
    assert hit["name"] == "Pasar Lama" and 115 < hit["distance_m"] < 125
    assert places.landmark(hit["name"], hit["distance_m"]) == "dekat Pasar Lama, 120 m"
    assert places.landmark("Pasar Lama", 4.0, "en") == "near Pasar Lama"
    assert places.nearest(patokan, *NORTH_OF_PASAR_LAMA_120M, max_m=100) is None


def test_nearest_measures_to_a_street_not_to_its_middle(patokan):
    """A pin beside the street's end is a few metres from it."""
    hit = places.nearest(patokan, 114.534, -3.3852)
    assert hit["name"] == "Jalan Ahmad Yani" and hit["distance_m"] < 30


def test_bad_rows_are_refused_one_by_one(conn):
    """No name, NaN coordinates, a NUL, outside the city: each row refused with its reason, the good ones loaded."""
    frame = pd.DataFrame({"name": ["Pasar Lama", "", "Masjid", "Jembatan\x00", "Jauh Sekali", "Sekolah"],
                          "lon": ["114.51", "114.51", "nan", "114.51", "115.5", "114.52"],
                          "lat": ["-3.39", "-3.39", "-3.39", "-3.39", "-3.39", "-3.37"]})
    report = places.load_places(conn, frame, source="csv", default_kind="Patokan")
    assert report.loaded == 2
    assert report.refused == [(1, "no name"), (2, "coordinates missing, not numbers (NaN) or infinite"),
                              (3, "text with a NUL character or a lone surrogate"), (4, "outside the city (> 250 m)")]
    kinds = conn.execute(text("SELECT name, kind FROM place WHERE source = 'csv' ORDER BY name")).all()
    assert kinds == [("Pasar Lama", "patokan"), ("Sekolah", "patokan")]


def test_a_source_is_imported_once_unless_replaced(conn):
    """A second import of the same source is refused; with replace it swaps the old places for the new."""
    _load(conn, [{"name": "Pasar Lama", "geometry": _pt(*PASAR_LAMA)}])
    with pytest.raises(places.PlaceFileError, match="--replace"):
        _load(conn, [{"name": "Pasar Lama", "geometry": _pt(*PASAR_LAMA)}])
    report = _load(conn, [{"name": "Pasar Baru", "geometry": _pt(*PASAR_LAMA)}], replace=True)
    assert (report.loaded, report.replaced) == (1, 1)
    assert conn.execute(text("SELECT array_agg(name) FROM place")).scalar_one() == ["Pasar Baru"]


def test_a_file_without_names_is_refused_whole(conn):
    """No name column: one message, nothing written."""
    with pytest.raises(places.PlaceFileError, match="'name'"):
        _load(conn, [{"nama": "Pasar Lama", "geometry": _pt(*PASAR_LAMA)}])


def _geojson(tmp_path, features: list[dict]) -> str:
    path = tmp_path / "patokan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return str(path)


def _feature(name: str | None, geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": {"name": name, **props}, "geometry": geometry}


def test_cli_imports_points_and_lines_and_lists_the_refused_rows(runner, tmp_path, engine, clean_places):
    """import-places loads a GeoJSON of points and lines, reports progress and each refused row."""
    path = _geojson(tmp_path, [
        _feature("Pasar Lama", {"type": "Point", "coordinates": list(PASAR_LAMA)}, kind="pasar"),
        _feature("Jembatan Dewi", {"type": "LineString", "coordinates": [[114.51, -3.37], [114.52, -3.37]]}),
        _feature(None, {"type": "Point", "coordinates": [114.51, -3.39]}),
        _feature("Tanpa Geometri", None),
        _feature("Di Laut", {"type": "Point", "coordinates": [114.9, -3.9]})])
    result = runner.invoke(args=["import-places", path, "--kind", "jembatan"])
    assert result.exit_code == 0, result.output
    assert "loaded: 2" in result.output and "refused: 3" in result.output
    assert "feature 3: no name" in result.output and "feature 4: no geometry" in result.output
    assert "feature 5: outside" in result.output and "staged" in result.stderr
    with engine.connect() as c:
        rows = c.execute(text("SELECT name, kind, source, GeometryType(geom) FROM place ORDER BY name")).all()
    assert rows == [("Jembatan Dewi", "jembatan", "patokan.geojson", "LINESTRING"),
                    ("Pasar Lama", "pasar", "patokan.geojson", "POINT")]


def test_cli_reads_a_csv_with_lon_lat_columns(runner, tmp_path, engine, clean_places):
    """A CSV with other column names for lon/lat is read by the import-complaints reader."""
    path = tmp_path / "pasar.csv"
    path.write_text("name,x,y\nPasar Lama,114.51,-3.39\nPasar Baru,abc,-3.37\n", encoding="utf-8")
    result = runner.invoke(args=["import-places", str(path), "--lon-field", "x", "--lat-field", "y",
                                 "--kind", "pasar"])
    assert result.exit_code == 0, result.output
    assert "loaded: 1" in result.output and "row 3: coordinates missing" in result.output  # header = row 1
    with engine.connect() as c:
        assert places.search(c, "pasar lama")[0]["kind"] == "pasar"


@pytest.mark.parametrize("content", ['{"type": "FeatureCollection", "features": [', "\x89PNG\x00\x00binary"])
def test_cli_a_broken_file_gets_a_message_not_a_traceback(runner, tmp_path, content, clean_places):
    """A truncated GeoJSON or a binary file stops with a one-line reason and exit code 1; nothing is written."""
    path = tmp_path / "rusak.geojson"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import-places", str(path)])
    assert result.exit_code == 1
    assert "cannot be read" in result.output and "Traceback" not in result.output


def test_cli_a_second_run_needs_replace(runner, tmp_path, engine, clean_places):
    """Running the same file twice is refused with a hint; --replace makes the second run replace the first."""
    path = _geojson(tmp_path, [_feature("Pasar Lama", {"type": "Point", "coordinates": list(PASAR_LAMA)})])
    assert runner.invoke(args=["import-places", path]).exit_code == 0
    again = runner.invoke(args=["import-places", path])
    assert again.exit_code == 1 and "--replace" in again.output
    replaced = runner.invoke(args=["import-places", path, "--replace"])
    assert replaced.exit_code == 0 and "replaced: 1" in replaced.output
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM place")).scalar_one() == 1


def test_every_demo_place_lies_in_the_demo_city(conn, settings):
    """The seeder's patokan all load on the synthetic Banjarmasin (none refused) and are found by name."""
    from aduan import demo
    from aduan.demo import reference as ref
    from geo import synthetic
    from geo.boundary_load import load_generation

    city = synthetic.generate_city(synthetic.read_centres(ref.KELURAHAN_CSV), seed=1)
    load_generation(conn, city.kelurahan, city.kecamatan, name="demo", source="test", synthetic=True, activate=True,
                    progress=lambda _: None)
    features = json.loads(demo.PLACES_GEOJSON.read_text(encoding="utf-8"))["features"]
    assert 20 <= demo.load_demo_places(conn, settings) == len(features) <= 40
    hit = places.search(conn, "sabilal muhtadin", near=(114.59, -3.32))[0]
    assert hit["name"] == "Masjid Raya Sabilal Muhtadin" and hit["distance_m"] < 500
    assert places.search(conn, "pekauman")[0]["kind"] == "kelurahan"


def test_cli_reads_a_geopackage_in_a_metric_crs(runner, tmp_path, engine, clean_places):
    """A GeoPackage of streets in UTM 50S is reprojected to WGS 84; its own kind wins over --kind."""
    import geopandas as gpd

    street = LineString([(114.505, -3.385), (114.535, -3.385)])
    gdf = gpd.GeoDataFrame({"name": ["Jalan Ahmad Yani", "Gang Tanpa Jenis"], "kind": ["jalan", None]},
                           geometry=[street, Point(114.51, -3.37)], crs=4326).to_crs(32750)
    path = tmp_path / "jalan.gpkg"
    gdf.to_file(path, driver="GPKG")
    result = runner.invoke(args=["import-places", str(path), "--kind", "gang"])
    assert result.exit_code == 0 and "loaded: 2" in result.output, result.output
    with engine.connect() as c:
        hit = places.search(c, "ahmad yani", near=(114.52, -3.38))[0]
        assert (hit["kind"], hit["lon"], round(hit["lat"], 5)) == ("jalan", 114.52, -3.385)
        assert places.search(c, "gang tanpa jenis")[0]["kind"] == "gang"


def test_a_common_word_is_searched_through_the_trigram_index(conn):
    """"masjid" in a third of 3,000 places: the GIN index finds the candidates, the table is never read whole."""
    rows = [{"name": f"{'Masjid' if i % 3 == 0 else 'Warung'} Nomor {i}", "geometry": _pt(114.50 + i * 1e-5, -3.39)}
            for i in range(3000)]
    _load(conn, rows)
    conn.execute(text("ANALYZE place"))
    scans = text("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'place'")
    seq_before, idx_before = conn.execute(scans).one()
    hits = places.search(conn, "masjid", near=(114.50, -3.39))
    seq_after, idx_after = conn.execute(scans).one()
    assert [h["name"] for h in hits[:2]] == ["Masjid Nomor 0", "Masjid Nomor 3"]
    assert seq_after == seq_before and idx_after > idx_before
