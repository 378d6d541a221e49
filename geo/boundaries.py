"""Boundary files as a city GIS officer gets them: read, check, reproject, repair and measure. No Flask here.

Real kelurahan files overlap in slivers, leave gaps, carry bow-tie rings and sometimes declare no CRS at all.
`load_boundary_file` makes clean EPSG:4326 MultiPolygons with RFC 7946 winding (exteriors counter-clockwise) or
refuses with a one-line reason in Indonesian and English; `summarize` says what was fixed and what is imperfect.

Choices, so a reader need not guess:
- A file without a declared CRS is refused unless a CRS is assumed; a declared CRS always wins over the assumed one.
  GeoJSON is WGS 84 by definition (RFC 7946), so a GeoJSON in UTM metres fails the plausibility check instead.
- Overlaps are pairs of features whose intersection has area; the m² are summed per pair (a spot covered by three
  features counts in three pairs).
- Gaps are the holes (interior rings) of the union of all features, whatever their size: a hole enclosed by the
  city is where a pin falls in no kelurahan, so every one is reported. A notch open to the outside is not a hole.
- Measuring runs on a fixed precision grid (`grid_m`, 1 cm) in the metric CRS: a shared edge whose vertices do not
  match exactly (collinear in the source CRS, not quite after reprojection) must not open a hairline that joins a
  real gap to the outside. Overlaps and gaps smaller than `sliver_m2` (1 m²) are noise, not data.
- The total area is the area of the union, so overlaps are counted once.
"""
from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.errors import GeoError

Progress = Callable[[str], None]
BBox = tuple[float, float, float, float]
# Where a feature of an Indonesian city can lie at all (lon_min, lat_min, lon_max, lat_max): catches UTM metres read
# as degrees, swapped axes and a wrong hemisphere.
PLAUSIBLE_BBOX = (90.0, -15.0, 145.0, 10.0)
LEVELS = ("kelurahan", "kecamatan")
CHUNK = 500
MAX_CODE, MAX_NAME = 20, 200
_POLYGON, _MULTIPOLYGON, _COLLECTION = 3, 6, 7


class BoundaryError(GeoError):
    """A boundary problem the officer can fix; `str()` is the one-line reason, Indonesian first."""


class BoundaryFileError(BoundaryError):
    """The file cannot become boundaries as it is; nothing is written."""


@dataclass(frozen=True)
class FieldMap:
    """Which attribute of the file holds what, named as in the file (e.g. KODE_KEL)."""

    code: str
    name: str
    parent: str | None = None
    population: str | None = None


@dataclass
class Prepared:
    """Clean features (code, name[, kecamatan_code, population], geometry in EPSG:4326) and what cleaning took."""

    frame: gpd.GeoDataFrame
    source_crs: str
    repaired: int = 0
    dropped_parts: int = 0
    notes: list[str] = field(default_factory=list)
    repaired_codes: list[str] = field(default_factory=list)  # the features make_valid changed, to be looked at


# --- reading -----------------------------------------------------------------------------------------------------

def local_path(path: str) -> str:
    """The file on disk behind a GDAL-style path (`zip://a.zip!b.shp`, `/vsizip/a.zip`), to check and hash it."""
    for prefix in ("zip://", "/vsizip/"):
        if path.startswith(prefix):
            path = path[len(prefix):]
    return path.split("!", 1)[0]


