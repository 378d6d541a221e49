"""Boundary files: read, check, reproject, repair and measure (no database).

The messy fixture, in EPSG:32750 metres from (230000, 9630000), near Banjarmasin:

    y 2000 +------C------+------D------+------E------+
           |             |             |             |
    y 1020 |             +-------------+             |      gap between B and D: 1000 m × 20 m = 20,000 m²
    y 1000 |.....A∩C.....+------B------+             |      overlap A∩C: 1000 m × 10 m = 10,000 m²
    y  990 +------A------+  (shared    |             |      F: bow-tie (invalid) at x 3000..4000
           |             |   edge A|B) |             |      G: two parts at x 5000..6500
    y    0 +-------------+-------------+-------------+      H: square with a zero-width spike at x 6900..8000
         x 0           1000          2000          3000
"""
from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from geo.boundaries import (
    CHUNK,
    BoundaryFileError,
    FieldMap,
    derive_kecamatan,
    kecamatan_code_of,
    load_boundary_file,
    read_boundary_file,
    summarize,
)

X0, Y0 = 230_000.0, 9_630_000.0
FIELDS = FieldMap(code="KODE", name="NAMA", population="PENDUDUK")


def utm_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _shift(coords: list[tuple[float, float]]) -> Polygon:
    return Polygon([(X0 + x, Y0 + y) for x, y in coords])


BOWTIE = _shift([(3000, 0), (4000, 1000), (4000, 0), (3000, 1000)])
SPIKE = _shift([(7000, 0), (8000, 0), (8000, 1000), (7000, 1000), (7000, 500), (6900, 500), (7000, 500)])
MESSY = [  # code, name, population, geometry
    ("63.71.01.1001", "Kelurahan A", 12000, utm_box(0, 0, 1000, 1000)),
    ("63.71.01.1002", "Kelurahan B", None, utm_box(1000, 0, 2000, 1000)),
    ("63.71.02.1001", "Kelurahan C", 8000, utm_box(0, 990, 1000, 2000)),
    ("63.71.02.1002", "Kelurahan D", 5000, utm_box(1000, 1020, 2000, 2000)),
    ("63.71.02.1003", "Kelurahan E", 3000, utm_box(2000, 0, 3000, 2000)),
    ("63.71.03.1001", "Kelurahan F", None, BOWTIE),
    ("63.71.03.1002", "Kelurahan G", 700, MultiPolygon([utm_box(5000, 0, 5500, 500), utm_box(6000, 0, 6500, 500)])),
    ("63.71.03.1003", "Kelurahan H", 900, SPIKE),
]


def frame(rows=MESSY, crs="EPSG:32750") -> gpd.GeoDataFrame:
    """A boundary layer as a city would hand it over: KODE, NAMA, PENDUDUK."""
    code, name, pop, geom = zip(*rows, strict=True)
    return gpd.GeoDataFrame({"KODE": code, "NAMA": name, "PENDUDUK": pop}, geometry=list(geom), crs=crs)


def write(gdf: gpd.GeoDataFrame, path: Path, **kwargs) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "crs was not provided": intended for the no-CRS fixtures
        gdf.to_file(path, **kwargs)
    return str(path)


def zipped_shapefile(gdf: gpd.GeoDataFrame, tmp_path: Path, name: str = "kelurahan") -> str:
    """A Shapefile zipped the way it arrives by e-mail (no .prj when the frame has no CRS)."""
    folder = tmp_path / f"{name}_shp"
    folder.mkdir()
    write(gdf, folder / f"{name}.shp")
    target = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
    return str(target)


def messy_gpkg(tmp_path: Path) -> str:
    return write(frame(), tmp_path / "messy.gpkg")


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    path = messy_gpkg(tmp_path_factory.mktemp("messy"))
    prepared = load_boundary_file(path, FIELDS)
    return prepared, summarize(prepared)


def refusal(path: str, fields: FieldMap = FIELDS, **kwargs) -> str:
    with pytest.raises(BoundaryFileError) as err:
        load_boundary_file(path, fields, **kwargs)
    return str(err.value)


# --- what a messy file becomes ---------------------------------------------------------------------------------------

def test_every_feature_is_kept(messy):
    """Eight features in, eight kelurahan out."""
    assert messy[1]["features"] == 8


