"""Write a boundary generation into PostGIS on a connection whose transaction the caller owns. No Flask here.

Nothing here commits: the CLI (or the admin page) wraps the whole import in one transaction, so a failure at any
step leaves the database as it was. Rows go in by executemany with bound WKB parameters, never formatted SQL.
Geometries arrive clean from `geo.boundaries` (EPSG:4326 MultiPolygons); areas are measured on the geography.
"""
from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import shapely
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB

from geo.boundaries import BoundaryError, Progress, derive_kecamatan

BATCH = 500
SUBDIVIDE_VERTICES = 256


class GenerationError(BoundaryError):
    """The generation cannot take this change (unknown, already active, already holding kelurahan)."""


_NEW_GENERATION = text(
    "INSERT INTO boundary_generation (name, source, synthetic, report) VALUES (:name, :source, :synthetic, :report) "
    "RETURNING id").bindparams(bindparam("report", type_=JSONB))
_MERGE_REPORT = text(
    "UPDATE boundary_generation SET report = COALESCE(report, '{}'::jsonb) || :report WHERE id = :g"
).bindparams(bindparam("report", type_=JSONB))
_INSERT_KECAMATAN = text(
    "INSERT INTO kecamatan (generation_id, code, name, geom) "
    "VALUES (:g, :code, :name, ST_Multi(ST_GeomFromWKB(:wkb, 4326)))")
_INSERT_KELURAHAN = text(
    "INSERT INTO kelurahan (generation_id, kecamatan_id, code, name, population, area_km2, geom) "
    "SELECT :g, k.id, :code, :name, CAST(:population AS integer), ST_Area(s.geom::geography) / 1e6, s.geom "
    "  FROM (SELECT ST_Multi(ST_GeomFromWKB(:wkb, 4326)) AS geom) s "
    "  LEFT JOIN kecamatan k ON k.generation_id = :g AND k.code = :kecamatan_code")
_INSERT_PIECES = text(
    "INSERT INTO kelurahan_piece (kelurahan_id, generation_id, geom) "
    "SELECT k.id, k.generation_id, ST_Subdivide(k.geom, :v) FROM kelurahan k WHERE k.generation_id = :g")


def _batches(rows: list[dict], label: str, progress: Progress | None) -> Iterator[list[dict]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start:start + BATCH]
        if progress and len(rows) > BATCH:
            progress(f"writing {label} {min(start + BATCH, len(rows))}/{len(rows)}")


def _rows(frame: gpd.GeoDataFrame, columns: list[str], generation_id: int) -> list[dict]:
    """Plain Python values for the driver: NA becomes None, geometries become WKB bytes."""
    plain = frame[columns].astype(object).where(frame[columns].notna(), None)
    rows = plain.to_dict("records")
    for row, wkb in zip(rows, shapely.to_wkb(frame.geometry.array, output_dimension=2), strict=True):
        row.update(g=generation_id, wkb=wkb)
    return rows


def create_generation(conn: Connection, *, name: str, source: str, synthetic: bool = False,
                      report: dict | None = None) -> int:
    """A new, inactive generation: tickets routed on the current one keep theirs."""
    params = {"name": name, "source": source, "synthetic": synthetic, "report": report}
    return conn.execute(_NEW_GENERATION, params).scalar_one()


def insert_kecamatan(conn: Connection, generation_id: int, kecamatan: gpd.GeoDataFrame,
                     progress: Progress | None = None) -> int:
    """Kecamatan first, so kelurahan can point at them."""
    rows = _rows(kecamatan, ["code", "name"], generation_id)
    for batch in _batches(rows, "kecamatan", progress):
        conn.execute(_INSERT_KECAMATAN, batch)
    return len(rows)


def insert_kelurahan(conn: Connection, generation_id: int, kelurahan: gpd.GeoDataFrame,
                     progress: Progress | None = None) -> int:
    """Kelurahan with their area on the ellipsoid; refuses a kecamatan code the generation does not hold."""
    known = set(conn.execute(text("SELECT code FROM kecamatan WHERE generation_id = :g"),
                             {"g": generation_id}).scalars())
    missing = sorted(set(kelurahan["kecamatan_code"]) - known)
    if missing:
        shown = ", ".join(missing[:5])
        raise GenerationError(f"Kecamatan {shown} tidak ada di generasi {generation_id}",
                              f"kecamatan {shown} not in generation {generation_id}")
    rows = _rows(kelurahan, ["code", "name", "population", "kecamatan_code"], generation_id)
    for batch in _batches(rows, "kelurahan", progress):
        conn.execute(_INSERT_KELURAHAN, batch)
    return len(rows)


