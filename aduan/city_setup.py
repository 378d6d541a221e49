"""A city sets itself up from its own spreadsheets and maps: SKPD, categories and service areas. No Flask here.

Each import checks the whole file first and writes nothing if any row is wrong; the caller owns the transaction,
so a failure while writing leaves the database as it was too. Choices, so a reader need not guess:
- Rows are numbered as a spreadsheet shows them (the header is row 1); features of a map file from 1 in file order.
  Every problem names its row (or feature) and column; up to `MAX_PROBLEMS` are reported at once.
- CSV files are UTF-8 (Excel's "CSV UTF-8"; a BOM is fine), separated by commas, or by semicolons as Excel writes
  them in an Indonesian locale. Column names ignore case and surrounding spaces; unknown columns are ignored.
- SKPD and categories are upserted by code: re-running a file changes only what changed. A row missing from the
  file is left alone (retire it with `active` = tidak). An optional column absent from the file keeps the stored
  value of an existing row (a new row gets the schema's default); present but empty, it means the default.
- Service areas are versioned, never edited in place, because tickets keep the area they were routed to: a file is
  the complete set of areas of every SKPD it names. An area identical to a current one (same name, priority,
  categories and geometry) is kept; the SKPD's other current areas end now (`valid_to`) and the new ones start now.
  SKPD the file does not name keep their areas. Open tickets keep their routing until `reroute` is run.
- Geometry is read by geo.boundaries (GeoJSON, GeoPackage, zipped Shapefile; reprojected to EPSG:4326 from the
  declared CRS), repaired the same way as boundaries, and must touch the active boundary generation.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Connection, Table, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from aduan.errors import DomainError
from aduan.models import Category, ServiceArea, Skpd, service_area_category
from aduan.text import FALSE_WORDS, TRUE_WORDS, clean_text
from geo import boundaries

SKPD_T, CATEGORY_T, AREA_T = Skpd.__table__, Category.__table__, ServiceArea.__table__
MAX_PROBLEMS = 20
MAX_NAME = 200
SKPD_CODE_MAX, CATEGORY_CODE_MAX = 40, 60  # the schema's column lengths
# (low, high) of the whole numbers a column takes; the database's smallint and check constraint are within these.
RANGES = {"followup_days": (1, 365), "handling_days": (1, 3650), "duplicate_radius_m": (0, 10_000),
          "priority": (-1000, 1000)}
BINARY_MAGIC = {b"PK\x03\x04": "Excel (.xlsx) atau ZIP / an Excel workbook (.xlsx) or a ZIP",
                b"\xd0\xcf\x11\xe0": "Excel lama (.xls) / an old Excel workbook (.xls)", b"%PDF": "PDF",
                b"\xff\xfe": "teks UTF-16 / UTF-16 text", b"\xfe\xff": "teks UTF-16 / UTF-16 text"}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one cell (or row, or the whole file when `row` is None)."""

    row: int | None
    column: str | None
    message_id: str
    message_en: str
    unit: str = "row"  # or "feature", in a map file

    def where(self, lang: str) -> str:
        """'baris 3, kolom skpd: ' / 'row 3, column skpd: ' (empty for the whole file)."""
        words = {"row": ("baris", "row"), "feature": ("fitur", "feature"), "column": ("kolom", "column")}
        pick = 0 if lang == "id" else 1
        place = [f"{words[self.unit][pick]} {self.row}"] if self.row else []
        place += [f"{words['column'][pick]} {self.column}"] if self.column else []
        return ", ".join(place) + ": " if place else ""

    def __str__(self) -> str:
        return f"{self.where('id')}{self.message_id} / {self.where('en')}{self.message_en}"


class SetupFileError(DomainError):
    """A file the city must fix before anything is imported; `problems` lists what is wrong, row by row."""

    code = "bad_file"

    def __init__(self, problems: list[Problem]) -> None:
        first, more = problems[0], len(problems) - 1
        tail_id, tail_en = (f" (dan {more} masalah lain)", f" (and {more} more)") if more else ("", "")
        super().__init__(first.where("id") + first.message_id + tail_id, first.where("en") + first.message_en + tail_en)
        self.problems = problems


