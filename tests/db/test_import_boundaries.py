"""Boundary generations in PostGIS: the loader on a rolled-back connection, and `flask import-boundaries` end to end.

The session database holds the active "test city"; every test here leaves it active and removes what it wrote.
Fixture files are the ones of tests/unit/test_boundaries.py, made in tmp_path.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from pyproj import Geod
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from geo import boundary_load
from geo.boundaries import FieldMap, load_boundary_file
from geo.boundary_load import GenerationError, activate_generation, load_generation
from tests.unit.test_boundaries import MESSY, frame, messy_gpkg, write, zipped_shapefile

KELURAHAN_ARGS = ["--code-field", "KODE", "--name-field", "NAMA", "--population-field", "PENDUDUK"]
TABLES = ("boundary_generation", "kecamatan", "kelurahan", "kelurahan_piece")


@pytest.fixture(scope="module")
def messy_kelurahan(tmp_path_factory) -> gpd.GeoDataFrame:
    path = messy_gpkg(tmp_path_factory.mktemp("db_messy"))
    return load_boundary_file(path, FieldMap("KODE", "NAMA", population="PENDUDUK")).frame


@pytest.fixture
def restore_city(engine):
    """Delete the generations a test committed and make the test city active again."""
    with engine.connect() as c:
        newest = c.execute(text("SELECT max(id) FROM boundary_generation")).scalar()
        active = c.execute(text("SELECT id FROM boundary_generation WHERE active")).scalar()
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM boundary_generation WHERE id > :n"), {"n": newest})
        c.execute(text("UPDATE boundary_generation SET active = (id = :a)"), {"a": active})


def counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def active_name(c: Connection) -> str:
    return c.execute(text("SELECT name FROM boundary_generation WHERE active")).scalar_one()


def import_file(runner, path: str, *extra: str):
    return runner.invoke(args=["import-boundaries", path, *KELURAHAN_ARGS, *extra])


def load(conn: Connection, kelurahan: gpd.GeoDataFrame, **kwargs) -> int:
    return load_generation(conn, kelurahan, None, name="uji", source="tests", **kwargs)


# --- the loader --------------------------------------------------------------------------------------------------

def test_generation_holds_kecamatan_kelurahan_and_pieces(conn, messy_kelurahan):
    """Three kecamatan, eight kelurahan, and lookup pieces covering every kelurahan."""
    g = load(conn, messy_kelurahan)
    row = conn.execute(text(
        "SELECT (SELECT count(*) FROM kecamatan WHERE generation_id = :g), "
        "(SELECT count(*) FROM kelurahan WHERE generation_id = :g AND kecamatan_id IS NOT NULL), "
        "(SELECT count(DISTINCT kelurahan_id) FROM kelurahan_piece WHERE generation_id = :g)"), {"g": g}).one()
    assert tuple(row) == (3, 8, 8)


def test_new_generation_is_inactive_by_default(conn, messy_kelurahan):
    """Without activation, routing stays on the test city."""
    g = load(conn, messy_kelurahan)
    assert conn.execute(text("SELECT active FROM boundary_generation WHERE id = :g"), {"g": g}).scalar() is False
    assert active_name(conn) == "test city"


def test_kelurahan_area_is_measured_on_the_ellipsoid(conn, messy_kelurahan):
    """area_km2 matches the geodesic area of the polygon (pyproj.Geod), not its UTM area."""
    g = load(conn, messy_kelurahan)
    stored = conn.execute(text("SELECT area_km2 FROM kelurahan WHERE generation_id = :g AND code = '63.71.01.1001'"),
                          {"g": g}).scalar()
    geodesic = abs(Geod(ellps="WGS84").geometry_area_perimeter(messy_kelurahan.geometry.iloc[0])[0]) / 1e6
    assert stored == pytest.approx(geodesic, rel=1e-5)


def test_unknown_population_is_stored_as_null(conn, messy_kelurahan):
    """A kelurahan without population is NULL, one with it keeps the number."""
    g = load(conn, messy_kelurahan)
    rows = dict(conn.execute(text("SELECT code, population FROM kelurahan WHERE generation_id = :g"), {"g": g}).all())
    assert rows["63.71.01.1001"] == 12000 and rows["63.71.01.1002"] is None


def test_kecamatan_are_the_union_of_their_kelurahan(conn, messy_kelurahan):
    """Without a kecamatan layer, kecamatan 63.71.01 is A and B dissolved, named by its code."""
    g = load(conn, messy_kelurahan)
    name, m2 = conn.execute(text("SELECT name, ST_Area(ST_Transform(geom, 32750)) FROM kecamatan "
                                 "WHERE generation_id = :g AND code = '63.71.01'"), {"g": g}).one()
    assert name == "63.71.01" and m2 == pytest.approx(2e6, abs=1)


def test_given_kecamatan_keep_their_names(conn, messy_kelurahan):
    """A kecamatan layer passed in is stored as given."""
    kecamatan = messy_kelurahan.dissolve("kecamatan_code").reset_index()[["kecamatan_code", "geometry"]]
    kecamatan = kecamatan.rename(columns={"kecamatan_code": "code"}).assign(name=lambda d: "Kec " + d.code)
    g = load_generation(conn, messy_kelurahan, kecamatan, name="uji", source="tests")
    names = conn.execute(text("SELECT name FROM kecamatan WHERE generation_id = :g ORDER BY code"), {"g": g}).scalars()
    assert list(names) == ["Kec 63.71.01", "Kec 63.71.02", "Kec 63.71.03"]


def test_kelurahan_of_an_unknown_kecamatan_are_refused(conn, messy_kelurahan):
    """A kecamatan layer missing a code the kelurahan name is refused, not half-linked."""
    kecamatan = gpd.GeoDataFrame({"code": ["63.71.01"], "name": ["Satu"]},
                                 geometry=[messy_kelurahan.geometry.iloc[0]], crs=4326)
    with pytest.raises(GenerationError, match="kecamatan 63.71.02, 63.71.03 not in generation"):
        load_generation(conn, messy_kelurahan, kecamatan, name="uji", source="tests")


def test_activation_replaces_the_active_generation(conn, messy_kelurahan):
    """Activating in the same transaction leaves exactly one active generation: the new one."""
    g = load(conn, messy_kelurahan, activate=True)
    active = conn.execute(text("SELECT id, activated_at IS NOT NULL FROM boundary_generation WHERE active")).all()
    assert [tuple(r) for r in active] == [(g, True)]


def test_activated_generation_routes_points(conn, messy_kelurahan, ids):
    """peta_route finds kelurahan A through the new pieces, and flags the A∩C strip as an overlap."""
    load(conn, messy_kelurahan, activate=True)
    inside_a = messy_kelurahan.set_index("code").geometry["63.71.01.1001"].representative_point()
    overlap = gpd.GeoSeries.from_xy([230_500], [9_630_995], crs=32750).to_crs(4326).iloc[0]
    route = text("SELECT k.code, r.flags FROM peta_route(ST_GeomFromText(:p, 4326), :c, 250, 0) r "
                 "JOIN kelurahan k ON k.id = r.kelurahan_id")
    cat = ids["category"]["jalan-rusak"]
    assert conn.execute(route, {"p": inside_a.wkt, "c": cat}).one().code == "63.71.01.1001"
    assert "overlap" in conn.execute(route, {"p": overlap.wkt, "c": cat}).one().flags


def test_generation_without_kelurahan_cannot_be_activated(conn):
    """An empty generation would route nothing: refused."""
    g = boundary_load.create_generation(conn, name="kosong", source="tests")
    with pytest.raises(GenerationError, match="holds no kelurahan"):
        activate_generation(conn, g)


def test_unknown_generation_cannot_be_activated(conn):
    """A mistyped generation id is refused."""
    with pytest.raises(GenerationError, match="does not exist"):
        activate_generation(conn, 987654)


# --- the command ---------------------------------------------------------------------------------------------------

def test_cli_imports_a_messy_file_as_an_inactive_generation(runner, engine, restore_city, tmp_path):
    """Exit 0, the summary on stdout, a new inactive generation with its report; the test city stays active."""
    result = import_file(runner, messy_gpkg(tmp_path))
    assert result.exit_code == 0, result.output
    assert "overlaps          1 pair, 10,000.0 m² in total" in result.stdout
    assert "gaps              1 hole, 20,000.0 m² in total" in result.stdout
    with engine.connect() as c:
        report, active = c.execute(text("SELECT report, active FROM boundary_generation ORDER BY id DESC")).first()
        assert active is False and active_name(c) == "test city"
    assert report["kelurahan"]["repaired"] == 2 and report["kelurahan"]["dropped_parts"] == 1


def test_cli_reports_progress_on_stderr(runner, restore_city, tmp_path):
    """Progress lines go to stderr, so stdout is the summary alone."""
    result = import_file(runner, messy_gpkg(tmp_path))
    assert "reading" in result.stderr and "reading" not in result.stdout


def test_cli_activate_switches_routing_to_the_new_generation(runner, engine, restore_city, tmp_path):
    """--activate makes the imported generation the active one."""
    result = import_file(runner, zipped_shapefile(frame(), tmp_path), "--activate", "--name", "resmi 2026")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("(active)")
    with engine.connect() as c:
        assert active_name(c) == "resmi 2026"


def _no_crs(tmp_path: Path) -> str:
    return zipped_shapefile(frame(crs=None), tmp_path)


def _west(tmp_path: Path) -> str:
    gdf = frame().to_crs(4326)
    gdf.geometry = gdf.geometry.affine_transform([-1, 0, 0, 1, 0, 0])
    return write(gdf, tmp_path / "west.geojson")


def _unreadable(tmp_path: Path) -> str:
    (tmp_path / "rusak.gpkg").write_bytes(b"not a geopackage" * 64)
    return str(tmp_path / "rusak.gpkg")


def _raw_geojson(tmp_path: Path, ring: list, name: str) -> str:
    """A GeoJSON file written as text: some faults cannot be made through a GIS library."""
    import json

    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
        "type": "Polygon", "coordinates": [ring]}, "properties": {"KODE": "63.71.01.1001", "NAMA": "Uji",
                                                                  "PENDUDUK": 100}}]}
    path = tmp_path / name
    path.write_text(json.dumps(doc).replace('"NaN"', "NaN"))
    return str(path)


BAD_FILES = {
    "nan coordinate": (lambda p: _raw_geojson(p, [[114.5, -3.3], ["NaN", -3.3], [114.6, -3.4], [114.5, -3.3]],
                                              "nan.geojson"), "not numbers (NaN/Infinity)"),
    "unclosed ring": (lambda p: _raw_geojson(p, [[114.5, -3.3], [114.6, -3.3], [114.6, -3.4]], "open.geojson"),
                      "unclosed polygon ring"),
    "missing field": (lambda p: write(frame().drop(columns="NAMA"), p / "k.gpkg"), "field 'NAMA' is missing"),
    "duplicate codes": (lambda p: write(frame([MESSY[0], MESSY[0]]), p / "k.gpkg"), "duplicate codes"),
    "no crs": (_no_crs, "declares no CRS"),
    "point layer": (lambda p: write(frame([(*MESSY[0][:3], MESSY[0][3].centroid)]), p / "k.gpkg"),
                    "not polygonal (Point)"),
    "wrong hemisphere": (_west, "outside the plausible area"),
    "empty": (lambda p: write(frame().iloc[:0], p / "k.gpkg"), "holds no features"),
    "unreadable": (_unreadable, "file cannot be read"),
    "missing file": (lambda p: str(p / "tidak-ada.gpkg"), "file not found"),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_cli_bad_file_exits_1_with_one_line_and_writes_nothing(runner, engine, restore_city, tmp_path, case):
    """Each bad file: exit code 1, one bilingual error line, not one row written."""
    make, reason = BAD_FILES[case]
    before = counts(engine)
    result = import_file(runner, make(tmp_path))
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and result.stdout == ""
    assert len(errors) == 1 and reason in errors[0] and " / " in errors[0]
    assert counts(engine) == before


def test_cli_failure_after_writing_rolls_everything_back(runner, engine, restore_city, tmp_path, monkeypatch):
    """A database error after rows went in leaves no generation, kecamatan or kelurahan behind."""
    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO kelurahan_piece", {}, RuntimeError("disk full"))

    monkeypatch.setattr(boundary_load, "insert_pieces", broken)
    before = counts(engine)
    result = import_file(runner, messy_gpkg(tmp_path), "--activate")
    assert result.exit_code == 1 and "database write failed: disk full" in result.stderr
    assert counts(engine) == before
    with engine.connect() as c:
        assert active_name(c) == "test city"


def test_cli_kecamatan_then_kelurahan_into_one_generation(runner, engine, restore_city, tmp_path):
    """A kecamatan import makes an inactive generation; kelurahan --into fill and activate it, names kept."""
    kec = messy_kelurahan_kecamatan(tmp_path)
    first = runner.invoke(args=["import-boundaries", kec, "--level", "kecamatan", "--code-field", "KODE",
                                "--name-field", "NAMA"])
    assert first.exit_code == 0, first.output
    g = int(first.stdout.strip().splitlines()[-1].split()[-1])
    second = import_file(runner, messy_gpkg(tmp_path), "--into", str(g), "--activate")
    assert second.exit_code == 0, second.output
    with engine.connect() as c:
        names = c.execute(text("SELECT DISTINCT m.name FROM kelurahan k JOIN kecamatan m ON m.id = k.kecamatan_id "
                               "WHERE k.generation_id = :g ORDER BY 1"), {"g": g}).scalars().all()
        report = c.execute(text("SELECT report FROM boundary_generation WHERE id = :g"), {"g": g}).scalar()
        assert active_name(c) == "messy_kecamatan.gpkg"
    assert names == ["Banjarmasin Selatan", "Banjarmasin Tengah", "Banjarmasin Timur"]
    assert set(report) == {"kecamatan", "kelurahan"}


def test_cli_kelurahan_into_kecamatan_they_do_not_lie_in_is_refused(runner, engine, restore_city, tmp_path):
    """A kecamatan file with two codes swapped: each kelurahan would belong to a kecamatan elsewhere. Refused,
    naming them; the kecamatan's generation stays unfilled."""
    kec = messy_kelurahan_kecamatan(tmp_path, swap=("63.71.01", "63.71.02"))
    first = runner.invoke(args=["import-boundaries", kec, "--level", "kecamatan", "--code-field", "KODE",
                                "--name-field", "NAMA"])
    g = int(first.stdout.strip().splitlines()[-1].split()[-1])
    second = import_file(runner, messy_gpkg(tmp_path), "--into", str(g))
    assert second.exit_code == 1 and "mostly outside their kecamatan: 63.71.01." in second.stderr
    assert "% in 63.71.01)" in second.stderr or "% in 63.71.02)" in second.stderr
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM kelurahan WHERE generation_id = :g"), {"g": g}).scalar() == 0


