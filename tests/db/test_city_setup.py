"""City setup from files (aduan/city_setup.py and its commands) against the tiny test city (tests/citykit.py).

The imports run on a rolled-back connection; the commands are run only where they must fail (nothing written),
list, or refuse a code, so the session database keeps its reference data. Files are written in tmp_path.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import Point, box, mapping
from sqlalchemy import Connection, text

from aduan import city_setup
from aduan.city_setup import SetupFileError
from geo.routing import route_point
from tests.api.test_field_cli import _create
from tests.unit.test_boundaries import zipped_shapefile

SKPD_OK = "code,name,name_en\nPUPR,Dinas PUPR baru,Public Works\nBPBD,Badan Penanggulangan Bencana,Disasters\n"
INSIDE = box(114.50, -3.40, 114.52, -3.38)  # Kelurahan A of the test city


def csv_file(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def refusal(action, conn: Connection, path: str, **kwargs) -> list[str]:
    """The problems an import reports, one string each (Indonesian / English)."""
    with pytest.raises(SetupFileError) as err:
        action(conn, path, **kwargs)
    return [str(p) for p in err.value.problems]


def area(skpd: str, categories: str, geom=INSIDE, **props) -> dict:
    return {"type": "Feature", "properties": {"skpd": skpd, "categories": categories, **props},
            "geometry": mapping(geom)}


def areas_file(tmp_path: Path, *features: dict, crs: str | None = None, name: str = "areas.geojson") -> str:
    doc: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    (tmp_path / name).write_text(json.dumps(doc))
    return str(tmp_path / name)


def import_areas(conn: Connection, path: str, **kwargs):
    return city_setup.import_service_areas(conn, path, city_name="Kota Uji", **kwargs)


def refuse_areas(conn: Connection, path: str, **kwargs) -> list[str]:
    return refusal(city_setup.import_service_areas, conn, path, city_name="Kota Uji", **kwargs)


def count(conn: Connection, table: str) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


# --- SKPD ----------------------------------------------------------------------------------------------------------

def test_skpd_are_upserted_by_code(conn, tmp_path):
    """PUPR gets its new names, BPBD is added, DLH (not in the file) is left as it was."""
    report = city_setup.import_skpd(conn, csv_file(tmp_path, SKPD_OK))
    assert (report.created, report.updated) == (["BPBD"], ["PUPR"])
    rows = dict(conn.execute(text("SELECT code, name FROM skpd")).all())
    assert rows["PUPR"] == "Dinas PUPR baru" and rows["BPBD"].startswith("Badan")
    assert rows["DLH"] == "Dinas Lingkungan Hidup"


def test_running_the_same_skpd_file_again_changes_nothing(conn, tmp_path):
    """Second run: every row unchanged, no row written."""
    path = csv_file(tmp_path, SKPD_OK)
    city_setup.import_skpd(conn, path)
    versions = text("SELECT array_agg(ctid::text ORDER BY code) FROM skpd")  # an UPDATE makes a new row version
    before = conn.execute(versions).scalar()
    again = city_setup.import_skpd(conn, path)
    assert (again.created, again.updated, again.unchanged) == ([], [], ["PUPR", "BPBD"])
    assert conn.execute(versions).scalar() == before


def test_semicolons_bom_and_header_case_as_excel_writes_them(conn, tmp_path):
    """An Indonesian Excel's "CSV UTF-8": BOM, semicolons, capitalised headers, CRLF, a blank trailing row."""
    path = csv_file(tmp_path, "\ufeffCode;Name;Name_EN;Email\r\nBPBD;Badan Bencana;Disasters;bpbd@kota.test\r\n;;;\r\n")
    assert city_setup.import_skpd(conn, path).created == ["BPBD"]
    assert conn.execute(text("SELECT email FROM skpd WHERE code = 'BPBD'")).scalar() == "bpbd@kota.test"