@dataclass
class ImportReport:
    """What an import did, by code (or by SKPD for service areas)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)  # service areas whose validity ended
    notes: list[str] = field(default_factory=list)


class _Checker:
    """Collects problems while rows are read, so the city sees (nearly) all of them in one run."""

    def __init__(self, unit: str = "row") -> None:
        self.unit = unit
        self.problems: list[Problem] = []

    def add(self, row: int | None, column: str | None, message_id: str, message_en: str) -> None:
        self.problems.append(Problem(row, column, message_id, message_en, self.unit))

    def done(self) -> None:
        if self.problems:
            raise SetupFileError(self.problems[:MAX_PROBLEMS])


def _refuse(message_id: str, message_en: str, column: str | None = None) -> SetupFileError:
    return SetupFileError([Problem(None, column, message_id, message_en)])


# --- reading a CSV -----------------------------------------------------------------------------------------------

def _decode(path: str) -> str:
    if not os.path.isfile(path):
        raise _refuse(f"Berkas tidak ditemukan: {path}", f"file not found: {path}")
    with open(path, "rb") as f:
        data = f.read()
    if not data.strip():
        raise _refuse("Berkas kosong", "the file is empty")
    for magic, kind in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise _refuse(f"Ini bukan berkas CSV teks melainkan {kind.split(' / ')[0]}; simpan sebagai CSV UTF-8",
                          f"this is not a CSV text file but {kind.split(' / ')[-1]}; save it as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        row = data.count(b"\n", 0, err.start) + 1
        raise SetupFileError([Problem(row, None, "bukan teks UTF-8; simpan sebagai CSV UTF-8",
                                      "not UTF-8 text; save the file as CSV UTF-8")]) from None


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _records(reader) -> Iterable[list[str]]:
    """The reader's records; a malformed one (an unclosed quote running into a huge field) is the file's fault."""
    try:
        yield from reader
    except csv.Error as err:
        raise SetupFileError([Problem(reader.line_num, None, f"CSV rusak ({err})", f"malformed CSV ({err})")]) from None


def read_csv(path: str, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {column: stripped cell}) for each non-blank row; refuses what is not a table."""
    content = _decode(path)
    if "\x00" in content.split("\n", 1)[0] or content.count("\x00") > len(content) // 10:
        raise _refuse("Berkas berisi byte NUL: bukan CSV teks", "the file holds NUL bytes: not a CSV text file")
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(content.split("\n", 1)[0]))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        have = ", ".join(h for h in header if h) or "-"
        raise _refuse(f"Kolom wajib tidak ada: {', '.join(missing)} (ada: {have})",
                      f"required columns are missing: {', '.join(missing)} (the file has: {have})")
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if doubled:
        raise _refuse(f"Kolom ganda: {', '.join(doubled)}", f"duplicate columns: {', '.join(doubled)}")
    rows, check = [], _Checker()
    for number, cells in enumerate(_records(reader), start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            check.add(number, None, f"{len(cells)} sel, judul hanya {len(header)} kolom",
                      f"{len(cells)} cells but the header has {len(header)} columns")
        record = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h}
        for column, value in record.items():
            if "\x00" in value:
                check.add(number, column, "berisi byte NUL", "holds a NUL byte")
        rows.append((number, record))
    check.done()
    if not rows:
        raise _refuse("Berkas tidak berisi baris data", "the file holds no data rows")
    return rows


# --- cells ---------------------------------------------------------------------------------------------------------

def _code(check: _Checker, row: int | None, column: str, value: str, limit: int) -> str:
    """Codes travel in URLs, Open311 service_code and CLI options: plain characters only."""
    if not re.fullmatch(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{limit - 1}}}", value):
        check.add(row, column, f"kode {value!r} tidak valid (huruf, angka, . _ -; paling banyak {limit} karakter)",
                  f"code {value!r} is not valid (letters, digits, . _ -; at most {limit} characters)")
    return value


