"""`flask import-complaints` on vector files: a GeoPackage in a metric CRS is read a batch at a time, its points
land where they were, a feature that is not a point is refused by number while the rest loads; a Shapefile's cut
field names are understood; a file without a CRS or that is not a vector file at all stops with a clear error."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point
from sqlalchemy import text

POINTS = {"Lubang": (114.51, -3.39), "Sampah": (114.538, -3.395), "Retak": (114.515, -3.392)}


@pytest.fixture
def empty_after(engine):
    yield
    with engine.begin() as c:
        c.execute(text("TRUNCATE complaint, complaint_event RESTART IDENTITY CASCADE"))


def _features() -> gpd.GeoDataFrame:
    rows = [("Lubang", "jalan-rusak", Point(POINTS["Lubang"])), ("Sampah", "sampah", Point(POINTS["Sampah"])),
            ("Garis", "jalan-rusak", LineString([(114.51, -3.39), (114.52, -3.39)])), ("Kosong", "sampah", None),
            ("Retak", "jalan-rusak", Point(POINTS["Retak"]))]
    return gpd.GeoDataFrame({"description": [r[0] for r in rows], "category": [r[1] for r in rows],
                             "created_at": pd.Timestamp("2025-06-02 02:00", tz="UTC")},
                            geometry=[r[2] for r in rows], crs=4326)


def _stored(engine) -> dict[str, tuple]:
    with engine.connect() as c:
        return {r[0]: r[1:] for r in c.execute(text(
            "SELECT description, ST_X(geom), ST_Y(geom), created_at, status, resolved_at FROM complaint"))}


def test_a_geopackage_is_read_in_batches_and_only_its_non_points_are_refused(runner, engine, tmp_path,
                                                                              empty_after):
    """Five features in UTM 50S read two at a time: the three points land within a centimetre of where they were,
    the line and the feature without geometry are refused by their numbers, and progress knows the total."""
    path = tmp_path / "lama.gpkg"
    _features().to_crs(32750).to_file(path, driver="GPKG")
    out = runner.invoke(args=["import-complaints", str(path), "--chunk-rows", "2"])
    assert out.exit_code == 0, out.output
    assert "loaded: 3   refused: 2" in out.stdout and "refused 2: coordinates missing" in out.stdout
    assert "/5" in out.stderr  # a GeoPackage says how many features it has
    stored = _stored(engine)
    assert set(stored) == set(POINTS)
    for name, (lon, lat) in POINTS.items():
        assert stored[name][0] == pytest.approx(lon, abs=1e-7) and stored[name][1] == pytest.approx(lat, abs=1e-7)
        assert stored[name][2] == pd.Timestamp("2025-06-02 02:00", tz="UTC")


def test_refused_features_are_written_out_by_number(runner, tmp_path, empty_after):
    """The refusals name the features by number from 1, as import-places does, on screen and in --refused-out
    with their attributes."""
    path = tmp_path / "lama.gpkg"
    _features().to_crs(32750).to_file(path, driver="GPKG")
    out = runner.invoke(args=["import-complaints", str(path), "--chunk-rows", "2", "--refused-out",
                              str(tmp_path / "ditolak.csv")])
    assert out.exit_code == 0, out.output
    assert "  feature 3: coordinates missing" in out.stdout and "  feature 4: coordinates missing" in out.stdout
    refused = pd.read_csv(tmp_path / "ditolak.csv", dtype=str)
    assert refused["feature"].tolist() == ["3", "4"] and refused["description"].tolist() == ["Garis", "Kosong"]


@pytest.mark.filterwarnings("ignore:Column names longer than 10 characters:UserWarning")
def test_a_shapefiles_cut_field_names_are_understood(runner, engine, tmp_path, empty_after):
    """dBase cuts `description` to `descriptio` and `resolved_at` to `resolved_a`: both are read as theirs."""
    frame = gpd.GeoDataFrame({"description": ["Lubang"], "category": ["jalan-rusak"],
                              "created_at": ["2025-06-02 10:00"], "status": ["resolved"],
                              "resolved_at": ["2025-06-05 10:00"]}, geometry=[Point(POINTS["Lubang"])], crs=4326)
    with pytest.warns(RuntimeWarning, match="Normalized/laundered field name"):
        frame.to_file(tmp_path / "lama.shp")
    out = runner.invoke(args=["import-complaints", str(tmp_path / "lama.shp")])
    assert out.exit_code == 0, out.output
    assert "loaded: 1   refused: 0" in out.stdout
    (_, _, created, status, resolved), = _stored(engine).values()
    assert status == "resolved" and resolved - created == pd.Timedelta(days=3)


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_a_file_without_a_crs_or_not_a_vector_file_is_a_clear_error(runner, engine, tmp_path):
    """No traceback, nothing written: the reason in Indonesian and English."""
    bare = tmp_path / "tanpa_crs.gpkg"
    gpd.GeoDataFrame({"description": ["x"]}, geometry=[Point(500000, 9600000)]).to_file(bare, driver="GPKG")
    broken = tmp_path / "rusak.gpkg"
    broken.write_bytes(bytes(range(256)) * 16)
    for path, reason in ((bare, "declares no CRS"), (broken, "neither a CSV nor a readable vector file")):
        out = runner.invoke(args=["import-complaints", str(path)])
        assert out.exit_code == 1 and reason in out.output and "Traceback" not in out.output, out.output
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0


def test_a_file_of_several_layers_is_read_by_the_layer_named(runner, engine, tmp_path, empty_after):
    """A GeoPackage holding the city's boundaries and the complaints: without --layer nothing is read and the
    layers are named; with it, that layer's points load."""
    path = tmp_path / "ekspor.gpkg"
    gpd.GeoDataFrame({"name": ["kota"]}, geometry=[Point(114.51, -3.39).buffer(0.05)], crs=4326).to_file(
        path, layer="batas", driver="GPKG")
    _features().to_crs(32750).to_file(path, layer="aduan", driver="GPKG")
    out = runner.invoke(args=["import-complaints", str(path)])
    assert out.exit_code == 1 and "batas, aduan" in out.output and "Traceback" not in out.output, out.output
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM complaint")).scalar() == 0
    out = runner.invoke(args=["import-complaints", str(path), "--layer", "aduan"])
    assert out.exit_code == 0 and "loaded: 3   refused: 2" in out.stdout and "/5" in out.stderr, out.output
