"""Find the place: the city's named places (patokan) and its kelurahan and kecamatan, by name; no Flask here.

- Search is fuzzy on lower(name): pg_trgm's word similarity (`q <% name`, the GIN trigram index of migration 0011)
  or a prefix match (`LIKE 'q%'`, the same index). Kelurahan and kecamatan of the active boundary generation are
  searched the same way without an index: a city has a few hundred at most, a scan costs well under a millisecond.
  A leading "kel."/"kelurahan"/"kec."/"kecamatan" in the query is dropped for them (people type "kel. pekauman").
- Order: an exact name first, then similarity in steps of 0.1 (so that near-equal matches such as every
  "Masjid …" for "masjid" tie), then nearness to `near` (the map centre), then the name.
- Each result carries one representative point to pan to: a point inside an area (ST_PointOnSurface), for a line
  the point of it nearest to `near` (ST_ClosestPoint), else a point on it. Distances are geodesic metres
  (geography): unlike the metric CRS they hold for any pin on Earth, however far from the city.
- Imports refuse bad rows one by one (no name, NaN coordinates, outside the city, NUL); the rest are loaded in the
  caller's transaction.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Float, case, func, literal, null, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from aduan.bulk_load import _unstorable as unstorable_rows  # the one NUL/surrogate check for files
from aduan.db import statement_settings
from aduan.errors import DomainError
from aduan.models import BoundaryGeneration, Kecamatan, Kelurahan, Place

Progress = Callable[[str, int, int], None]
LIMIT_DEFAULT, LIMIT_MAX, MAX_QUERY, SHORT_QUERY = 10, 50, 100, 3
NEAREST_DEFAULT_M, NEAREST_MAX_M = 500.0, 2000.0
MAX_NAME, MAX_KIND, CHUNK = 200, 60, 5000
_AREA_WORDS = re.compile(r"^(kel(urahan)?|kec(amatan)?)\b\.?\s*")
_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def normalise_query(q: str) -> str:
    """What is matched: lowercase, trimmed, inner spaces collapsed."""
    return " ".join(q.split()).lower()[:MAX_QUERY]


def _pin(near: tuple[float, float] | None) -> ColumnElement | None:
    return None if near is None else func.ST_SetSRID(func.ST_MakePoint(near[0], near[1]), 4326)


def _point(geom: ColumnElement, pin: ColumnElement | None) -> ColumnElement:
    """One point to pan to: inside an area, on a line (its point nearest the pin when there is one)."""
    if pin is None:
        return func.ST_PointOnSurface(geom)
    return case((func.ST_Dimension(geom) == 1, func.ST_ClosestPoint(geom, pin)), else_=func.ST_PointOnSurface(geom))


def _like_prefix(q: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", q) + "%"


def _candidates(name: ColumnElement, q: str) -> tuple[ColumnElement, ColumnElement]:
    """(the match condition, its score) for one name column, on the trigram index of lower(name).

    Word similarity already scores a prefix of a word high ("sabi" in "masjid sabilal": 0.8), so one operator
    does; a query of one or two letters has too few trigrams to be fuzzy and matches the start of a word."""
    lname = func.lower(name)
    if len(q) >= SHORT_QUERY:
        return literal(q).op("<%", is_comparison=True)(lname), func.word_similarity(q, lname)
    starts = lname.like(_like_prefix(q), escape="\\")
    return starts | lname.like("% " + _like_prefix(q), escape="\\"), case((starts, 1.0), else_=0.9)


def _branch(table, kind: ColumnElement, q: str, *, area: bool):
    matches, score = _candidates(table.c.name, q)
    stmt = select(table.c.name, kind.label("kind"), table.c.geom.label("geom"), score.label("score"),
                  (func.lower(table.c.name) == q).label("exact")).where(matches)
    if area:
        gen = BoundaryGeneration.__table__
        stmt = stmt.join(gen, (gen.c.id == table.c.generation_id) & gen.c.active)
    return stmt


def search_statement(q: str, near: tuple[float, float] | None, limit: int):
    """The search as one statement: places, kelurahan and kecamatan matched by name, best first. The point to
    pan to is computed in the outer query, so only for the rows the limit keeps."""
    pin, area_q = _pin(near), _AREA_WORDS.sub("", q) or q
    place, kel, kec = Place.__table__, Kelurahan.__table__, Kecamatan.__table__
    u = union_all(_branch(place, func.coalesce(place.c.kind, "tempat"), q, area=False),
                  _branch(kel, literal("kelurahan"), area_q, area=True),
                  _branch(kec, literal("kecamatan"), area_q, area=True)).subquery("u")
    distance = (null().cast(Float) if pin is None
                else func.ST_Distance(func.geography(u.c.geom), func.geography(pin)))
    pt = _point(u.c.geom, pin)
    return (select(u.c.name, u.c.kind, func.ST_X(pt).label("lon"), func.ST_Y(pt).label("lat"),
                   distance.label("distance_m"), u.c.score)
            .order_by(u.c.exact.desc(), func.round(u.c.score * 10).desc(), distance.asc().nulls_last(), u.c.name)
            .limit(limit))


# PostgreSQL prices pg_trgm's `<%` like a cheap operator, so for a common word ("masjid", "jalan": a tenth of all
# places) it reads the whole table computing word_similarity (~9 µs a row) instead of asking the GIN index for the
# candidates, and it starts parallel workers that cost more than the search. For the search statement only (as
# aduan.queries.nearby does for its KNN walk): no sequential scan of a table that has an index, no workers, no JIT.
SEARCH_SETTINGS = {"enable_seqscan": "off", "max_parallel_workers_per_gather": "0", "jit": "off"}


def search(conn: Connection, q: str, near: tuple[float, float] | None = None, limit: int = LIMIT_DEFAULT
           ) -> list[dict]:
    """Places, kelurahan and kecamatan whose name is like `q`, the best and then the nearest to `near` first."""
    q = normalise_query(q)
    if not q:
        return []
    with statement_settings(conn, SEARCH_SETTINGS):
        return [_hit(r) for r in conn.execute(search_statement(q, near, min(max(limit, 1), LIMIT_MAX))).mappings()]


def _hit(r) -> dict:
    d = r["distance_m"]
    return {"name": r["name"], "kind": r["kind"], "lon": round(r["lon"], 6), "lat": round(r["lat"], 6),
            "distance_m": None if d is None else round(d, 1)}


def _degrees(metres: float, lat: float) -> float:
    """A box half-width in degrees that holds `metres` at `lat` (index pre-filter only)."""
    return metres / (111_000 * max(math.cos(math.radians(lat)), 0.01)) + 1e-5


def nearest(conn: Connection, lon: float, lat: float, max_m: float = NEAREST_DEFAULT_M) -> dict | None:
    """The named place nearest to a pin within `max_m`, with its distance: what "dekat X, 120 m" says."""
    place, pin = Place.__table__, _pin((lon, lat))
    knn = (select(place.c.name, place.c.kind, place.c.geom).where(
        place.c.geom.op("&&", is_comparison=True)(func.ST_Expand(pin, _degrees(max_m, lat))))
        .order_by(place.c.geom.op("<->", return_type=Float)(pin)).limit(8).subquery("k"))
    distance = func.ST_Distance(func.geography(knn.c.geom), func.geography(pin))
    row = conn.execute(select(knn.c.name, func.coalesce(knn.c.kind, "tempat").label("kind"),
                              func.ST_X(_point(knn.c.geom, pin)).label("lon"),
                              func.ST_Y(_point(knn.c.geom, pin)).label("lat"), distance.label("distance_m"))
                       .where(distance <= max_m).order_by(distance, knn.c.name).limit(1)).mappings().first()
    return None if row is None else _hit(row)


def landmark(name: str, distance_m: float, lang: str = "id") -> str:
    """The address hint for a pin: "dekat Pasar Lama, 120 m" (metres to the nearest 10; no number under 10 m)."""
    near = "near" if lang == "en" else "dekat"
    if distance_m < 10:
        return f"{near} {name}"
    return f"{near} {name}, {int(round(distance_m, -1))} m"


# --- import ---------------------------------------------------------------------------------------------------

class PlaceFileError(DomainError):
    """The file as a whole cannot become places (no name column, no rows); nothing is written."""


@dataclass
class PlaceLoadReport:
    """Rows loaded, rows refused (place in the file from 0, reason; the command numbers them for people), and how
    many earlier places were replaced."""

    loaded: int = 0
    replaced: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def refused_by_reason(self) -> Counter:
        return Counter(reason for _, reason in self.refused)


def _geometries(frame: pd.DataFrame) -> np.ndarray:
    """The rows' geometries: the frame's own (a vector file) or points from lon/lat columns (a CSV)."""
    if "geometry" in frame.columns:
        return np.asarray(frame["geometry"].to_numpy(), dtype=object)
    if "lon" not in frame.columns or "lat" not in frame.columns:
        raise PlaceFileError("Berkas tidak punya geometri maupun kolom lon/lat.",
                             "The file has neither geometry nor lon/lat columns.")
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float)
    return shapely.points(lon, lat)


def _text(values: pd.Series) -> pd.Series:
    text_ = values.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    return text_.mask(text_ == "", pd.NA)


def _row_checks(frame: pd.DataFrame, geoms: np.ndarray, names: pd.Series, kinds: pd.Series
                ) -> list[tuple[pd.Series, str]]:
    """Each check: (rows failing it, the reason), in the order a row is refused."""
    missing = pd.Series(shapely.is_missing(geoms) | shapely.is_empty(geoms), index=frame.index)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    nan = np.zeros(len(frame), dtype=bool)
    nan[owner[~np.isfinite(coords).all(axis=1)]] = True
    types = pd.Series([g.geom_type if g is not None else None for g in geoms], index=frame.index)
    return [
        (names.isna(), "no name"),
        (unstorable_rows(frame[[c for c in ("name", "kind") if c in frame.columns]]),
         "text with a NUL character or a lone surrogate"),
        (pd.Series(nan, index=frame.index), "coordinates missing, not numbers (NaN) or infinite"),
        (missing, "no geometry"),
        (~types.isin(_GEOMETRY_TYPES), "geometry is not a point, line or polygon"),
        (names.str.len() > MAX_NAME, f"name longer than {MAX_NAME} characters"),
        (kinds.str.len() > MAX_KIND, f"kind longer than {MAX_KIND} characters"),
    ]


def check_rows(frame: pd.DataFrame, default_kind: str | None, report: PlaceLoadReport) -> pd.DataFrame:
    """The rows that can be places (name, kind, wkb, row_no); every other row gets its reason in `report`."""
    if "name" not in frame.columns:
        have = ", ".join(str(c) for c in frame.columns if c != "geometry")[:200]
        raise PlaceFileError(f"Kolom 'name' tidak ada (ada: {have}).", f"The column 'name' is missing (has: {have}).")
    frame = frame.reset_index(drop=True)
    geoms, names = _geometries(frame), _text(frame["name"])
    kinds = (_text(frame["kind"]) if "kind" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string"))
    kinds = kinds.str.lower().fillna((default_kind or "").strip().lower() or pd.NA)
    ok = pd.Series(True, index=frame.index)
    for bad, reason in _row_checks(frame, geoms, names, kinds):
        bad = bad.fillna(False).astype(bool) & ok
        report.refused += [(int(i), reason) for i in frame.index[bad]]
        ok &= ~bad
    keep = ok.to_numpy()
    return pd.DataFrame({"row_no": frame.index[keep], "name": names[keep].to_numpy(),
                         "kind": kinds[keep].to_numpy(), "wkb": shapely.to_wkb(geoms[keep])})


_STAGE = text("CREATE TEMP TABLE place_staging (row_no int, name text, kind text, geom geometry(Geometry, 4326), "
              "in_city boolean) ON COMMIT DROP")
_STAGE_ROW = text("INSERT INTO place_staging (row_no, name, kind, geom) "
                  "VALUES (:row_no, :name, :kind, ST_GeomFromWKB(:wkb, 4326))")
# In the city: touching an active kelurahan, or within the snapping tolerance of one (box first, then metres).
_IN_CITY = text("""
UPDATE place_staging s SET in_city = EXISTS (
  SELECT 1 FROM kelurahan k JOIN boundary_generation g ON g.id = k.generation_id AND g.active
   WHERE k.geom && ST_Expand(s.geom, :deg)
     AND (ST_Intersects(k.geom, s.geom) OR ST_DWithin(k.geom::geography, s.geom::geography, :tol)))