def _text(check: _Checker, row: int | None, column: str, value: str, *, required: bool,
          limit: int = MAX_NAME) -> str | None:
    cleaned = clean_text(value, 100_000)
    if cleaned is None and required:
        check.add(row, column, "wajib diisi", "must not be empty")
    elif cleaned is not None and len(cleaned) > limit:
        check.add(row, column, f"lebih dari {limit} karakter", f"longer than {limit} characters")
    return cleaned


def _whole(check: _Checker, row: int | None, column: str, value: object) -> int | None:
    low, high = RANGES[column]
    try:
        number = float(str(value).strip())  # "1,000" is refused, not read as 1
    except ValueError:
        number = float("nan")
    if not (np.isfinite(number) and number == int(number) and low <= number <= high):
        check.add(row, column, f"{value!r} bukan bilangan bulat {low}..{high}",
                  f"{value!r} is not a whole number {low}..{high}")
        return None
    return int(number)


def _yes_no(check: _Checker, row: int | None, column: str, value: str) -> bool | None:
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        check.add(row, column, f"{value!r} bukan ya/tidak", f"{value!r} is not yes/no")
        return None
    return word in TRUE_WORDS


def _no_duplicates(check: _Checker, row: int, column: str, code: str, seen: dict[str, int]) -> None:
    first = seen.setdefault(code.lower(), row)
    if first != row:
        check.add(row, column, f"kode {code!r} ganda (juga di baris {first})",
                  f"duplicate code {code!r} (also in row {first})")


def _server_default(table: Table, column: str) -> int:
    """The schema's default for a column (one place: the model)."""
    return int(table.c[column].server_default.arg.text)


def _known_skpd(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(SKPD_T.c.code, SKPD_T.c.id)).all())


def _unknown_skpd(check: _Checker, row: int, column: str, code: str, known: dict[str, int]) -> None:
    listed = ", ".join(sorted(known)[:30]) or "-"
    check.add(row, column, f"SKPD {code!r} tidak dikenal (ada: {listed}); impor SKPD dulu",
              f"unknown SKPD {code!r} (known: {listed}); import the SKPD first")


# --- SKPD and categories -------------------------------------------------------------------------------------------

def _upsert(conn: Connection, table: Table, records: list[dict], report: ImportReport) -> None:
    """Insert new codes, update changed ones, leave identical rows untouched (so a re-run writes nothing)."""
    columns = sorted({k for r in records for k in r})
    stored = {r["code"]: r for r in conn.execute(select(*[table.c[c] for c in columns])).mappings()}
    changed = []
    for record in records:
        old = stored.get(record["code"])
        bucket = report.created if old is None else report.unchanged if dict(old) == record else report.updated
        bucket.append(record["code"])
        if bucket is not report.unchanged:
            changed.append(record)
    for same in {tuple(sorted(r)) for r in changed}:  # one statement per column set
        rows = [r for r in changed if tuple(sorted(r)) == same]
        stmt = pg_insert(table).values(rows)
        conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.code],
                                                set_={c: stmt.excluded[c] for c in same if c != "code"}))


def _skpd(check: _Checker, n: int | None, cells: dict[str, str]) -> dict:
    record = {"code": _code(check, n, "code", cells["code"], SKPD_CODE_MAX),
              "name": _text(check, n, "name", cells["name"], required=True),
              "name_en": _text(check, n, "name_en", cells["name_en"], required=False)}
    if "email" in cells:
        record["email"] = _text(check, n, "email", cells["email"], required=False)
        if record["email"] and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", record["email"]):
            check.add(n, "email", f"{cells['email']!r} bukan alamat e-mail", f"{cells['email']!r} is not an e-mail")
    if "active" in cells:
        record["active"] = _yes_no(check, n, "active", cells["active"] or "ya")
    return record


def skpd_record(cells: dict[str, str]) -> dict:
    """One SKPD typed into a form, checked as an import row is (the admin pages use the same rules)."""
    check = _Checker()
    record = _skpd(check, None, cells)
    check.done()
    return record