@pytest.mark.parametrize(("content", "expected"), [
    ("code,name\nPUPR,Dinas\n", "required columns are missing: name_en (the file has: code, name)"),
    ("", "the file is empty"),
    ("code,name,name_en\n", "the file holds no data rows"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "not a CSV text file but an Excel workbook (.xlsx)"),
    (b"\x00\x01\x02\x03" * 100, "NUL bytes: not a CSV text file"),
    ("code,name,name_en\nPUPR,Dinas,Works\nDLH,Dinas\x00Hidup,Env\n", "row 3, column name: holds a NUL byte"),
    (b"code,name,name_en\nPUPR,Dinas,Works\nDLH,Dinas Lingkungan \xe9,Env\n", "row 3: not UTF-8 text"),
    ("code,name,name_en\nPUPR,A,B\nDLH,C,D\npupr,E,F\n", "row 4, column code: duplicate code 'pupr' (also in row 2)"),
    ("code,name,name_en\nPU PR,A,B\n", "row 2, column code: code 'PU PR' is not valid"),
    ("code,name,name_en\nPUPR,,B\n", "row 2, column name: must not be empty"),
    ("code,name,name_en,email\nPUPR,A,B,pupr-at-kota\n", "row 2, column email: 'pupr-at-kota' is not an e-mail"),
    ("code,name,name_en\nPUPR,A,B,C\n", "row 2: 4 cells but the header has 3 columns"),
    ("code,name,name_en\nPUPR,\"A" + "a" * 200_000 + "\n", "row 2: malformed CSV (field larger than field limit"),
    (b"\xff\xfec\x00o\x00d\x00e\x00", "not a CSV text file but UTF-16 text"),
])
def test_bad_skpd_file_is_refused_naming_row_and_column(conn, tmp_path, content, expected):
    """Each fault gets a bilingual message naming where it is; nothing is written."""
    before = conn.execute(text("SELECT code, name FROM skpd ORDER BY code")).all()
    problems = refusal(city_setup.import_skpd, conn, csv_file(tmp_path, content))
    assert any(expected in p and " / " in p for p in problems), problems
    assert conn.execute(text("SELECT code, name FROM skpd ORDER BY code")).all() == before


def test_an_skpd_that_routing_still_uses_cannot_be_retired(conn, tmp_path):
    """Retiring DISHUB while street lights still go to it by default would keep sending it complaints: refused,
    naming the category, and nothing written; once the category moves, retiring it goes through."""
    retire = "code,name,name_en,active\nDISHUB,Dinas Perhubungan,Transport,tidak\n"
    with pytest.raises(SetupFileError) as err, conn.begin_nested():  # the caller's transaction, rolled back
        city_setup.import_skpd(conn, csv_file(tmp_path, retire))
    problems = [str(p) for p in err.value.problems]
    assert any("still the default SKPD of category lampu-jalan" in p for p in problems), problems
    assert conn.execute(text("SELECT active FROM skpd WHERE code = 'DISHUB'")).scalar() is True
    conn.execute(text("UPDATE category SET default_skpd_id = (SELECT id FROM skpd WHERE code = 'PUPR') "
                      "WHERE default_skpd_id = (SELECT id FROM skpd WHERE code = 'DISHUB')"))
    conn.execute(text("UPDATE service_area SET valid_to = now() "
                      "WHERE skpd_id = (SELECT id FROM skpd WHERE code = 'DISHUB')"))
    city_setup.import_skpd(conn, csv_file(tmp_path, retire))
    assert conn.execute(text("SELECT active FROM skpd WHERE code = 'DISHUB'")).scalar() is False
    parking = f"{CATEGORY_HEAD}\nparkir,Parkir,Parking,DISHUB\n"
    problems = refusal(city_setup.import_categories, conn, csv_file(tmp_path, parking))
    assert any("still the default SKPD of category parkir" in p for p in problems), problems


def test_a_city_with_a_retired_skpd_still_in_use_can_mend_it_one_write_at_a_time(conn, tmp_path):
    """Left by an older version (or by hand): DISHUB retired while two categories default to it. Moving one of
    them is accepted, though the other still points at DISHUB: only what a write brings is refused."""
    conn.execute(text("UPDATE skpd SET active = false WHERE code = 'DISHUB'"))
    conn.execute(text("INSERT INTO category (code, name_id, name_en, default_skpd_id) SELECT 'parkir-liar', "
                      "'Parkir liar', 'Illegal parking', id FROM skpd WHERE code = 'DISHUB'"))
    report = city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD}\n"
                                                                    "lampu-jalan,Lampu jalan,Street light,PUPR\n"))
    assert report.updated == ["lampu-jalan"]
    assert conn.execute(text("SELECT s.code FROM category c JOIN skpd s ON s.id = c.default_skpd_id "
                             "WHERE c.code = 'parkir-liar'")).scalar() == "DISHUB"