def messy_kelurahan_kecamatan(tmp_path: Path, swap: tuple[str, str] | None = None) -> str:
    """Three official kecamatan around the messy kelurahan, with names (two codes swapped, if asked)."""
    kel = frame().to_crs(4326)
    kel["geometry"] = kel.geometry.make_valid()
    kec = kel.assign(KODE=kel.KODE.str[:8]).dissolve("KODE").reset_index()
    if swap:
        kec["KODE"] = kec.KODE.replace({swap[0]: swap[1], swap[1]: swap[0]})
    kec["NAMA"] = kec.KODE.map({"63.71.01": "Banjarmasin Selatan", "63.71.02": "Banjarmasin Timur",
                                "63.71.03": "Banjarmasin Tengah"})
    return write(kec[["KODE", "NAMA", "geometry"]], tmp_path / "messy_kecamatan.gpkg")


def test_cli_kecamatan_generation_cannot_be_activated(runner, tmp_path):
    """--level kecamatan with --activate is a usage error: that generation has no kelurahan to route on."""
    result = runner.invoke(args=["import-boundaries", messy_gpkg(tmp_path), "--level", "kecamatan",
                                 "--code-field", "KODE", "--name-field", "NAMA", "--activate"])
    assert result.exit_code == 2 and "cannot be activated" in result.output