def category_record(conn: Connection, cells: dict[str, str], old: dict | None) -> dict:
    """One category typed into a form, checked as an import row is (clocks, SKPD, radius, yes/no)."""
    check = _Checker()
    record = _category(check, None, cells, _known_skpd(conn), old)
    check.done()
    return record


def import_skpd(conn: Connection, path: str) -> ImportReport:
    """The city's agencies from `code,name,name_en[,email][,active]`, upserted by code."""
    rows, check, seen, records = read_csv(path, ("code", "name", "name_en")), _Checker(), {}, []
    for n, cells in rows:
        _no_duplicates(check, n, "code", cells["code"], seen)
        records.append(_skpd(check, n, cells))
    check.done()
    report = ImportReport()
    with keeping_routing_targets(conn):
        _upsert(conn, SKPD_T, records, report)
    return report


_RETIRED_TARGETS = text("""
SELECT s.code, 'category' AS kind, c.code AS what FROM category c JOIN skpd s ON s.id = c.default_skpd_id
 WHERE c.active AND NOT s.active
UNION ALL
SELECT s.code, 'service_area', a.name FROM service_area a JOIN skpd s ON s.id = a.skpd_id
 WHERE NOT s.active AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
 ORDER BY 1, 2, 3
""")


@contextmanager
def keeping_routing_targets(conn: Connection) -> Iterator[None]:
    """Around a write of SKPDs, categories or service areas: refuse it (the caller's transaction then writes
    nothing) when it makes routing hand complaints to a retired SKPD — an active category whose default SKPD is
    retired, or a current service area of one. Only what the write brings is refused: a city that has such a
    problem already can still make the writes that mend it."""
    before = set(conn.execute(_RETIRED_TARGETS).all())
    yield
    brought = [row for row in conn.execute(_RETIRED_TARGETS).all() if row not in before]
    if brought:
        check = _Checker()
        for skpd, kind, what in brought:
            if kind == "category":
                check.add(None, "active", f"SKPD {skpd} nonaktif tetapi masih SKPD bawaan kategori {what}: pindahkan "
                                          "kategori itu ke SKPD lain dulu",
                          f"SKPD {skpd} is retired but still the default SKPD of category {what}: move that category "
                          "to another SKPD first")
            else:
                check.add(None, "active", f"SKPD {skpd} nonaktif tetapi area layanannya {what!r} masih berlaku: "
                                          "akhiri atau pindahkan area itu dulu",
                          f"SKPD {skpd} is retired but its service area {what!r} is still in force: end or move "
                          "that area first")
        check.done()


CATEGORY_NUMBERS = ("followup_days", "handling_days", "duplicate_radius_m")
CATEGORY_TEXTS = {"description_id": 5000, "description_en": 5000, "group_name": 100}


def _category(check: _Checker, n: int | None, cells: dict[str, str], skpd: dict[str, int], old: dict | None) -> dict:
    record = {"code": _code(check, n, "code", cells["code"], CATEGORY_CODE_MAX),
              "name_id": _text(check, n, "name", cells["name"], required=True),
              "name_en": _text(check, n, "name_en", cells["name_en"], required=True),
              "default_skpd_id": skpd.get(cells["skpd"])}
    if record["default_skpd_id"] is None:
        _unknown_skpd(check, n, "skpd", cells["skpd"], skpd)
    for column in CATEGORY_NUMBERS:
        if cells.get(column):
            record[column] = _whole(check, n, column, cells[column])
        elif column in cells or old is None:
            record[column] = _server_default(CATEGORY_T, column)
        else:
            record[column] = old[column]
    if "confidential" in cells:
        record["confidential"] = bool(_yes_no(check, n, "confidential", cells["confidential"] or "tidak"))
    if "resolve_needs_evidence" in cells:  # resolving asks for an after-photo and a public note
        record["resolve_needs_evidence"] = bool(_yes_no(check, n, "resolve_needs_evidence",
                                                        cells["resolve_needs_evidence"] or "tidak"))
    if "active" in cells:
        record["active"] = _yes_no(check, n, "active", cells["active"] or "ya")
    for column, limit in CATEGORY_TEXTS.items():
        if column in cells:
            record[column] = _text(check, n, column, cells[column], required=False, limit=limit)
    follow, handle = record["followup_days"], record["handling_days"]
    if follow is not None and handle is not None and handle < follow:
        check.add(n, "handling_days", f"penanganan ({handle} hari) lebih pendek dari tindak lanjut ({follow} hari)",
                  f"handling ({handle} days) is shorter than follow-up ({follow} days)")
    return record