def test_every_problem_of_a_file_is_reported_at_once(conn, tmp_path):
    """Three bad rows, three problems, in row order; the good row is not written either."""
    path = csv_file(tmp_path, "code,name,name_en\nOK1,Baik,Good\nBAD 1,A,B\nOK2,,C\nOK1,D,E\n")
    assert [p.split(":")[0] for p in refusal(city_setup.import_skpd, conn, path)] == [
        "baris 3, kolom code", "baris 4, kolom name", "baris 5, kolom code"]
    assert conn.execute(text("SELECT count(*) FROM skpd WHERE code = 'OK1'")).scalar() == 0


# --- categories ----------------------------------------------------------------------------------------------------

CATEGORY_HEAD = "code,name,name_en,skpd"


def test_new_category_gets_the_schema_defaults(conn, tmp_path):
    """Without the optional columns: 5 and 15 working days, not confidential, 250 m duplicate radius."""
    city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD}\nbanjir,Banjir,Flood,PUPR\n"))
    row = conn.execute(text("SELECT followup_days, handling_days, confidential, duplicate_radius_m, s.code "
                            "FROM category c JOIN skpd s ON s.id = c.default_skpd_id WHERE c.code = 'banjir'")).one()
    assert tuple(row) == (5, 15, False, 250, "PUPR")


def test_category_columns_left_out_keep_their_values_and_empty_cells_mean_the_default(conn, tmp_path):
    """Re-import with only handling_days: follow-up stays 3; an empty handling cell later resets it to 15."""
    city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD},followup_days,handling_days\n"
                                                          "sampah,Sampah,Waste,DLH,3,9\n", "a.csv"))
    city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD},handling_days\n"
                                                          "sampah,Sampah,Waste,DLH,12\n", "b.csv"))
    days = "SELECT followup_days, handling_days FROM category WHERE code = 'sampah'"
    assert tuple(conn.execute(text(days)).one()) == (3, 12)
    city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD},handling_days\n"
                                                          "sampah,Sampah,Waste,DLH,\n", "c.csv"))
    assert tuple(conn.execute(text(days)).one()) == (3, 15)


def test_category_moves_to_another_default_skpd(conn, tmp_path):
    """Updated by code: the default SKPD follows the file."""
    report = city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD},confidential\n"
                                                                   "sampah,Sampah,Waste,PUPR,ya\n"))
    assert report.updated == ["sampah"]
    row = conn.execute(text("SELECT s.code, c.confidential FROM category c JOIN skpd s ON s.id = c.default_skpd_id "
                            "WHERE c.code = 'sampah'")).one()
    assert tuple(row) == ("PUPR", True)


def test_a_category_can_ask_for_evidence_to_resolve(conn, tmp_path):
    """`resolve_needs_evidence` (ya/tidak): resolving then needs an after-photo and a public note."""
    city_setup.import_categories(conn, csv_file(tmp_path, f"{CATEGORY_HEAD},resolve_needs_evidence\n"
                                                          "sampah,Sampah,Waste,DLH,ya\n"))
    assert conn.execute(text("SELECT resolve_needs_evidence FROM category WHERE code = 'sampah'")).scalar() is True


@pytest.mark.parametrize(("line", "expected"), [
    ("banjir,Banjir,Flood,PUPRX", "row 2, column skpd: unknown SKPD 'PUPRX' (known: DISHUB, DLH, PUPR)"),
    ("banjir,Banjir,Flood,PUPR,lima,15", "row 2, column followup_days: 'lima' is not a whole number 1..365"),
    ("banjir,Banjir,Flood,PUPR,2.5,15", "row 2, column followup_days: '2.5' is not a whole number"),
    ("banjir,Banjir,Flood,PUPR,10,5", "row 2, column handling_days: handling (5 days) is shorter than follow-up"),
    ("banjir,Banjir,Flood,PUPR,0,5", "row 2, column followup_days: '0' is not a whole number 1..365"),
    ("banjir,Banjir,,PUPR,5,15", "row 2, column name_en: must not be empty"),
    ("banjir,Banjir,Flood,PUPR,5,15,mungkin", "row 2, column confidential: 'mungkin' is not yes/no"),
])
def test_bad_category_row_is_refused_naming_row_and_column(conn, tmp_path, line, expected):
    """Unknown SKPD, bad whole numbers, clocks the wrong way round, a missing name, a bad yes/no word."""
    path = csv_file(tmp_path, f"{CATEGORY_HEAD},followup_days,handling_days,confidential\n{line}\n")
    problems = refusal(city_setup.import_categories, conn, path)
    assert any(expected in p for p in problems), problems
    assert count(conn, "category WHERE code = 'banjir'") == 0