def test_bowtie_ring_is_repaired_into_two_triangles(messy):
    """A self-intersecting ring becomes a valid MultiPolygon of its two lobes."""
    geom = messy[0].frame.set_index("code").geometry["63.71.03.1001"]
    assert geom.is_valid and len(geom.geoms) == 2


def test_invalid_features_are_counted_as_repaired(messy):
    """The bow-tie and the spike are the two invalid features."""
    assert messy[0].repaired == 2 and messy[1]["repaired"] == 2


def test_the_summary_names_each_repaired_feature_with_its_new_shape(messy):
    """"repaired 2" alone left the officer to find which places changed shape: each is named, with its parts and
    area after the repair (the bow-tie is two triangles now)."""
    fixed = {r["code"]: r for r in messy[1]["repaired_features"]}
    assert sorted(fixed) == ["63.71.03.1001", "63.71.03.1003"]
    assert fixed["63.71.03.1001"]["parts"] == 2 and fixed["63.71.03.1001"]["km2"] > 0


def test_spike_line_is_dropped_and_counted(messy):
    """make_valid leaves the zero-width spike as a line: it is dropped and counted."""
    geom = messy[0].frame.set_index("code").geometry["63.71.03.1003"]
    assert messy[1]["dropped_parts"] == 1
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1


def test_multipart_feature_stays_one_multipolygon(messy):
    """A kelurahan in two parts is one MultiPolygon, not two features."""
    geom = messy[0].frame.set_index("code").geometry["63.71.03.1002"]
    assert len(geom.geoms) == 2


def test_geometries_are_valid_multipolygons_with_rfc7946_winding(messy):
    """Every exterior ring is counter-clockwise and every hole clockwise (RFC 7946)."""
    geoms = np.asarray(messy[0].frame.geometry.array)
    parts = shapely.get_parts(geoms)
    assert set(shapely.get_type_id(geoms)) == {6} and shapely.is_valid(geoms).all()
    assert shapely.is_ccw(shapely.get_exterior_ring(parts)).all()


def test_overlap_between_neighbours_is_counted_and_measured(messy):
    """A and C overlap in a 1000 m × 10 m strip."""
    overlaps = messy[1]["overlaps"]
    assert overlaps["count"] == 1
    assert overlaps["m2"] == pytest.approx(10_000, abs=1)
    assert overlaps["largest"][0]["codes"] == ["63.71.01.1001", "63.71.02.1001"]


def test_gap_between_neighbours_is_counted_and_measured(messy):
    """B and D leave a 1000 m × 20 m hole closed by C and E."""
    gaps = messy[1]["gaps"]
    assert gaps["count"] == 1
    assert gaps["m2"] == pytest.approx(20_000, abs=1)


def test_shared_edge_is_neither_overlap_nor_gap(tmp_path):
    """A and B only share an edge: no overlap, no gap."""
    prepared = load_boundary_file(write(frame(MESSY[:2]), tmp_path / "ab.gpkg"), FIELDS)
    report = summarize(prepared)
    assert report["overlaps"]["count"] == 0 and report["gaps"]["count"] == 0


def test_total_area_counts_overlaps_once(messy):
    """The union: A∪C 2, B 1, D 0.98, E 2, F 0.5, G 0.5, H 1 km²."""
    assert messy[1]["area_km2"] == pytest.approx(7.98, abs=1e-4)


def test_metric_file_is_reprojected_to_lon_lat(messy):
    """UTM 50S metres come out as lon/lat near Banjarmasin, and the bbox says so."""
    west, south, east, north = messy[1]["bbox"]
    assert messy[0].frame.crs.to_epsg() == 4326 and messy[1]["source_crs"] == "EPSG:32750"
    assert 114.5 < west < east < 114.7 and -3.4 < south < north < -3.3


def test_population_is_a_nullable_integer(messy):
    """Missing population stays unknown, not zero."""
    population = messy[0].frame.set_index("code")["population"]
    assert str(population.dtype) == "Int64"
    assert population["63.71.01.1001"] == 12000 and population.isna()["63.71.01.1002"]