def import_categories(conn: Connection, path: str) -> ImportReport:
    """The Open311 services from `code,name,name_en,skpd[,followup_days,handling_days,confidential,
    duplicate_radius_m,resolve_needs_evidence]`, upserted by code; the SKPD must exist already."""
    rows, check, seen, records = read_csv(path, ("code", "name", "name_en", "skpd")), _Checker(), {}, []
    skpd = _known_skpd(conn)
    stored = {r["code"]: r for r in conn.execute(select(CATEGORY_T)).mappings()}
    for n, cells in rows:
        _no_duplicates(check, n, "code", cells["code"], seen)
        records.append(_category(check, n, cells, skpd, stored.get(cells["code"])))
    check.done()
    report = ImportReport()
    with keeping_routing_targets(conn):
        _upsert(conn, CATEGORY_T, records, report)
    return report


# --- service areas -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Area:
    feature: int
    skpd: str
    name: str
    priority: int
    category_ids: frozenset[int]
    geom: shapely.Geometry


def _property_columns(frame) -> dict[str, str]:
    """Property names ignore case (a Shapefile's DBF often says SKPD); `skpd` and `categories` are required."""
    columns = {str(c).strip().lower(): c for c in frame.columns if c != frame.geometry.name}
    missing = [c for c in ("skpd", "categories") if c not in columns]
    if missing:
        raise _refuse(f"Properti wajib tidak ada: {', '.join(missing)} (ada: {', '.join(columns) or '-'})",
                      f"required properties are missing: {', '.join(missing)} (the file has: "
                      f"{', '.join(columns) or '-'})")
    return columns


def _cell(frame, columns: dict[str, str], name: str, i: int) -> str:
    if name not in columns:
        return ""
    value = frame[columns[name]].iloc[i]
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _area_attributes(frame, check: _Checker, skpd: dict[str, int], categories: dict[str, int]) -> list[dict]:
    columns, out = _property_columns(frame), []
    for i in range(len(frame)):
        f, code = i + 1, _cell(frame, columns, "skpd", i)
        if code not in skpd:
            _unknown_skpd(check, f, "skpd", code, skpd)
        wanted = [c.strip() for c in re.split(r"[,;]", _cell(frame, columns, "categories", i)) if c.strip()]
        unknown = [c for c in wanted if c not in categories]
        if not wanted or unknown:
            check.add(f, "categories", f"kategori tidak dikenal: {', '.join(unknown)}" if unknown else "wajib diisi",
                      f"unknown categories: {', '.join(unknown)}" if unknown else "must not be empty")
        raw_priority = _cell(frame, columns, "priority", i)
        priority = _whole(check, f, "priority", raw_priority) if raw_priority else 0
        name = _text(check, f, "name", _cell(frame, columns, "name", i), required=False) or f"{code} #{i + 1}"
        out.append({"skpd": code, "name": name, "priority": priority,
                    "category_ids": frozenset(categories[c] for c in wanted if c in categories)})
    return out


