"""What the public may see: a ticket by its code, open complaints nearby, categories at a point, the map.

Every query here selects public fields explicitly; nothing joins the reporter table, so reporter contact data
cannot leak into a public page or API by accident.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from aduan.errors import NotFound
from aduan.statuses import OPEN_STATUSES
from geo.routing import check_lon_lat

_TICKET = text("""
SELECT c.id, c.tracking_code, c.status, c.description, c.address, c.created_at, c.updated_at,
       c.followup_due_at, c.handling_due_at, c.followed_up_at, c.resolved_at, c.closed_at, c.supporters,
       c.public, c.routing, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       cat.code AS category_code, cat.name_id AS category_name_id, cat.name_en AS category_name_en,
       s.code AS skpd_code, s.name AS skpd_name, k.code AS kelurahan_code, k.name AS kelurahan_name,
       kc.name AS kecamatan_name, d.tracking_code AS duplicate_of
  FROM complaint c
  JOIN category cat ON cat.id = c.category_id
  JOIN skpd s ON s.id = c.skpd_id
  JOIN kelurahan k ON k.id = c.kelurahan_id
  LEFT JOIN kecamatan kc ON kc.id = c.kecamatan_id
  LEFT JOIN complaint d ON d.id = c.duplicate_of_id
 WHERE c.tracking_code = :code
""")

_HISTORY = text("""
SELECT e.kind, e.from_status, e.to_status, e.note, e.created_at,
       (SELECT array_agg(a.id ORDER BY a.id) FROM attachment a WHERE a.event_id = e.id AND a.public) AS photos
  FROM complaint_event e
 WHERE e.complaint_id = :id AND e.public
 ORDER BY e.created_at, e.id
""")


def ticket(conn: Connection, code: str) -> dict:
    """The tracking page's data: status, clocks, public history — never reporter details or staff notes."""
    row = conn.execute(_TICKET, {"code": code}).mappings().first()
    if row is None:
        raise NotFound("Kode pelacakan tidak ditemukan.", "Tracking code not found.")
    out = dict(row)
    out["history"] = [dict(r) for r in conn.execute(_HISTORY, {"id": row["id"]}).mappings()]
    out["photos"] = conn.execute(text("SELECT id FROM attachment WHERE complaint_id = :id AND public ORDER BY id"),
                                 {"id": row["id"]}).scalars().all()
    if not row["public"]:  # confidential: a code can be passed on, so only status, dates and agency are shown
        out.update(description=None, address=None, lon=None, lat=None, photos=[])
        for h in out["history"]:
            h["photos"] = None
    return out


_NEARBY_OPEN = text("""
SELECT c.tracking_code, left(c.description, 160) AS description, c.status, c.created_at, c.supporters,
       round(ST_Distance(c.geom_m, p.g)::numeric, 0)::integer AS distance_m, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat
  FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :srid) AS g) p,
       complaint c
 WHERE c.category_id = :category_id AND c.public AND c.status = ANY(:open)
   AND c.created_at >= :since AND ST_DWithin(c.geom_m, p.g, :radius)
 ORDER BY c.geom_m <-> p.g
 LIMIT :limit
""")


def nearby_open(conn: Connection, lon: object, lat: object, category_code: str, *, srid: int, days: int = 30,
                limit: int = 5) -> list[dict]:
    """Open public complaints of the same category nearby: offered as 'support this one instead'."""
    x, y = check_lon_lat(lon, lat)
    cat = conn.execute(text("SELECT id, duplicate_radius_m FROM category WHERE code = :c"),
                       {"c": category_code}).first()
    if cat is None:
        raise NotFound("Kategori tidak dikenal.", "Unknown category.")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    rows = conn.execute(_NEARBY_OPEN, {"lon": x, "lat": y, "srid": srid, "category_id": cat.id, "since": since,
                                       "radius": cat.duplicate_radius_m, "limit": limit,
                                       "open": list(OPEN_STATUSES)}).mappings()
    return [dict(r) | {"radius_m": cat.duplicate_radius_m} for r in rows]