def test_kecamatan_code_comes_from_the_kelurahan_code(messy):
    """Kemendagri codes: 63.71.01.1001 belongs to kecamatan 63.71.01."""
    assert messy[0].frame.set_index("code")["kecamatan_code"]["63.71.01.1001"] == "63.71.01"


def test_geometry_collection_keeps_its_polygons(tmp_path):
    """A collection of a polygon and a line keeps the polygon and counts the line as dropped."""
    mixed = GeometryCollection([utm_box(0, 0, 100, 100), LineString([(X0, Y0), (X0 - 50, Y0)])])
    rows = [("63.71.01.1001", "A", 1, mixed)]
    prepared = load_boundary_file(write(frame(rows).to_crs(4326), tmp_path / "gc.geojson"), FIELDS)
    assert prepared.dropped_parts == 1 and prepared.repaired == 0


# --- formats and CRS -----------------------------------------------------------------------------------------------

def test_geojson_is_read(tmp_path):
    """A GeoJSON in WGS 84 reads as it is."""
    prepared = load_boundary_file(write(frame().to_crs(4326), tmp_path / "k.geojson"), FIELDS)
    assert len(prepared.frame) == 8 and prepared.source_crs == "EPSG:4326"


@pytest.mark.parametrize("prefix", ["", "zip://"])
def test_zipped_shapefile_is_read(tmp_path, prefix):
    """A zipped Shapefile reads by its .zip path or a zip:// path, with its .prj."""
    prepared = load_boundary_file(prefix + zipped_shapefile(frame(), tmp_path), FIELDS)
    assert len(prepared.frame) == 8 and prepared.source_crs == "EPSG:32750"


def test_shapefile_without_prj_is_refused(tmp_path):
    """No .prj, no assumption: refused, because metres and degrees cannot be told apart safely."""
    path = zipped_shapefile(frame(crs=None), tmp_path)
    assert "no CRS" in refusal(path)


def test_shapefile_without_prj_reads_with_an_assumed_crs(tmp_path):
    """The officer may say which CRS a file without .prj uses."""
    prepared = load_boundary_file(zipped_shapefile(frame(crs=None), tmp_path), FIELDS, assume_crs="EPSG:32750")
    assert prepared.source_crs == "EPSG:32750 (assumed)"
    assert summarize(prepared)["overlaps"]["m2"] == pytest.approx(10_000, abs=1)


def test_geopackage_with_undefined_srs_is_refused(tmp_path):
    """A GeoPackage whose SRS is undefined is refused like a Shapefile without .prj."""
    assert "no CRS" in refusal(write(frame(crs=None), tmp_path / "undef.gpkg"))


def test_declared_crs_wins_over_the_assumed_one(tmp_path):
    """An assumed CRS only fills in for a missing one; the file's own CRS is used and a note says so."""
    prepared = load_boundary_file(messy_gpkg(tmp_path), FIELDS, assume_crs="EPSG:4326")
    assert prepared.source_crs == "EPSG:32750" and "ignored" in prepared.notes[0]


def test_unknown_assumed_crs_is_refused(tmp_path):
    """A typo in the assumed CRS is a refusal, not a crash."""
    assert "unknown CRS" in refusal(zipped_shapefile(frame(crs=None), tmp_path), assume_crs="EPSG:99999999")


# --- refusals ------------------------------------------------------------------------------------------------------

def test_missing_field_is_refused_naming_it(tmp_path):
    """A wrong --code-field names the missing field and the fields the file has."""
    reason = refusal(messy_gpkg(tmp_path), FieldMap(code="KODE_KEL", name="NAMA"))
    assert reason.startswith("Kolom 'KODE_KEL' tidak ada di berkas")
    assert "field 'KODE_KEL' is missing" in reason and "KODE" in reason


def test_duplicate_codes_are_refused(tmp_path):
    """Two features with one code cannot both be that kelurahan."""
    rows = [MESSY[0], (MESSY[0][0], "Kembar", 1, MESSY[1][3])]
    assert "duplicate codes: 63.71.01.1001" in refusal(write(frame(rows), tmp_path / "dup.gpkg"))


def test_empty_code_is_refused(tmp_path):
    """A feature without a code cannot be routed to or reported on."""
    rows = [MESSY[0], (" ", "Tanpa kode", 1, MESSY[1][3])]
    assert "1 features have no code (rows 2)" in refusal(write(frame(rows), tmp_path / "nocode.gpkg"))