def _area_geometries(frame, check: _Checker, assume_crs: str | None) -> tuple[np.ndarray, int]:
    """EPSG:4326 MultiPolygons repaired as boundaries are (None where a feature has no usable polygon), and how
    many needed repair. A feature whose geometry cannot be used is reported and left out, so the others are still
    checked (every problem of the file at once)."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    unreadable = set(int(i) for i in frame.attrs.get("unreadable", ()))
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    not_finite = set(np.unique(index[~np.isfinite(coords).all(axis=1)]).tolist())
    unusable = []
    for i in range(len(geoms)):
        if i in unreadable:
            check.add(i + 1, "geometry", "geometri tidak dapat dibaca (cincin poligon tidak tertutup?)",
                      "the geometry cannot be read (an unclosed polygon ring?)")
        elif shapely.is_missing(geoms[i]) or shapely.is_empty(geoms[i]):
            check.add(i + 1, "geometry", "tanpa geometri", "no geometry")
        elif i in not_finite:
            check.add(i + 1, "geometry", "koordinat bukan angka (NaN/Infinity)", "coordinates are not numbers")
        else:
            continue
        unusable.append(i)
    frame, _, _ = boundaries._declared_crs(frame, assume_crs)  # the boundaries' CRS rule, one place
    usable = np.asarray(frame.geometry.array, dtype=object)
    usable[unusable] = None
    repaired, fixed, _ = boundaries.repair(np.asarray(
        gpd.GeoSeries(usable, crs=frame.crs).to_crs(4326).array, dtype=object))
    for i in np.flatnonzero(shapely.is_missing(repaired)):
        if int(i) not in unusable:
            check.add(int(i) + 1, "geometry", "bukan poligon", "not a polygon")
    return repaired, fixed


_OUTSIDE = text("""
SELECT f.n FROM unnest(CAST(:wkb AS bytea[])) WITH ORDINALITY AS f(w, n)
 WHERE NOT EXISTS (SELECT 1 FROM kelurahan k JOIN boundary_generation g ON g.id = k.generation_id AND g.active
                    WHERE ST_Intersects(k.geom, ST_GeomFromWKB(f.w, 4326)))
 ORDER BY f.n
""")


def _check_in_city(conn: Connection, areas: list[_Area], check: _Checker, city_name: str) -> None:
    if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM boundary_generation WHERE active)")).scalar():
        raise _refuse("Belum ada batas wilayah aktif; impor batas kelurahan dulu (import-boundaries --activate)",
                      "no active boundaries yet; import the kelurahan first (import-boundaries --activate)")
    wkb = [shapely.to_wkb(a.geom) for a in areas]
    for n in conn.execute(_OUTSIDE, {"wkb": wkb}).scalars():
        a = areas[n - 1]
        check.add(a.feature, "geometry", f"di luar {city_name}; periksa CRS", f"outside {city_name}; check the CRS")


def read_service_areas(conn: Connection, path: str, *, city_name: str, assume_crs: str | None = None,
                       layer: str | None = None, progress: Progress | None = None) -> tuple[list[_Area], int]:
    """Every feature checked (SKPD and categories known, priority whole, geometry polygonal and in the city), and
    how many geometries were repaired."""
    if progress:
        progress(f"reading {path}…")
    frame = boundaries.read_boundary_file(path, layer=layer)
    if assume_crs and not boundaries.declares_crs(boundaries.local_path(path)):
        frame = frame.set_crs(None, allow_override=True)  # GeoJSON without a "crs": the assumed one applies
    check = _Checker("feature")
    attrs = _area_attributes(frame, check, _known_skpd(conn),
                             dict(conn.execute(select(CATEGORY_T.c.code, CATEGORY_T.c.id)).all()))
    if progress:
        progress(f"checking {len(frame)} features")
    geoms, repaired = _area_geometries(frame, check, assume_crs)
    areas = [_Area(i + 1, geom=g, **a) for i, (a, g) in enumerate(zip(attrs, geoms, strict=True)) if g is not None]
    _check_in_city(conn, areas, check, city_name)  # before refusing: every problem of the file at once
    check.done()
    return areas, repaired


_CURRENT = text("""
SELECT a.id, s.code AS skpd, a.name, a.priority, ST_AsBinary(a.geom) AS wkb,
       array(SELECT ac.category_id FROM service_area_category ac WHERE ac.service_area_id = a.id) AS category_ids
  FROM service_area a JOIN skpd s ON s.id = a.skpd_id
 WHERE s.code = ANY(:codes) AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
