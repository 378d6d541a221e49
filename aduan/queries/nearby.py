"""Tickets near a point for field staff (no Flask): nearest first, on the metric GiST index with KNN ordering.

`ST_DWithin(geom_m, p, r) ORDER BY geom_m <-> p LIMIT n` walks the index in distance order and stops after n
rows; sorting by ST_Distance instead would read every ticket in the radius (~40× slower on 1M dense points).
Searches of open tickets (the default) use a partial GiST index of open tickets only, so the walk does not
step over the city's closed history. The KNN part runs on `complaint` alone so no join can break the index
order; names are joined to the n rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, DateTime, Float, Integer, Select, bindparam, func, or_, select

from aduan.clocks import WorkCalendar
from aduan.db import statement_settings
from aduan.errors import DomainError
from aduan.models import Category, Complaint, Skpd
from aduan.permissions import StaffUser, can_change, can_view_contact
from aduan.queries.public import public_text
from aduan.settings import Settings
from aduan.sla import next_due, sla_of
from aduan.statuses import OPEN_STATUSES, STATUSES, label, open_condition
from geo.points import bound_point
from geo.routing import check_in_city, in_city_condition, in_city_values

RADIUS_DEFAULT, RADIUS_MAX = 1000, 10_000
LIMIT_DEFAULT, LIMIT_MAX = 50, 200
STATUS_FILTERS = ("open", "all", *STATUSES)


@dataclass(frozen=True)
class NearbyQuery:
    """A checked request: where, how far, how many, which tickets."""

    lon: float
    lat: float
    radius_m: float = RADIUS_DEFAULT
    limit: int = LIMIT_DEFAULT
    skpd: str | None = None  # an SKPD code; None = every SKPD
    category: str | None = None
    status: str = "open"
    overdue: bool = False


def knn_statement(q: NearbyQuery, user: StaffUser, settings: Settings, now: dt.datetime) -> tuple[Select, dict]:
    """The KNN statement for this request and the values it runs with.

    The statement depends only on which filters are on, so it is built once per shape and kept: building it
    (subqueries, joins, column proxies) cost ~3 ms per request, more than the query itself."""
    see_all = user.role in ("admin", "planner")
    stmt = _knn_template(see_all, bool(q.skpd), bool(q.category), q.status, q.overdue, settings.metric_srid)
    values = {"lon": q.lon, "lat": q.lat, "radius_m": q.radius_m, "n": q.limit, "now": now,
              "user_skpd_id": user.skpd_id, "skpd_code": q.skpd, "category_code": q.category, "status": q.status,
              **in_city_values(settings.snap_tolerance_m)}
    return stmt, values


@lru_cache(maxsize=64)
def _knn_template(see_all: bool, by_skpd: bool, by_category: bool, status: str, overdue: bool,
                  srid: int) -> Select:
    """The walk over complaint alone in distance order, then names joined to its n rows (values bound); nothing
    when the point is outside the city.

    The point is transformed once, as a scalar subquery (an InitPlan): joined as a row, its ST_Transform was
    inlined into each month's index condition and into the filter of every ticket the walk looked at (the generic
    plan cannot fold it), ~15% of the walk. The city test is a one-time filter of the same statement instead of a
    round trip of its own before it."""
    c, cat, s = Complaint.__table__, Category.__table__, Skpd.__table__
    here = select(func.ST_Transform(bound_point(), srid)).scalar_subquery()
    distance = c.c.geom_m.op("<->", return_type=Float)(here)
    where = [func.ST_DWithin(c.c.geom_m, here, bindparam("radius_m", type_=Float))]
    if not see_all:  # what the user may see: other SKPDs' tickets only when public
        where.append(or_(c.c.public, c.c.skpd_id == bindparam("user_skpd_id", type_=Integer)))
    if by_skpd:
        where.append(c.c.skpd_id == select(Skpd.id).where(Skpd.code == bindparam("skpd_code")).scalar_subquery())
    if by_category:
        where.append(c.c.category_id == select(Category.id).where(Category.code == bindparam("category_code"))
                     .scalar_subquery())
    if status == "open" or overdue or status in OPEN_STATUSES:
        where.append(open_condition(c.c.status))  # the partial index complaint_open_geom_m (migration 0005)
    if status not in ("open", "all"):
        where.append(c.c.status == bindparam("status"))
    if overdue:
        where.append(next_due(c) < bindparam("now", type_=DateTime(timezone=True)))
    walk = (select(c.c.id, c.c.tracking_code, c.c.status, c.c.skpd_id, c.c.category_id,
                   func.left(c.c.description, 80).label("title"), public_text(80).label("public_title"),
                   c.c.followup_due_at, c.c.handling_due_at,
                   c.c.followed_up_at, c.c.resolved_at, func.ST_X(c.c.geom).label("lon"),
                   func.ST_Y(c.c.geom).label("lat"), distance.label("distance_m"))
            .where(*where)
            .order_by(distance).limit(bindparam("n", type_=Integer)).subquery("n"))
    return (select(walk, cat.c.code.label("category_code"), cat.c.name_id, cat.c.name_en, s.c.code.label("skpd_code"))
            .select_from(walk.join(cat, cat.c.id == walk.c.category_id).join(s, s.c.id == walk.c.skpd_id))
            .where(in_city_condition()).order_by(walk.c.distance_m, walk.c.id))


# Planner settings for the KNN statement only (SET LOCAL semantics, restored right after). A generic plan: the walk
# is the same for every point, and planning it over every monthly partition cost ~8 ms a request (run: ~1 ms).
KNN_ONLY_SETTINGS = {"enable_sort": "off", "jit": "off", "plan_cache_mode": "force_generic_plan"}


def find_nearby(conn: Connection, settings: Settings, user: StaffUser, q: NearbyQuery,
                now: dt.datetime) -> list[dict]:
    """Tickets the user may see near the point, nearest first.

    With filters (own SKPD, open) PostgreSQL misjudges how many tickets match and may read every matching ticket
    of the SKPD (or everything in the radius) and sort it: 13-42 ms on 1M complaints, and JIT compilation on top,
    against ~1 ms for walking the index in KNN order until n rows match. Switching sorts off for this statement
    leaves the ordered KNN walk as the only plan without a sort; JIT never pays for 50 rows; the plan is kept
    (psycopg prepares the statement after its fifth run on a connection) instead of made for every request.
    """
    stmt, values = knn_statement(q, user, settings, now)
    with statement_settings(conn, KNN_ONLY_SETTINGS):
        rows = [dict(r) for r in conn.execute(stmt, values).mappings()]
    if not rows:  # none near, the point outside the city, or a filter naming nothing: the statement cannot tell
        check_in_city(conn, q.lon, q.lat, city_name=settings.city_name, tolerance_m=settings.snap_tolerance_m)
        for model, code, name in ((Skpd, q.skpd, "skpd"), (Category, q.category, "category")):
            if code and conn.execute(select(model.id).where(model.code == code)).first() is None:
                raise DomainError(f"Kode «{code}» tidak dikenal.", f"Unknown code «{code}».", field=name)
    return rows


def feature(row: dict, user: StaffUser, cal: WorkCalendar, now: dt.datetime, lang: str) -> dict:
    """One small GeoJSON feature: what a list row and a map marker need, nothing more. Its title is the
    reporter's own words only for those who may see the reporter's contact (the owning SKPD, the desk, admins);
    anyone else (another SKPD's officer, a planner) reads the public text, moderated and masked."""
    sla = sla_of(cal, now, **row)
    en = lang == "en"
    return {"type": "Feature", "id": row["tracking_code"],
            "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
            "properties": {
                "code": row["tracking_code"],
                "title": row["title"] if can_view_contact(user, row) else row["public_title"],
                "category": row["category_code"],
                "category_name": row["name_en"] if en else row["name_id"], "status": row["status"],
                "status_label": label(row["status"], lang), "skpd": row["skpd_code"],
                "distance_m": round(row["distance_m"]), "sla": sla.state, "sla_text": sla.full_text(lang),
                "due": (d := sla.due_day(cal)) and d.isoformat(),
                "mine": can_change(user, row), "open": row["status"] in OPEN_STATUSES}}


def feature_collection(rows: list[dict], q: NearbyQuery, user: StaffUser, cal: WorkCalendar, now: dt.datetime,
                       lang: str) -> dict:
    """The nearby answer: a GeoJSON FeatureCollection, nearest first."""
    return {"type": "FeatureCollection", "features": [feature(r, user, cal, now, lang) for r in rows],
            "numberReturned": len(rows), "center": [q.lon, q.lat], "radius_m": q.radius_m}