def read_boundary_file(path: str, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read GeoJSON, GeoPackage or (zipped) Shapefile; refuse what is missing, unreadable or empty."""
    if not os.path.exists(local_path(path)):
        raise BoundaryFileError(f"Berkas tidak ditemukan: {path}", f"file not found: {path}")
    try:
        if layer is None:
            refuse_several_layers(path)
        with warnings.catch_warnings():  # GDAL warns about unclosed rings; they are refused below, by feature
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = _read_tolerantly(path, layer)
    except (RuntimeError, ValueError, OSError) as err:
        reason = str(err).splitlines()[0][:160] if str(err) else type(err).__name__
        raise BoundaryFileError("Berkas tidak dapat dibaca", f"file cannot be read ({reason})") from err
    if len(frame) == 0:
        raise BoundaryFileError("Berkas tidak berisi fitur", "the file holds no features")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise BoundaryFileError("Berkas tidak punya geometri", "the file has no geometry")
    return frame


def _read_tolerantly(path: str, layer: str | None) -> gpd.GeoDataFrame:
    """Read the file; a geometry GEOS cannot build (an unclosed ring) becomes None, listed in attrs["unreadable"]."""
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except shapely.errors.GEOSException:
        meta, _, wkb, values = pyogrio.raw.read(path, layer=layer)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        frame = gpd.GeoDataFrame(dict(zip(meta["fields"], values, strict=True)), geometry=geoms, crs=meta["crs"])
        frame.attrs["unreadable"] = np.flatnonzero(shapely.is_missing(geoms) & ~pd.isna(pd.Series(list(wkb))))
        return frame


def declares_crs(path: str) -> bool:
    """Whether a GeoJSON file names its CRS (RFC 7946 files do not: their coordinates are assumed WGS 84, which an
    officer's UTM export is not); other formats always say what they have."""
    if not path.lower().endswith((".geojson", ".json")) or not os.path.exists(path):
        return True
    try:
        with open(path, encoding="utf-8") as f:
            return "crs" in json.load(f)
    except (ValueError, OSError):
        return True  # unreadable as JSON: let GDAL say what is wrong


def refuse_several_layers(path: str) -> None:
    """A file of several layers (a GeoPackage, say) must be told which to read, for any import: boundaries,
    places, complaints. Reading the first would load whatever happens to be first."""
    layers = pyogrio.list_layers(path)
    if len(layers) > 1:
        names = ", ".join(str(row[0]) for row in layers)
        first = str(layers[0][0])
        raise BoundaryFileError(f"Berkas berisi beberapa lapisan ({names}); pilih satu: --layer {first} di baris "
                                "perintah, atau unggah berkas satu lapisan di halaman admin",
                                f"the file holds several layers ({names}); choose one: --layer {first} on the "
                                "command line, or upload a file of one layer on the admin page")


# --- attributes ----------------------------------------------------------------------------------------------------

def kecamatan_code_of(code: str) -> str | None:
    """The parent kecamatan by Kemendagri code: 63.71.01.1001 -> 63.71.01, 6371011001 -> 637101."""
    if re.fullmatch(r"\d{10}", code):
        return code[:6]
    head, dot, tail = code.rpartition(".")
    return head if dot and head and tail else None


def _as_text(values: pd.Series) -> pd.Series:
    """Strings, stripped, empty as NA; codes from a numeric column come as 6371011001.0, so drop the decimals."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("string").str.strip()
    return text.mask(text == "", pd.NA)


def _sample(values) -> str:
    return ", ".join(str(v) for v in list(values)[:5]) + (", …" if len(values) > 5 else "")


def _require_fields(frame: pd.DataFrame, fields: FieldMap, level: str) -> None:
    wanted = [fields.code, fields.name]
    if level == "kelurahan":
        wanted += [f for f in (fields.parent, fields.population) if f]
    have = [c for c in frame.columns if c != frame.geometry.name]
    for name in wanted:
        if name not in frame.columns:
            raise BoundaryFileError(f"Kolom '{name}' tidak ada di berkas (ada: {_sample(have)})",
                                    f"field '{name}' is missing (the file has: {_sample(have)})")


def _codes(values: pd.Series) -> pd.Series:
    codes = _as_text(values)
    if codes.isna().any():
        rows = np.flatnonzero(codes.isna().to_numpy()) + 1
        raise BoundaryFileError(f"{len(rows)} fitur tanpa kode (baris {_sample(rows)})",
                                f"{len(rows)} features have no code (rows {_sample(rows)})")
    dup = codes[codes.duplicated()].unique()
    if len(dup):
        raise BoundaryFileError(f"Kode ganda: {_sample(dup)}", f"duplicate codes: {_sample(dup)}")
    long = codes[codes.str.len() > MAX_CODE]
    if len(long):
        raise BoundaryFileError(f"Kode lebih dari {MAX_CODE} karakter: {_sample(long)}",
                                f"codes longer than {MAX_CODE} characters: {_sample(long)}")
    return codes


def _names(values: pd.Series, codes: pd.Series) -> pd.Series:
    names = _as_text(values)
    if names.isna().any():
        bad = codes[names.isna()]
        raise BoundaryFileError(f"Nama kosong untuk kode {_sample(bad)}", f"empty name for code {_sample(bad)}")
    if (names.str.len() > MAX_NAME).any():
        bad = codes[names.str.len() > MAX_NAME]
        raise BoundaryFileError(f"Nama terlalu panjang untuk kode {_sample(bad)}",
                                f"name longer than {MAX_NAME} characters for code {_sample(bad)}")
    return names


def _parents(frame: pd.DataFrame, parent: str | None, codes: pd.Series) -> pd.Series:
    if parent:
        parents = _as_text(frame[parent])
    else:
        parents = codes.map(kecamatan_code_of).astype("string")
    if parents.isna().any():
        bad = codes[parents.isna()]
        raise BoundaryFileError(f"Kecamatan tidak diketahui untuk kode {_sample(bad)}; sebutkan kolom induknya",
                                f"no kecamatan for code {_sample(bad)}; name the parent field")
    long = parents[parents.str.len() > MAX_CODE].unique()
    if len(long):
        raise BoundaryFileError(f"Kode kecamatan lebih dari {MAX_CODE} karakter: {_sample(long)}",
                                f"kecamatan codes longer than {MAX_CODE} characters: {_sample(long)}")
    return parents


_GROUPED = r"^\d{1,3}(?:[.,\s\u00a0]\d{3})+$"  # 5.000, 12,500, 1 234 567: a whole number with its thousands marked


def _population(values: pd.Series, codes: pd.Series) -> pd.Series:
    """Whole numbers; written with thousands marked, as Indonesian tables write them (5.000), they are read whole,
    not as a decimal 5."""
    text = _as_text(values)
    grouped = text.str.strip().str.match(_GROUPED).fillna(False).astype(bool)
    text = text.where(~grouped, text.str.replace(r"[.,\s\u00a0]", "", regex=True))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = (text.notna() & numbers.isna()) | (numbers % 1 > 0) | (numbers < 0)
    if bad.any():
        raise BoundaryFileError(f"Jumlah penduduk bukan bilangan bulat positif untuk kode {_sample(codes[bad])}",
                                f"population is not a non-negative whole number for code {_sample(codes[bad])}")
    return numbers.astype("Int64")


def _attributes(frame: gpd.GeoDataFrame, fields: FieldMap, level: str) -> pd.DataFrame:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    _require_fields(frame, fields, level)
    out = pd.DataFrame({"code": _codes(frame[fields.code])})
    out["name"] = _names(frame[fields.name], out["code"])
    if level == "kelurahan":
        out["kecamatan_code"] = _parents(frame, fields.parent, out["code"])
        out["population"] = (_population(frame[fields.population], out["code"]) if fields.population
                             else pd.array([pd.NA] * len(out), dtype="Int64"))
    return out.reset_index(drop=True)


# --- geometry ------------------------------------------------------------------------------------------------------

def _check_geometry_types(geoms: np.ndarray, codes: pd.Series) -> None:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise BoundaryFileError(f"Fitur tanpa geometri: kode {_sample(codes[missing])}",
                                f"features without geometry: code {_sample(codes[missing])}")
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (_POLYGON, _MULTIPOLYGON, _COLLECTION)).any():
        name = geoms[0].geom_type
        raise BoundaryFileError(f"Lapisan bukan poligon ({name})", f"the layer is not polygonal ({name})")


def _crs_label(crs: CRS) -> str:
    auth = crs.to_authority(min_confidence=70)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def _declared_crs(frame: gpd.GeoDataFrame, assume_crs: str | None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """The file's own CRS wins; an assumed one only fills in for a file that declares none."""
    assumed = None
    if assume_crs:
        try:
            assumed = CRS.from_user_input(assume_crs)
        except CRSError as err:
            raise BoundaryFileError(f"CRS tidak dikenal: {assume_crs}", f"unknown CRS: {assume_crs}") from err
    if frame.crs is None and assumed is None:
        raise BoundaryFileError("Berkas tidak menyatakan CRS; sebutkan CRS yang diasumsikan (mis. EPSG:32750)",
                                "the file declares no CRS; give the CRS to assume (e.g. EPSG:32750)")
    if frame.crs is None:
        return frame.set_crs(assumed), f"{_crs_label(assumed)} (assumed)", []
    notes = []
    if assumed is not None and not CRS(frame.crs).equals(assumed):
        notes.append(f"file declares {_crs_label(frame.crs)}; assumed {_crs_label(assumed)} ignored")
    return frame, _crs_label(frame.crs), notes


def _check_numbers(geoms: np.ndarray, codes: pd.Series) -> None:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if len(bad):
        raise BoundaryFileError(f"Koordinat bukan angka (NaN/Infinity): kode {_sample(codes.iloc[bad])}",
                                f"coordinates that are not numbers (NaN/Infinity): code {_sample(codes.iloc[bad])}")


def _check_plausible(geoms: np.ndarray, codes: pd.Series, bbox: BBox) -> None:
    x0, y0, x1, y1 = bbox
    b = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        inside = (b[:, 0] >= x0) & (b[:, 2] <= x1) & (b[:, 1] >= y0) & (b[:, 3] <= y1)
    if inside.all():
        return
    i = int(np.flatnonzero(~inside)[0])
    at = f"lon {(b[i, 0] + b[i, 2]) / 2:.4g}, lat {(b[i, 1] + b[i, 3]) / 2:.4g}"
    where = f"lon {x0:g}..{x1:g}, lat {y0:g}..{y1:g}"
    raise BoundaryFileError(
        f"{(~inside).sum()} fitur di luar wilayah yang mungkin ({where}), mis. kode {codes.iloc[i]} di {at}; "
        "periksa CRS", f"{(~inside).sum()} features lie outside the plausible area ({where}), e.g. code "
        f"{codes.iloc[i]} at {at}; check the CRS")


def _atoms(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part geometries and the index of the feature each came from (collections may nest)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while (shapely.get_type_id(parts) >= 4).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
    return parts, index


def _multipolygons(geoms: np.ndarray) -> tuple[np.ndarray, int]:
    """Keep the polygonal parts of each geometry as one MultiPolygon (None if it has none); count the rest."""
    parts, index = _atoms(geoms)
    polygon = shapely.get_type_id(parts) == _POLYGON
    dropped = int((~polygon & ~shapely.is_empty(parts)).sum())
    out = np.full(len(geoms), None, dtype=object)
    owners, dense = np.unique(index[polygon], return_inverse=True)
    if len(owners):
        out[owners] = shapely.multipolygons(parts[polygon], indices=dense)
    return out, dropped


def _repair_chunk(geoms: np.ndarray) -> tuple[np.ndarray, int, int]:
    invalid = ~shapely.is_valid(geoms)
    fixed = geoms.copy()
    fixed[invalid] = shapely.make_valid(geoms[invalid])
    out, dropped = _multipolygons(fixed)
    # Valid collections may hold overlapping polygons, which make an invalid MultiPolygon: dissolve those.
    again = ~shapely.is_missing(out) & ~shapely.is_valid(out)
    if again.any():
        out[again], _ = _multipolygons(shapely.make_valid(out[again]))
    return out, int((invalid | again).sum()), dropped


def repair(geoms: np.ndarray, progress: Progress | None = None) -> tuple[np.ndarray, int, int]:
    """Valid MultiPolygons with RFC 7946 winding, so PostGIS predicates and GeoJSON clients agree on them.

    Returns the geometries (None where nothing polygonal is left), how many were repaired and how many
    non-polygonal parts (lines and points left over by make_valid, or in collections) were dropped.
    """
    out = np.empty(len(geoms), dtype=object)
    repaired = dropped = 0
    for start in range(0, len(geoms), CHUNK):
        stop = min(start + CHUNK, len(geoms))
        out[start:stop], r, d = _repair_chunk(shapely.force_2d(geoms[start:stop]))
        repaired, dropped = repaired + r, dropped + d
        if progress and len(geoms) > CHUNK:
            progress(f"repairing {stop}/{len(geoms)}")
    present = ~shapely.is_missing(out)
    out[present] = shapely.orient_polygons(out[present], exterior_cw=False)
    return out, repaired, dropped


def prepare_boundaries(raw: gpd.GeoDataFrame, fields: FieldMap, *, level: str = "kelurahan",
                       assume_crs: str | None = None, plausible_bbox: BBox = PLAUSIBLE_BBOX,
                       progress: Progress | None = None) -> Prepared:
    """Check and clean features read from a file, refusing with a reason the officer can act on."""
    attrs = _attributes(raw, fields, level)
    unreadable = raw.attrs.get("unreadable", ())
    if len(unreadable):
        bad = attrs["code"].iloc[list(unreadable)]
        raise BoundaryFileError(f"Geometri tidak dapat dibaca (cincin poligon tidak tertutup?): kode {_sample(bad)}",
                                f"geometries that cannot be read (an unclosed polygon ring?): code {_sample(bad)}")
    geoms = np.asarray(raw.geometry.array, dtype=object)
    _check_geometry_types(geoms, attrs["code"])
    _check_numbers(geoms, attrs["code"])
    raw, crs_label, notes = _declared_crs(raw, assume_crs)
    if progress:
        progress(f"reprojecting {len(raw)} features from {crs_label} to EPSG:4326")
    geoms = np.asarray(raw.geometry.to_crs(4326).array, dtype=object)
    _check_plausible(geoms, attrs["code"], plausible_bbox)
    invalid = ~shapely.is_valid(shapely.force_2d(geoms))
    geoms, repaired, dropped = repair(geoms, progress)
    if shapely.is_missing(geoms).any():
        bad = attrs["code"][shapely.is_missing(geoms)]
        raise BoundaryFileError(f"Fitur tanpa bagian poligon: kode {_sample(bad)}",
                                f"features with no polygonal part: code {_sample(bad)}")
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, crs=4326))
    return Prepared(frame, crs_label, repaired, dropped, notes, attrs["code"][invalid].tolist())


def load_boundary_file(path: str, fields: FieldMap, *, level: str = "kelurahan", layer: str | None = None,
                       assume_crs: str | None = None,
                       plausible_bbox: BBox = PLAUSIBLE_BBOX,
                       progress: Progress | None = None) -> Prepared:
    """Read and prepare in one step: what the CLI and the admin upload both need."""
    if progress:
        progress(f"reading {path}…")
    raw = read_boundary_file(path, layer=layer)
    if assume_crs and not declares_crs(local_path(path)):
        raw = raw.set_crs(None, allow_override=True)  # GeoJSON without a "crs": the assumed one applies
    if progress:
        progress(f"checking {len(raw)} features")
    return prepare_boundaries(raw, fields, level=level, assume_crs=assume_crs, plausible_bbox=plausible_bbox,
                              progress=progress)


def derive_kecamatan(kelurahan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Kecamatan as the union of their kelurahan, named by code, when the city has no kecamatan file."""
    # A 1e-7° grid (about 1 cm) nodes shared edges whose vertices differ, so no hairline gaps appear inside.
    merged = kelurahan[["kecamatan_code", "geometry"]].dissolve(by="kecamatan_code", grid_size=1e-7).reset_index()
    geoms, _, _ = repair(np.asarray(merged.geometry.array, dtype=object))
    codes = merged["kecamatan_code"].astype(str)
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=gpd.GeoSeries(geoms, crs=4326))


# --- summary -------------------------------------------------------------------------------------------------------

def _overlaps(geoms: np.ndarray, codes: np.ndarray, sliver_m2: float, grid_m: float) -> dict:
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right], grid_size=grid_m))
    real = areas >= sliver_m2
    order = np.argsort(-areas[real])[:5]
    largest = [{"codes": [str(codes[a]), str(codes[b])], "m2": round(float(m), 1)}
               for a, b, m in zip(left[real][order], right[real][order], areas[real][order], strict=True)]
    return {"count": int(real.sum()), "m2": round(float(areas[real].sum()), 1), "largest": largest}


def _gaps(union: shapely.Geometry, sliver_m2: float) -> dict:
    polygons = shapely.get_parts(union)
    polygons = polygons[shapely.get_type_id(polygons) == _POLYGON]
    counts = shapely.get_num_interior_rings(polygons)
    owner = np.repeat(np.arange(len(polygons)), counts)
    ring = np.concatenate([np.arange(n) for n in counts]) if len(counts) else np.array([], dtype=int)
    holes = shapely.polygons(shapely.get_interior_ring(polygons[owner], ring.astype(int)))
    areas = shapely.area(holes)
    areas = areas[areas >= sliver_m2]
    return {"count": int(len(areas)), "m2": round(float(areas.sum()), 1),
            "largest_m2": round(float(areas.max()), 1) if len(areas) else 0.0}


def summarize(prepared: Prepared, *, metric_crs: str = "EPSG:32750", sliver_m2: float = 1.0,
              grid_m: float = 0.01) -> dict:
    """What the officer must know before activating: fixes made, overlaps, gaps, area and extent (JSON-ready)."""
    frame = prepared.frame
    geoms = np.asarray(frame.geometry.to_crs(metric_crs).array, dtype=object)
    union = shapely.union_all(geoms, grid_size=grid_m)
    bbox = [round(float(v), 6) for v in frame.total_bounds]
    fixed = frame["code"].isin(prepared.repaired_codes).to_numpy()
    return {
        "features": len(frame), "repaired": prepared.repaired, "dropped_parts": prepared.dropped_parts,
        # a repair can change a place's shape (a bow-tie ring becomes two triangles, half its area): name each one
        "repaired_features": [{"code": c, "name": n, "parts": int(shapely.get_num_geometries(g)),
                               "km2": round(float(shapely.area(g)) / 1e6, 4)}
                              for c, n, g in zip(frame["code"][fixed], frame["name"][fixed], geoms[fixed],
                                                 strict=True)],
        "overlaps": _overlaps(geoms, frame["code"].to_numpy(), sliver_m2, grid_m), "gaps": _gaps(union, sliver_m2),
        "area_km2": round(float(shapely.area(union)) / 1e6, 4), "bbox": bbox, "source_crs": prepared.source_crs,
        "metric_crs": metric_crs, "notes": list(prepared.notes),
    }