def insert_pieces(conn: Connection, generation_id: int, max_vertices: int = SUBDIVIDE_VERTICES) -> int:
    """Subdivided lookup pieces, so a point test touches a small polygon; set-based in one statement."""
    return conn.execute(_INSERT_PIECES, {"g": generation_id, "v": max_vertices}).rowcount


def activate_generation(conn: Connection, generation_id: int) -> None:
    """Route new complaints on this generation; the previous one stays for the tickets routed on it."""
    row = conn.execute(text("SELECT active FROM boundary_generation WHERE id = :g FOR UPDATE"),
                       {"g": generation_id}).first()
    if row is None:
        raise GenerationError(f"Generasi batas {generation_id} tidak ada",
                              f"boundary generation {generation_id} does not exist")
    if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM kelurahan WHERE generation_id = :g)"),
                        {"g": generation_id}).scalar():
        raise GenerationError(f"Generasi {generation_id} belum berisi kelurahan",
                              f"generation {generation_id} holds no kelurahan yet")
    if row.active:
        return
    # Deactivate first: the partial unique index allows one active generation after every statement.
    conn.execute(text("UPDATE boundary_generation SET active = false WHERE active"))
    conn.execute(text("UPDATE boundary_generation SET active = true, activated_at = now() WHERE id = :g"),
                 {"g": generation_id})


def load_generation(conn: Connection, kelurahan: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame | None, *,
                    name: str, source: str, synthetic: bool = False, activate: bool = False,
                    report: dict | None = None, progress: Progress | None = None) -> int:
    """A complete generation in one go; kecamatan are dissolved from their kelurahan when not given."""
    generation_id = create_generation(conn, name=name, source=source, synthetic=synthetic, report=report)
    insert_kecamatan(conn, generation_id, derive_kecamatan(kelurahan) if kecamatan is None else kecamatan,
                     progress)
    insert_kelurahan(conn, generation_id, kelurahan, progress)
    insert_pieces(conn, generation_id)
    if activate:
        activate_generation(conn, generation_id)
    return generation_id


# A kelurahan mostly outside the official kecamatan its code names: codes swapped, or the wrong kecamatan file.
# Half is far from what two sources' differing lines make (metres along a border), and far below a real mix-up.
_OUTSIDE_KECAMATAN = text("""
SELECT code, kecamatan, round((100 * inside / whole)::numeric)
  FROM (SELECT k.code, kc.code AS kecamatan, ST_Area(k.geom::geography) AS whole,
               ST_Area(ST_Intersection(k.geom, kc.geom)::geography) AS inside
          FROM kelurahan k JOIN kecamatan kc ON kc.id = k.kecamatan_id
         WHERE k.generation_id = :g) share
 WHERE inside < 0.5 * whole
 ORDER BY code
""")


def _check_within_kecamatan(conn: Connection, generation_id: int) -> None:
    """Refuse kelurahan that lie mostly outside the kecamatan they belong to (the caller's transaction is then
    rolled back), naming them."""
    outside = conn.execute(_OUTSIDE_KECAMATAN, {"g": generation_id}).all()
    if outside:
        listed = ", ".join(f"{code} ({share}% in {kec})" for code, kec, share in outside[:10])
        raise GenerationError(f"Kelurahan sebagian besar di luar kecamatannya: {listed}; periksa kode induknya",
                              f"kelurahan mostly outside their kecamatan: {listed}; check their parent codes")


def add_kelurahan(conn: Connection, generation_id: int, kelurahan: gpd.GeoDataFrame, *, activate: bool = False,
                  report: dict | None = None, progress: Progress | None = None) -> None:
    """Complete a generation made by a kecamatan import, so kecamatan keep their official polygons and names."""
    state = conn.execute(text(
        "SELECT g.active, EXISTS (SELECT 1 FROM kelurahan k WHERE k.generation_id = g.id) AS filled "
        "FROM boundary_generation g WHERE g.id = :g"), {"g": generation_id}).first()
    if state is None:
        raise GenerationError(f"Generasi batas {generation_id} tidak ada",
                              f"boundary generation {generation_id} does not exist")
    if state.active or state.filled:
        raise GenerationError(f"Generasi {generation_id} sudah berisi kelurahan",
                              f"generation {generation_id} already holds kelurahan")
    insert_kelurahan(conn, generation_id, kelurahan, progress)
    _check_within_kecamatan(conn, generation_id)
    insert_pieces(conn, generation_id)
    if report:
        conn.execute(_MERGE_REPORT, {"g": generation_id, "report": report})
    if activate:
        activate_generation(conn, generation_id)