def test_handling_shorter_than_the_stored_follow_up_is_refused(conn, tmp_path):
    """Only handling_days in the file, 3 against the stored follow-up of 5: refused, not a constraint error."""
    path = csv_file(tmp_path, f"{CATEGORY_HEAD},handling_days\nsampah,Sampah,Waste,DLH,3\n")
    assert any("shorter than follow-up (5 days)" in p for p in refusal(city_setup.import_categories, conn, path))


# --- service areas -------------------------------------------------------------------------------------------------

def current_areas(conn: Connection, skpd: str) -> list[str]:
    return conn.execute(text("SELECT a.name FROM service_area a JOIN skpd s ON s.id = a.skpd_id WHERE s.code = :s "
                             "AND a.valid_to IS NULL ORDER BY a.name"), {"s": skpd}).scalars().all()


def category_id(conn: Connection, code: str) -> int:
    return conn.execute(text("SELECT id FROM category WHERE code = :c"), {"c": code}).scalar_one()


def test_a_file_replaces_the_areas_of_the_skpd_it_names(conn, tmp_path):
    """DLH's old zone ends (kept for its tickets), the new one routes; DISHUB's corridor is untouched."""
    path = areas_file(tmp_path, area("DLH", "sampah, jalan-rusak", name="DLH Barat", priority="3"))
    report = import_areas(conn, path)
    assert (report.created, report.closed) == (["DLH: DLH Barat"], ["DLH: DLH Zona Timur"])
    assert current_areas(conn, "DLH") == ["DLH Barat"] and current_areas(conn, "DISHUB") == ["Dishub Koridor"]
    assert count(conn, "service_area WHERE name = 'DLH Zona Timur' AND valid_to IS NOT NULL") == 1
    decision = route_point(conn, 114.51, -3.39, category_id(conn, "jalan-rusak"), city_name="Kota Uji")
    assert decision.service_area_name == "DLH Barat" and decision.skpd_code == "DLH"


def test_reimporting_the_same_areas_keeps_them(conn, tmp_path):
    """Same name, priority, categories and geometry: kept as they are, nothing ended, nothing added."""
    path = areas_file(tmp_path, area("DLH", "sampah", name="DLH Barat"))
    first = import_areas(conn, path)
    again = import_areas(conn, path)
    assert (again.created, again.closed, again.unchanged) == ([], [], first.created)
    assert count(conn, "service_area WHERE name = 'DLH Barat'") == 1


def test_the_same_areas_from_another_format_are_kept(conn, tmp_path):
    """Exported again as a GeoPackage in UTM, the coordinates come back ~1e-15° off: still the same area, kept;
    an area moved by a metre is not."""
    first = import_areas(conn, areas_file(tmp_path, area("DLH", "sampah", name="DLH Barat")))
    gdf = gpd.GeoDataFrame({"skpd": ["DLH"], "categories": ["sampah"], "name": ["DLH Barat"]},
                           geometry=[INSIDE], crs=4326).to_crs(32750)
    gdf.to_file(tmp_path / "areas.gpkg", driver="GPKG")
    again = import_areas(conn, str(tmp_path / "areas.gpkg"))
    assert (again.created, again.closed, again.unchanged) == ([], [], first.created)
    moved = import_areas(conn, areas_file(tmp_path, area("DLH", "sampah", shapely.affinity.translate(INSIDE, 1e-5),
                                                          name="DLH Barat"), name="moved.geojson"))
    assert moved.closed == first.created and moved.created == first.created


