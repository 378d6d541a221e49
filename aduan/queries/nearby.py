"""Tickets near a point for field staff (no Flask): nearest first, on the metric GiST index with KNN ordering.

`ST_DWithin(geom_m, p, r) ORDER BY geom_m <-> p LIMIT n` walks the index in distance order and stops after n
rows; sorting by ST_Distance instead would read every ticket in the radius (~40× slower on 1M dense points).
Searches of open tickets (the default) use a partial GiST index of open tickets only, so the walk does not
step over the city's closed history. The KNN part runs on `complaint` alone so no join can break the index
order; names are joined to the n rows.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan.clocks import WorkCalendar
from aduan.errors import DomainError
from aduan.permissions import StaffUser, can_change
from aduan.settings import Settings
from aduan.sla import NEXT_DUE_SQL, sla_of
from aduan.statuses import OPEN_SQL, OPEN_STATUSES, STATUSES, label
from aduan.workflow import check_in_city
from geo.routing import check_lon_lat

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


def _bounded(args: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not lo <= value <= hi:  # also refuses NaN
        raise DomainError(f"Parameter {name} harus angka antara {lo:g} dan {hi:g}.",
                          f"Parameter {name} must be a number between {lo:g} and {hi:g}.", field=name)
    return value


def parse_query(args: Mapping[str, str], user: StaffUser) -> NearbyQuery:
    """Check query parameters; the SKPD filter defaults to the user's own SKPD ("mine")."""
    lon, lat = check_lon_lat(args.get("lon"), args.get("lat"))
    skpd = (args.get("skpd") or "mine").strip()
    status = (args.get("status") or "open").strip()
    if status not in STATUS_FILTERS:
        raise DomainError(f"Status tidak dikenal; pilih: {', '.join(STATUS_FILTERS)}.",
                          f"Unknown status; choose: {', '.join(STATUS_FILTERS)}.", field="status")
    return NearbyQuery(
        lon=lon, lat=lat, radius_m=_bounded(args, "radius_m", RADIUS_DEFAULT, 1, RADIUS_MAX),
        limit=int(_bounded(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)),
        skpd=(user.skpd_code if skpd == "mine" else None if skpd == "all" else skpd),
        category=(args.get("category") or "").strip() or None, status=status,
        overdue=(args.get("overdue") or "").lower() in ("1", "true", "on", "yes"))


_KNN = """
SELECT n.*, cat.code AS category_code, cat.name_id, cat.name_en, s.code AS skpd_code
  FROM (SELECT c.id, c.tracking_code, c.status, c.skpd_id, c.category_id, left(c.description, 80) AS title,
               c.followup_due_at, c.handling_due_at, c.followed_up_at, c.resolved_at,
               ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.geom_m <-> p.g AS distance_m
          FROM complaint c,
               (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), CAST(:srid AS integer)) AS g) p
         WHERE ST_DWithin(c.geom_m, p.g, :radius) {where}
         ORDER BY c.geom_m <-> p.g
         LIMIT :limit) n
  JOIN category cat ON cat.id = n.category_id
  JOIN skpd s ON s.id = n.skpd_id
 ORDER BY n.distance_m, n.id
"""
_OPEN = f"c.status {OPEN_SQL}"


def build_sql(q: NearbyQuery, user: StaffUser, settings: Settings, now: dt.datetime) -> tuple[str, dict]:
    """The KNN statement: fixed SQL fragments joined by AND, every value a bound parameter."""
    where, params = [], {"lon": q.lon, "lat": q.lat, "srid": settings.metric_srid, "radius": q.radius_m,
                         "limit": q.limit}
    if user.role not in ("admin", "planner"):  # other SKPDs' tickets: only the public ones
        where.append("(c.public OR c.skpd_id = :own_skpd)")
        params["own_skpd"] = user.skpd_id
    if q.skpd:
        where.append("c.skpd_id = (SELECT id FROM skpd WHERE code = :skpd)")
        params["skpd"] = q.skpd
    if q.category:
        where.append("c.category_id = (SELECT id FROM category WHERE code = :category)")
        params["category"] = q.category
    if q.status == "open" or q.overdue or q.status in OPEN_STATUSES:
        where.append(_OPEN)  # the literal predicate of the partial index complaint_open_geom_m (migration 0005)
    if q.status not in ("open", "all"):
        where.append("c.status = :status")
        params["status"] = q.status
    if q.overdue:
        where.append(f"{NEXT_DUE_SQL} < :now")
        params["now"] = now
    return _KNN.format(where="".join(f" AND {w}" for w in where)), params


# Planner settings for the KNN statement only (SET LOCAL semantics, restored right after).
KNN_ONLY_SETTINGS = ["enable_sort", "jit"]
_SETTINGS_OFF = text("WITH b AS MATERIALIZED (SELECT name, current_setting(name) AS was "
                     "FROM unnest(CAST(:names AS text[])) AS name) "
                     "SELECT name, was FROM b WHERE set_config(name, 'off', true) IS NOT NULL")  # read, then set
_SETTINGS_BACK = text("SELECT set_config(n, v, true) FROM unnest(CAST(:names AS text[]), CAST(:values AS text[])) "
                      "AS t(n, v)")


def find_nearby(conn: Connection, settings: Settings, user: StaffUser, q: NearbyQuery,
                now: dt.datetime) -> list[dict]:
    """Tickets the user may see near the point, nearest first.

    With filters (own SKPD, open) PostgreSQL misjudges how many tickets match and may read every matching ticket
    of the SKPD (or everything in the radius) and sort it: 13-42 ms on 1M complaints, and JIT compilation on top,
    against ~1 ms for walking the index in KNN order until n rows match. Switching sorts off for this statement
    leaves the ordered KNN walk as the only plan without a sort; JIT never pays for 50 rows.
    """
    check_in_city(conn, settings, q.lon, q.lat)
    sql, params = build_sql(q, user, settings, now)
    before = conn.execute(_SETTINGS_OFF, {"names": KNN_ONLY_SETTINGS}).all()
    rows = [dict(r) for r in conn.execute(text(sql), params).mappings()]
    conn.execute(_SETTINGS_BACK, {"names": [n for n, _ in before], "values": [v for _, v in before]})
    return rows  # (after an error the transaction's rollback restores the settings)


def feature(row: dict, user: StaffUser, cal: WorkCalendar, now: dt.datetime, lang: str) -> dict:
    """One small GeoJSON feature: what a list row and a map marker need, nothing more."""
    sla = sla_of(cal, now, **row)
    en = lang == "en"
    return {"type": "Feature", "id": row["tracking_code"],
            "geometry": {"type": "Point", "coordinates": [round(row["lon"], 6), round(row["lat"], 6)]},
            "properties": {
                "code": row["tracking_code"], "title": row["title"], "category": row["category_code"],
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
