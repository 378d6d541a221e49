"""Service areas from the admin pages: the current areas as GeoJSON, a preview of an uploaded file, then saving it.

The preview runs the real thing and takes it back: inside a SAVEPOINT it checks the file (city_setup's
read_service_areas), replaces the areas of the SKPD it names (replace_service_areas), draws the result and runs the
re-route dry run (reroute.reroute_open with apply=False) on those areas, then rolls the savepoint back. So the
preview shows exactly what saving would do, with one implementation of each rule, and writes nothing.

Between preview and save the file travels in the preview form itself (base64 in a hidden field) rather than in a
table or a file under var/: the app keeps no state between requests (any instance may answer the save), the file
is small (the upload limit), and the save checks it all again, so a file altered in between is only ever saved
after passing the same checks. Its SHA-256 is shown on the preview and recorded in the audit log.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan import city_setup, reroute
from aduan.admin import Actor, audit, uploaded_file
from aduan.errors import DomainError
from aduan.permissions import check_admin
from aduan.settings import Settings

SUFFIXES = (".geojson", ".json", ".gpkg", ".zip")
AREA_FILES = ("Unggah GeoJSON, GeoPackage (.gpkg) atau Shapefile dalam ZIP.",
              "Upload GeoJSON, GeoPackage (.gpkg) or a zipped Shapefile.")
MAX_MOVES_AUDITED = 500

_GEOJSON = text("""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'geometry', ST_AsGeoJSON(a.geom, 6)::json,
         'properties', json_build_object('id', a.id, 'skpd', s.code, 'name', a.name, 'priority', a.priority,
                                         'categories', (SELECT coalesce(json_agg(c.code ORDER BY c.code), '[]')
                                                          FROM service_area_category ac
                                                          JOIN category c ON c.id = ac.category_id
                                                         WHERE ac.service_area_id = a.id)))
         ORDER BY s.code, a.priority DESC, a.name), '[]'))
  FROM service_area a JOIN skpd s ON s.id = a.skpd_id
 WHERE a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
   AND (CAST(:codes AS text[]) IS NULL OR s.code = ANY(CAST(:codes AS text[])))
""")
_SUMMARY = text("""
SELECT s.code, s.name, count(a.id) AS areas
  FROM skpd s LEFT JOIN service_area a ON a.skpd_id = s.id AND a.valid_from <= now()
       AND (a.valid_to IS NULL OR a.valid_to > now())
 GROUP BY s.id ORDER BY s.code
""")


def current_geojson(conn: Connection, codes: list[str] | None = None) -> dict:
    """The areas in force now (of the given SKPD, or all), for the admin map."""
    return conn.execute(_GEOJSON, {"codes": codes}).scalar_one()


def summary(conn: Connection) -> list[dict]:
    """Each SKPD with its number of current areas."""
    return [dict(r) for r in conn.execute(_SUMMARY).mappings()]


@dataclass(frozen=True)
class Preview:
    report: city_setup.ImportReport
    repaired: int
    moves: list[reroute.Move]
    new_areas: dict  # GeoJSON of the named SKPD's areas as they would be
    skpd: list[str]
    sha256: str


def _replace(conn: Connection, path: str, settings: Settings) -> tuple[city_setup.ImportReport, int, list[str]]:
    areas, repaired = city_setup.read_service_areas(conn, path, city_name=settings.city_name)
    return city_setup.replace_service_areas(conn, areas), repaired, sorted({a.skpd for a in areas})


def _dry_run(conn: Connection, settings: Settings, apply: bool, actor: Actor) -> list[reroute.Move]:
    return reroute.reroute_open(conn, tolerance_m=settings.snap_tolerance_m, near_border_m=settings.near_border_m,
                                apply=apply, actor=f"{actor.user.label} (admin)", notify=settings if apply else None)


def preview(conn: Connection, actor: Actor, data: bytes, filename: str, settings: Settings) -> Preview:
    """What saving the file would do: its check report, the new areas and the open tickets that would move."""
    check_admin(actor.user)
    with uploaded_file(data, filename, SUFFIXES, AREA_FILES) as path:
        savepoint = conn.begin_nested()
        try:
            report, repaired, codes = _replace(conn, path, settings)
            moves = _dry_run(conn, settings, False, actor)
            drawn = current_geojson(conn, codes)
        finally:
            savepoint.rollback()
    return Preview(report, repaired, moves, drawn, codes, hashlib.sha256(data).hexdigest())


def save(conn: Connection, actor: Actor, data: bytes, filename: str, settings: Settings,
         apply_reroute: bool) -> tuple[city_setup.ImportReport, list[reroute.Move]]:
    """Version the areas as previewed (checked again); with `apply_reroute`, move the open tickets too."""
    check_admin(actor.user)
    with uploaded_file(data, filename, SUFFIXES, AREA_FILES) as path:
        report, repaired, codes = _replace(conn, path, settings)
    audit(conn, actor, "service_areas.replace", "skpd:" + ",".join(codes),
          {"file": filename[:200], "sha256": hashlib.sha256(data).hexdigest(), "created": report.created,
           "closed": report.closed, "unchanged": report.unchanged, "repaired": repaired})
    moves = _dry_run(conn, settings, True, actor) if apply_reroute else []
    if apply_reroute:
        audit(conn, actor, "complaints.reroute", "skpd:" + ",".join(codes),
              {"count": len(moves), "moves": [m.__dict__ for m in moves[:MAX_MOVES_AUDITED]]})
    return report, moves


def encode(data: bytes) -> str:
    """The file for the preview form's hidden field."""
    return base64.b64encode(data).decode("ascii")


def decode(value: str) -> bytes:
    """The file back from the hidden field."""
    try:
        return base64.b64decode((value or "").encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise DomainError("Berkas pratinjau rusak; unggah lagi.", "The previewed file is damaged; upload it again.",
                          field="file") from None