def test_empty_name_is_refused(tmp_path):
    """A kelurahan needs a name to be shown to citizens."""
    rows = [MESSY[0], (MESSY[1][0], None, 1, MESSY[1][3])]
    assert "empty name for code 63.71.01.1002" in refusal(write(frame(rows), tmp_path / "noname.gpkg"))


def test_non_numeric_population_is_refused(tmp_path):
    """Population must be a whole number where it is given."""
    gdf = frame(MESSY[:2]).astype({"PENDUDUK": object})
    gdf.loc[0, "PENDUDUK"] = "banyak"
    assert "population is not" in refusal(write(gdf, tmp_path / "pop.gpkg"))


@pytest.mark.parametrize(("typed", "read"), [("5.000", 5000), ("12,500", 12500), ("1 234 567", 1234567),
                                             ("7.500", 7500), ("980", 980)])
def test_population_with_thousands_marked_is_read_whole(tmp_path, typed, read):
    """Indonesian tables write 5.000 for five thousand: it was stored as 5, and rates per 1,000 came out 1,000×."""
    gdf = frame(MESSY[:2]).astype({"PENDUDUK": object})
    gdf.loc[0, "PENDUDUK"] = typed
    read_back = load_boundary_file(write(gdf, tmp_path / "pop.gpkg"), FIELDS)
    assert read_back.frame.set_index("code")["population"][MESSY[0][0]] == read


@pytest.mark.parametrize("typed", ["5.5", "12,50", "1.234,5"])
def test_population_with_decimals_is_refused(tmp_path, typed):
    gdf = frame(MESSY[:2]).astype({"PENDUDUK": object})
    gdf.loc[0, "PENDUDUK"] = typed
    assert "population is not" in refusal(write(gdf, tmp_path / "pop.gpkg"))


def test_point_layer_is_refused(tmp_path):
    """Kelurahan centroids are not boundaries."""
    rows = [(c, n, p, g.centroid) for c, n, p, g in MESSY[:2]]
    assert "not polygonal (Point)" in refusal(write(frame(rows), tmp_path / "points.gpkg"))


def test_line_layer_is_refused(tmp_path):
    """Boundary lines without polygons are refused."""
    rows = [(c, n, p, LineString(g.exterior.coords)) for c, n, p, g in MESSY[:2]]
    assert "not polygonal (LineString)" in refusal(write(frame(rows), tmp_path / "lines.gpkg"))


def test_wrong_hemisphere_is_refused(tmp_path):
    """Longitude -114.6 (the sign dropped) is not in Indonesia."""
    gdf = frame().to_crs(4326)
    gdf.geometry = gdf.geometry.affine_transform([-1, 0, 0, 1, 0, 0])
    assert "outside the plausible area" in refusal(write(gdf, tmp_path / "west.geojson"))


def test_utm_metres_in_geojson_are_refused(tmp_path):
    """GeoJSON means WGS 84 (RFC 7946): metres written into one are caught, with a hint about the CRS."""
    reason = refusal(write(frame(crs=None), tmp_path / "metres.geojson"))
    assert "outside the plausible area" in reason and "check the CRS" in reason


def test_plausible_area_is_a_parameter(tmp_path):
    """Another city narrows or moves the plausible area."""
    reason = refusal(messy_gpkg(tmp_path), plausible_bbox=(100.0, -1.0, 110.0, 5.0))
    assert "lon 100..110, lat -1..5" in reason


def test_feature_without_polygon_is_refused(tmp_path):
    """A point in a polygon layer leaves that feature with no area: refused by code."""
    rows = [MESSY[0], (MESSY[1][0], "Titik", 1, Point(X0, Y0))]
    assert "no polygonal part: code 63.71.01.1002" in refusal(write(frame(rows), tmp_path / "mixed.gpkg"))


def test_empty_file_is_refused(tmp_path):
    """A valid file with no features is refused."""
    assert "holds no features" in refusal(write(frame().iloc[:0], tmp_path / "empty.gpkg"))


def test_unreadable_file_is_refused(tmp_path):
    """Bytes GDAL cannot read are refused with its reason."""
    path = tmp_path / "rusak.gpkg"
    path.write_bytes(b"\x00not a geopackage" * 64)
    assert refusal(str(path)).startswith("Berkas tidak dapat dibaca / file cannot be read (")