""")


SAME_WITHIN_DEG = 1e-8  # ~1 mm: the same area written by another format (GPKG, GeoJSON) differs by ~1e-15°


def _same(area: _Area, row) -> bool:
    """The stored area, unchanged: same name, priority, categories and shape (to the millimetre, so the same file
    exported again in another format keeps its areas instead of ending and re-creating them)."""
    if (area.name, area.priority, area.category_ids) != (row.name, row.priority, frozenset(row.category_ids)):
        return False
    stored = shapely.from_wkb(row.wkb)  # vertex by vertex, in a normal order: linear in the vertices
    return bool(shapely.equals_exact(shapely.normalize(area.geom), shapely.normalize(stored), SAME_WITHIN_DEG))


def replace_service_areas(conn: Connection, areas: list[_Area]) -> ImportReport:
    """Each named SKPD's current areas become the file's: identical ones kept, others closed, new ones added."""
    with keeping_routing_targets(conn):
        return _replace_areas(conn, areas)


def _replace_areas(conn: Connection, areas: list[_Area]) -> ImportReport:
    report, skpd, codes = ImportReport(), _known_skpd(conn), sorted({a.skpd for a in areas})
    # Two imports for one SKPD at once would both close and both add: the second waits for the first.
    conn.execute(select(SKPD_T.c.id).where(SKPD_T.c.code.in_(codes)).order_by(SKPD_T.c.id).with_for_update())
    current = conn.execute(_CURRENT, {"codes": codes}).all()
    kept: set[int] = set()
    for area in areas:
        match = next((r.id for r in current if r.id not in kept and r.skpd == area.skpd and _same(area, r)), None)
        if match is not None:
            kept.add(match)
            report.unchanged.append(f"{area.skpd}: {area.name}")
            continue
        area_id = conn.execute(insert(AREA_T).values(
            skpd_id=skpd[area.skpd], name=area.name, priority=area.priority, valid_from=func.now(),
            geom=func.ST_GeomFromWKB(shapely.to_wkb(area.geom), 4326),
            area_m2=func.ST_Area(func.Geography(func.ST_GeomFromWKB(shapely.to_wkb(area.geom), 4326))))
            .returning(AREA_T.c.id)).scalar_one()
        conn.execute(insert(service_area_category), [{"service_area_id": area_id, "category_id": c}
                                                      for c in sorted(area.category_ids)])
        report.created.append(f"{area.skpd}: {area.name}")
    ended = [r for r in current if r.id not in kept]
    if ended:
        conn.execute(update(AREA_T).where(AREA_T.c.id.in_([r.id for r in ended])).values(valid_to=func.now()))
    report.closed = [f"{r.skpd}: {r.name}" for r in ended]
    return report


def import_service_areas(conn: Connection, path: str, *, city_name: str, assume_crs: str | None = None,
                         layer: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Read and check the whole file, then version the areas of the SKPD it names, in the caller's transaction."""
    areas, repaired = read_service_areas(conn, path, city_name=city_name, assume_crs=assume_crs, layer=layer,
                                         progress=progress)
    report = replace_service_areas(conn, areas)
    if repaired:
        report.notes.append(f"{repaired} invalid geometries repaired by make_valid")
    return report


# --- listing -------------------------------------------------------------------------------------------------------

_SKPD_LIST = text("""
SELECT s.code, s.name, s.name_en, s.active,
       (SELECT count(*) FROM category c WHERE c.default_skpd_id = s.id AND c.active) AS categories,
       (SELECT count(*) FROM service_area a WHERE a.skpd_id = s.id AND a.valid_from <= now()
           AND (a.valid_to IS NULL OR a.valid_to > now())) AS areas,
       (SELECT count(*) FROM app_user u WHERE u.skpd_id = s.id AND u.active) AS users
  FROM skpd s ORDER BY s.code
""")


def skpd_overview(conn: Connection) -> list[dict]:
    """Every SKPD with what hangs on it, so an administrator can see what a code is before using it."""
    return [dict(r) for r in conn.execute(_SKPD_LIST).mappings()]