def test_a_zipped_shapefile_in_utm_with_dbf_capitals_is_read(conn, tmp_path):
    """A Shapefile's SKPD/CATEGORIES/PRIORITY fields, in EPSG:32750, reprojected into the city."""
    gdf = gpd.GeoDataFrame({"SKPD": ["PUPR"], "CATEGORIES": ["jalan-rusak"], "PRIORITY": [2], "NAME": ["Zona"]},
                           geometry=[INSIDE], crs=4326).to_crs(32750)
    report = import_areas(conn, zipped_shapefile(gdf, tmp_path, "wilayah"))
    assert report.created == ["PUPR: Zona"]
    bounds = conn.execute(text("SELECT ST_XMin(geom), ST_YMax(geom), priority, ST_SRID(geom) FROM service_area "
                               "WHERE name = 'Zona'")).one()
    assert bounds[0] == pytest.approx(114.50, abs=1e-6) and bounds[1] == pytest.approx(-3.38, abs=1e-6)
    assert tuple(bounds[2:]) == (2, 4326)


def test_a_bow_tie_area_is_repaired_and_said_so(conn, tmp_path):
    """Invalid geometry is made valid as boundaries are, and the report says how many were."""
    bowtie = {"type": "Polygon", "coordinates": [[[114.50, -3.40], [114.52, -3.38], [114.52, -3.40],
                                                  [114.50, -3.38], [114.50, -3.40]]]}
    report = import_areas(conn, areas_file(tmp_path, {**area("DLH", "sampah", name="Dasi"), "geometry": bowtie}))
    assert report.notes == ["1 invalid geometries repaired by make_valid"]
    assert conn.execute(text("SELECT ST_IsValid(geom) AND ST_NumGeometries(geom) = 2 FROM service_area "
                             "WHERE name = 'Dasi'")).scalar() is True


def test_area_without_a_name_is_named_by_skpd_and_feature(conn, tmp_path):
    """The schema needs a name; the default says where it came from."""
    assert import_areas(conn, areas_file(tmp_path, area("PUPR", "jalan-rusak"))).created == ["PUPR: PUPR #1"]


def _unclosed(tmp_path: Path) -> str:
    doc = {"type": "FeatureCollection", "features": [area("DLH", "sampah"), {
        "type": "Feature", "properties": {"skpd": "DLH", "categories": "sampah"},
        "geometry": {"type": "Polygon", "coordinates": [[[114.50, -3.40], [114.52, -3.40], [114.52, -3.38]]]}}]}
    (tmp_path / "open.geojson").write_text(json.dumps(doc))
    return str(tmp_path / "open.geojson")


FAR, UTM_METRES = box(110, -7, 110.1, -6.9), box(330000, 9620000, 332000, 9622000)
BAD_AREAS = {
    "unknown skpd": (lambda p: areas_file(p, area("DLHX", "sampah")), "feature 1, column skpd: unknown SKPD 'DLHX'"),
    "unknown category": (lambda p: areas_file(p, area("DLH", "sampah,banjir")),
                         "feature 1, column categories: unknown categories: banjir"),
    "no categories": (lambda p: areas_file(p, area("DLH", " ")), "feature 1, column categories: must not be empty"),
    "bad priority": (lambda p: areas_file(p, area("DLH", "sampah"), area("DLH", "sampah", priority="tinggi")),
                     "feature 2, column priority: 'tinggi' is not a whole number"),
    "outside the city": (lambda p: areas_file(p, area("DLH", "sampah"), area("DLH", "sampah", FAR)),
                         "feature 2, column geometry: outside Kota Uji; check the CRS"),
    "utm metres without a crs": (lambda p: areas_file(p, area("DLH", "sampah", UTM_METRES)),
                                 "feature 1, column geometry: outside Kota Uji; check the CRS"),
    "unclosed ring": (_unclosed, "feature 2, column geometry: the geometry cannot be read (an unclosed polygon ring?)"),
    "a point": (lambda p: areas_file(p, area("DLH", "sampah", Point(114.51, -3.39))),
                "feature 1, column geometry: not a polygon"),
    "missing property": (lambda p: areas_file(p, {"type": "Feature", "properties": {"skpd": "DLH"},
                                                  "geometry": mapping(INSIDE)}),
                         "required properties are missing: categories (the file has: skpd)"),
    "empty": (lambda p: areas_file(p), "holds no features"),
    "binary": (lambda p: csv_file(p, b"\x00\xff" * 500, "areas.gpkg"), "file cannot be read"),
}