def test_missing_file_is_refused(tmp_path):
    """A mistyped path says so."""
    assert "file not found" in refusal(str(tmp_path / "tidak-ada.gpkg"))


def test_geopackage_with_several_layers_needs_one_chosen(tmp_path):
    """With two layers the officer chooses; the chosen one reads."""
    path = tmp_path / "two.gpkg"
    write(frame(), path, layer="kelurahan")
    write(frame().iloc[:2], path, layer="lama")
    assert "several layers (kelurahan, lama); choose one: --layer kelurahan on the command line" in refusal(str(path))
    assert len(load_boundary_file(str(path), FIELDS, layer="lama").frame) == 2


def test_refusal_is_one_line_in_indonesian_and_english(tmp_path):
    """The reason is one line: Indonesian, a slash, English."""
    err = pytest.raises(BoundaryFileError, read_boundary_file, str(tmp_path / "x.gpkg")).value
    assert "\n" not in str(err) and str(err) == f"{err.message_id} / {err.message_en}"


# --- kecamatan -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "parent"), [
    ("63.71.01.1001", "63.71.01"), ("6371011001", "637101"), ("KEL-7", None), ("1001", None)])
def test_kecamatan_code_of(code, parent):
    """Dotted and plain Kemendagri codes give their kecamatan; other codes give none."""
    assert kecamatan_code_of(code) == parent


def test_parent_field_overrides_the_code(tmp_path):
    """With a parent field, the kecamatan code comes from it."""
    gdf = frame(MESSY[:2]).assign(KEC="KEC-X")
    prepared = load_boundary_file(write(gdf, tmp_path / "p.gpkg"), FieldMap("KODE", "NAMA", parent="KEC"))
    assert set(prepared.frame["kecamatan_code"]) == {"KEC-X"}


def test_code_without_kecamatan_is_refused(tmp_path):
    """A code the kecamatan cannot be read from needs a parent field."""
    rows = [("KEL7", "A", 1, MESSY[0][3])]
    assert "name the parent field" in refusal(write(frame(rows), tmp_path / "k.gpkg"))


def test_numeric_codes_keep_no_decimals(tmp_path):
    """Codes stored as numbers read as 6371011001, not 6371011001.0."""
    gdf = frame(MESSY[:2]).assign(KODE=[6371011001.0, 6371011002.0])
    prepared = load_boundary_file(write(gdf, tmp_path / "n.gpkg"), FIELDS)
    assert list(prepared.frame["code"]) == ["6371011001", "6371011002"]
    assert set(prepared.frame["kecamatan_code"]) == {"637101"}


def test_kecamatan_are_dissolved_from_their_kelurahan(messy):
    """Three kecamatan codes give three kecamatan whose area is their kelurahan's union."""
    kecamatan = derive_kecamatan(messy[0].frame).set_index("code")
    assert list(kecamatan.index) == ["63.71.01", "63.71.02", "63.71.03"]
    area = kecamatan.to_crs(32750).area
    assert area["63.71.01"] == pytest.approx(2e6, abs=1) and set(kecamatan.geom_type) == {"MultiPolygon"}


def test_kecamatan_level_needs_no_parent(tmp_path):
    """A kecamatan file has codes and names only."""
    rows = [("63.71.01", "Banjarmasin Selatan", None, MESSY[0][3])]
    prepared = load_boundary_file(write(frame(rows), tmp_path / "kec.gpkg"), FIELDS, level="kecamatan")
    assert list(prepared.frame.columns) == ["code", "name", "geometry"]


def test_large_files_report_repair_progress(tmp_path):
    """Past one chunk of features, progress lines say how far the repair is."""
    cells = [(f"63.71.01.{i:04d}", f"K{i}", i, utm_box(i * 10, 0, i * 10 + 10, 10)) for i in range(CHUNK + 10)]
    lines: list[str] = []
    load_boundary_file(write(frame(cells), tmp_path / "big.gpkg"), FIELDS, progress=lines.append)
    assert f"repairing {CHUNK}/{CHUNK + 10}" in lines and f"repairing {CHUNK + 10}/{CHUNK + 10}" in lines
