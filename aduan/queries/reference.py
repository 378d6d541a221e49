"""The city's reference data as forms, maps and Open311 read it: categories, SKPD, the city's outline and centre.

Nothing here touches complaints. Categories at a point run the routing function for each, so a citizen is only
offered what can be routed where the pin is, with the SKPD that would receive it.
"""
from __future__ import annotations

from sqlalchemy import JSON, Connection, func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by

from aduan.models import BoundaryGeneration, Category, Kecamatan, Kelurahan, Skpd
from geo.routing import check_lon_lat

CAT = Category.__table__
SKPD = Skpd.__table__
KEL = Kelurahan.__table__
GEN = BoundaryGeneration.__table__
# With no boundaries loaded there is no city to centre on: Indonesia's middle, so a map still shows something.
COUNTRY_CENTRE = (-2.5, 118.0)


def all_categories(conn: Connection) -> list[dict]:
    """Active categories for forms and Open311 `services`, with their default SKPD."""
    stmt = (select(CAT.c.id, CAT.c.code, CAT.c.name_id, CAT.c.name_en, CAT.c.description_id, CAT.c.description_en,
                   CAT.c.group_name, CAT.c.keywords, CAT.c.confidential, CAT.c.followup_days, CAT.c.handling_days,
                   CAT.c.duplicate_radius_m, CAT.c.attributes, SKPD.c.code.label("skpd_code"),
                   SKPD.c.name.label("skpd_name"))
            .select_from(CAT.join(SKPD, SKPD.c.id == CAT.c.default_skpd_id)).where(CAT.c.active)
            .order_by(CAT.c.group_name.nulls_last(), CAT.c.name_id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def category(conn: Connection, code: str) -> dict | None:
    """An active category by its code (Open311 service_code), with what a service definition and a POST need."""
    return next((c for c in all_categories(conn) if c["code"] == code), None)


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


def skpd_choices(conn: Connection) -> list[dict]:
    """Active SKPD for filters and the re-route form."""
    stmt = select(SKPD.c.code, SKPD.c.name, SKPD.c.name_en).where(SKPD.c.active).order_by(SKPD.c.name)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def category_choices(conn: Connection) -> list[dict]:
    """Active categories for filters."""
    stmt = select(CAT.c.code, CAT.c.name_id, CAT.c.name_en).where(CAT.c.active).order_by(CAT.c.name_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def kelurahan_choices(conn: Connection) -> list[dict]:
    """The active generation's kelurahan for filters, by name."""
    stmt = select(KEL.c.code, KEL.c.name).select_from(_active_kelurahan()).order_by(KEL.c.name)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _active_kelurahan():
    return KEL.join(GEN, (GEN.c.id == KEL.c.generation_id) & GEN.c.active)


def city_centre(conn: Connection) -> tuple[float, float]:
    """[lat, lon] of the active boundaries' centre (Leaflet order)."""
    centre = func.ST_Centroid(func.ST_SetSRID(func.ST_Extent(KEL.c.geom), 4326))
    row = conn.execute(select(func.ST_Y(centre), func.ST_X(centre)).select_from(_active_kelurahan())).one()
    return (row[0], row[1]) if row[0] is not None else COUNTRY_CENTRE


def kelurahan_outlines(conn: Connection) -> dict:
    """Simplified outlines of the active generation: the base map when no tile server is configured."""
    kec = Kecamatan.__table__
    feature = func.json_build_object(
        "type", "Feature", "id", KEL.c.code,
        "geometry", func.ST_AsGeoJSON(func.ST_ForcePolygonCCW(func.ST_SimplifyPreserveTopology(KEL.c.geom, 0.00003)),
                                      6).cast(JSON),
        "properties", func.json_build_object("code", KEL.c.code, "name", KEL.c.name, "kecamatan", kec.c.name))
    stmt = select(func.json_build_object(
        "type", "FeatureCollection",
        "features", func.coalesce(func.json_agg(aggregate_order_by(feature, KEL.c.code)), text("'[]'::json")))
    ).select_from(_active_kelurahan().outerjoin(kec, kec.c.id == KEL.c.kecamatan_id))
    return conn.execute(stmt).scalar_one()