def test_cli_importing_the_same_file_again_says_so(runner, engine, restore_city, tmp_path):
    """A second import of the very same file makes a twin generation: the summary names the first one."""
    path = messy_gpkg(tmp_path)
    first = import_file(runner, path)
    assert first.exit_code == 0 and "the same file" not in first.stdout
    g = int(first.stdout.strip().splitlines()[-1].split()[1])
    second = import_file(runner, path)
    assert second.exit_code == 0 and f"the same file as generation {g}" in second.stdout


def test_cli_into_an_unknown_generation_exits_1(runner, engine, restore_city, tmp_path):
    """Filling a generation that does not exist writes nothing."""
    before = counts(engine)
    result = import_file(runner, messy_gpkg(tmp_path), "--into", "987654")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    assert counts(engine) == before


def test_boundaries_list_and_activate(runner, engine):
    """`boundaries list` marks the active generation; `boundaries activate` switches it and back."""
    from sqlalchemy import text

    with engine.begin() as c:
        test_city = c.execute(text("SELECT id FROM boundary_generation WHERE active")).scalar_one()
        other = c.execute(text("INSERT INTO boundary_generation (name) VALUES ('kosong') RETURNING id")).scalar_one()
    try:
        listed = runner.invoke(args=["boundaries", "list"])
        assert listed.exit_code == 0 and f"*   {test_city}  test city" in listed.output
        empty = runner.invoke(args=["boundaries", "activate", str(other)])
        assert empty.exit_code == 1 and "holds no kelurahan" in empty.output
        with engine.begin() as c:
            c.execute(text("UPDATE kelurahan SET generation_id = :o WHERE code = '99.01.01.1001'"), {"o": other})
        assert runner.invoke(args=["boundaries", "activate", str(other)]).exit_code == 0
        with engine.connect() as c:
            assert c.execute(text("SELECT id FROM boundary_generation WHERE active")).scalar_one() == other
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE kelurahan SET generation_id = :t WHERE code = '99.01.01.1001'"), {"t": test_city})
            c.execute(text("UPDATE boundary_generation SET active = false"))
            c.execute(text("UPDATE boundary_generation SET active = true WHERE id = :t"), {"t": test_city})
            c.execute(text("DELETE FROM boundary_generation WHERE id = :o"), {"o": other})


def test_cli_assumed_crs_applies_to_a_geojson_without_one(runner, engine, restore_city, tmp_path):
    """A UTM export saved as GeoJSON (no "crs" member): --assume-crs EPSG:32750 places it in Banjarmasin."""
    path = _raw_geojson(tmp_path, [[500000, 9630000], [510000, 9630000], [510000, 9620000], [500000, 9630000]],
                        "utm.geojson")
    result = import_file(runner, path, "--assume-crs", "EPSG:32750")
    assert result.exit_code == 0, result.output
    assert "EPSG:32750 (assumed)" in result.stdout and "117.0" in result.stdout