def test_an_area_outside_the_city_is_reported_with_the_other_problems_of_the_file(conn, tmp_path):
    """One refusal names everything: the unknown SKPD of feature 1, feature 2 lying outside the city and feature
    3 without a geometry (which used to stop the checks of the others)."""
    empty = {"type": "Feature", "properties": {"skpd": "DLH", "categories": "sampah"}, "geometry": None}
    problems = refuse_areas(conn, areas_file(tmp_path, area("DLHX", "sampah"), area("DLH", "sampah", FAR), empty))
    assert any("feature 1, column skpd: unknown SKPD 'DLHX'" in p for p in problems), problems
    assert any("feature 2, column geometry: outside Kota Uji" in p for p in problems), problems
    assert any("feature 3, column geometry: no geometry" in p for p in problems), problems


@pytest.mark.parametrize("case", BAD_AREAS, ids=list(BAD_AREAS))
def test_bad_service_area_file_is_refused_and_nothing_changes(conn, tmp_path, case):
    """Each fault is named by feature and property, bilingually; every current area stays current."""
    make, expected = BAD_AREAS[case]
    before = conn.execute(text("SELECT id, valid_to FROM service_area ORDER BY id")).all()
    with pytest.raises(city_setup.DomainError) as err:
        import_areas(conn, make(tmp_path))
    messages = [str(p) for p in getattr(err.value, "problems", [err.value])]
    assert any(expected in m and " / " in m for m in messages), messages
    assert conn.execute(text("SELECT id, valid_to FROM service_area ORDER BY id")).all() == before


def test_declared_utm_crs_is_reprojected(conn, tmp_path):
    """The same metres with their CRS declared land inside the city."""
    utm = gpd.GeoSeries([INSIDE], crs=4326).to_crs(32750).iloc[0]
    report = import_areas(conn, areas_file(tmp_path, area("DLH", "sampah", utm, name="UTM"),
                                           crs="urn:ogc:def:crs:EPSG::32750"))
    assert report.created == ["DLH: UTM"]


def test_service_areas_need_active_boundaries(conn, tmp_path):
    """Before any boundaries are active there is no city to check the areas against."""
    conn.execute(text("UPDATE boundary_generation SET active = false"))
    assert any("no active boundaries yet" in p for p in refuse_areas(conn, areas_file(tmp_path, area("DLH", "sampah"))))


# --- the commands --------------------------------------------------------------------------------------------------

def test_import_command_prints_every_problem_and_exits_1(runner, engine, tmp_path):
    """One stderr line per problem plus the summary; the database is as it was."""
    with engine.connect() as c:
        before = c.execute(text("SELECT code, name FROM skpd ORDER BY code")).all()
    result = runner.invoke(args=["import-skpd", csv_file(tmp_path, "code,name,name_en\nA B,x,y\nPUPR,,z\n")])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("baris 2, kolom code:") and lines[1].startswith("baris 3, kolom name:")
    assert "2 problems, nothing written" in lines[-1]
    with engine.connect() as c:
        assert c.execute(text("SELECT code, name FROM skpd ORDER BY code")).all() == before


def test_skpd_list_shows_codes_and_what_hangs_on_them(runner):
    """The test city: DLH has one category and one current area, DISHUB one of each, PUPR one category."""
    result = runner.invoke(args=["skpd", "list"])
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in result.output.splitlines()}
    assert result.exit_code == 0 and set(lines) == {"DISHUB", "DLH", "PUPR"}
    assert lines["DLH"].startswith("1 categories 1 areas 0 users Dinas Lingkungan Hidup")
    assert lines["PUPR"].startswith("1 categories 0 areas 0 users")


def test_create_user_with_a_wrong_skpd_names_the_valid_codes(runner):
    """The admin sees which codes exist instead of having to look them up."""
    result = _create(runner, "dewi@x.test", "--role", "officer", "--skpd", "PUPRR")
    assert result.exit_code == 1 and "valid codes: DISHUB, DLH, PUPR" in result.output