""")
_INSERT = text("INSERT INTO place (name, kind, source, geom) "
               "SELECT name, kind, :source, geom FROM place_staging WHERE in_city ORDER BY row_no")


def load_places(conn: Connection, frame: pd.DataFrame, *, source: str, default_kind: str | None = None,
                replace: bool = False, tolerance_m: float = 250.0, city_name: str = "the city",
                progress: Progress | None = None) -> PlaceLoadReport:
    """Check and load named places from a file's rows (name, optional kind, geometry or lon/lat) as `source`.

    Without `replace`, a source already loaded is refused (a second run would double every place)."""
    say = progress or (lambda stage, done, total: None)
    report = PlaceLoadReport()
    existing = conn.execute(text("SELECT count(*) FROM place WHERE source = :s"), {"s": source}).scalar_one()
    if existing and not replace:
        raise PlaceFileError(f"{existing} tempat dari «{source}» sudah ada; pakai --replace untuk menggantinya.",
                             f"{existing} places from «{source}» exist already; use --replace to replace them.")
    good = check_rows(frame, default_kind, report)
    say("checked", len(good), len(frame))
    conn.execute(text("DROP TABLE IF EXISTS place_staging"))
    conn.execute(_STAGE)
    records = good.astype(object).where(good.notna(), None).to_dict("records")
    for start in range(0, len(records), CHUNK):
        conn.execute(_STAGE_ROW, records[start:start + CHUNK])
        say("staged", min(start + CHUNK, len(records)), len(records))
    conn.execute(_IN_CITY, {"deg": tolerance_m / 100_000 + 0.001, "tol": tolerance_m})  # as geo.routing does
    outside = conn.execute(text("SELECT row_no FROM place_staging WHERE NOT in_city ORDER BY row_no")).scalars()
    report.refused += [(int(r), f"outside {city_name} (> {tolerance_m:.0f} m)") for r in outside]
    if replace:
        report.replaced = conn.execute(text("DELETE FROM place WHERE source = :s"), {"s": source}).rowcount
    report.loaded = conn.execute(_INSERT, {"source": source}).rowcount
    conn.execute(text("DROP TABLE place_staging"))
    report.refused.sort()
    say("loaded", report.loaded, len(frame))
    return report


def count(conn: Connection) -> int:
    """How many named places the city has (for summaries)."""
    return conn.execute(select(func.count()).select_from(Place.__table__)).scalar_one()