_CATEGORIES_AT = text("""
SELECT c.code, c.name_id, c.name_en, c.description_id, c.description_en, c.group_name, c.confidential,
       c.followup_days, c.handling_days, r.kelurahan_id IS NOT NULL AS routable, s.code AS skpd_code,
       s.name AS skpd_name, k.name AS kelurahan_name, r.flags
  FROM category c
 CROSS JOIN LATERAL peta_route(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), c.id, :tol, :nb) r
  LEFT JOIN skpd s ON s.id = r.skpd_id
  LEFT JOIN kelurahan k ON k.id = r.kelurahan_id
 WHERE c.active
 ORDER BY c.group_name NULLS LAST, c.name_id
""")


def categories_at(conn: Connection, lon: object, lat: object, *, tolerance_m: float, near_border_m: float) -> list:
    """Categories that can be routed at this point, each with the SKPD that would receive it."""
    x, y = check_lon_lat(lon, lat)
    rows = conn.execute(_CATEGORIES_AT, {"lon": x, "lat": y, "tol": tolerance_m, "nb": near_border_m}).mappings()
    return [dict(r) for r in rows if r["routable"]]


def all_categories(conn: Connection) -> list[dict]:
    """Active categories for forms and Open311 `services`."""
    return [dict(r) for r in conn.execute(text(
        "SELECT c.id, c.code, c.name_id, c.name_en, c.description_id, c.description_en, c.group_name, c.keywords, "
        "c.confidential, c.followup_days, c.handling_days, c.duplicate_radius_m, c.attributes, s.code AS skpd_code, "
        "s.name AS skpd_name FROM category c JOIN skpd s ON s.id = c.default_skpd_id WHERE c.active "
        "ORDER BY c.group_name NULLS LAST, c.name_id")).mappings()]


_MAP_POINTS = text("""
SELECT c.tracking_code, c.status, cat.code AS category, cat.name_id, cat.name_en, ST_X(c.geom) AS lon,
       ST_Y(c.geom) AS lat, c.created_at
  FROM complaint c JOIN category cat ON cat.id = c.category_id
 WHERE c.public AND c.created_at >= :since AND (CAST(:status AS text) IS NULL OR
       (CAST(:status AS text) = 'open') = (c.status = ANY(:open)))
 ORDER BY c.created_at DESC
 LIMIT :limit
""")


def map_points(conn: Connection, *, days: int = 90, status: str | None = None, limit: int = 20000) -> list[dict]:
    """Non-confidential complaints for the public clustered map (public fields only)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return [dict(r) for r in conn.execute(_MAP_POINTS, {"since": since, "status": status, "limit": limit,
                                                          "open": list(OPEN_STATUSES)}).mappings()]


def photo(conn: Connection, attachment_id: int) -> tuple[bytes, str]:
    """A public photo's bytes (already stripped of metadata at upload)."""
    row = conn.execute(text("SELECT a.data, a.content_type FROM attachment a JOIN complaint c ON c.id = a.complaint_id "
                            "WHERE a.id = :id AND a.public"), {"id": attachment_id}).first()
    if row is None:
        raise NotFound("Foto tidak ditemukan.", "Photo not found.")
    return bytes(row.data), row.content_type


_KELURAHAN_GEOJSON = text("""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
         'type', 'Feature', 'id', k.code,
         'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(k.geom, 0.00003), 6)::json,
         'properties', json_build_object('code', k.code, 'name', k.name, 'kecamatan', kc.name))
         ORDER BY k.code), '[]'::json))
  FROM kelurahan k
  JOIN boundary_generation g ON g.id = k.generation_id AND g.active
  LEFT JOIN kecamatan kc ON kc.id = k.kecamatan_id
""")


def kelurahan_outlines(conn: Connection) -> dict:
    """Simplified outlines of the active generation: the base map when no tile server is configured."""
    return conn.execute(_KELURAHAN_GEOJSON).scalar_one()
