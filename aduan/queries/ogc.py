"""OGC API – Features reads: public complaints (through the public view), kelurahan and kecamatan, the extent.

Filters are expressions with bound values; `ItemsQuery` is what app/ogc/params.py makes of a client's query.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Float, Numeric, Select, Table, and_, func, select, true

from aduan.errors import DomainError
from aduan.models import BoundaryGeneration, Category, ComplaintCount, Kecamatan, Kelurahan, LayerGrid, Skpd
from aduan.partitions import created_between, of_code
from aduan.queries import public
from aduan.queries.public import C
from aduan.tracking import normalise_code

DEFAULT_LIMIT = 100
KEL, KEC, GEN = Kelurahan.__table__, Kecamatan.__table__, BoundaryGeneration.__table__


@dataclass(frozen=True)
class ItemsQuery:
    """A checked /items query: page, box, time range and property filters (name, value)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after: str | None = None  # complaints: the tracking code the page starts after (the `next` links' cursor)
    bbox: tuple[float, float, float, float] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    props: tuple[tuple[str, str], ...] = ()


def _code_in(column: ColumnElement, table, value: str) -> ColumnElement[bool]:
    return column.in_(select(table.c.id).where(table.c.code == value))


def _property(name: str, value: str, c: Table = C) -> ColumnElement[bool]:
    """A queryable of the complaints collection, matching the property of that name as the features carry it:
    `kelurahan` and `skpd` hold names, `kelurahan_code`, `skpd_code` and `category` codes (so GDAL's
    -where "kelurahan='Tanjung Pagar'" and a URL's kelurahan=Tanjung%20Pagar mean the same). Over the complaints
    or, for numberMatched, over their per-cell counts (the same column names)."""
    if name == "status":
        return c.c.status == value
    if name in ("kelurahan", "skpd"):
        table, column = (KEL, c.c.kelurahan_id) if name == "kelurahan" else (Skpd.__table__, c.c.skpd_id)
        return column.in_(select(table.c.id).where(table.c.name == value))
    column, table = {"category": (c.c.category_id, Category.__table__), "skpd_code": (c.c.skpd_id, Skpd.__table__),
                     "kelurahan_code": (c.c.kelurahan_id, KEL)}[name]
    return _code_in(column, table, value)


def _complaint_filter(q: ItemsQuery) -> ColumnElement[bool]:
    parts: list[ColumnElement] = [true()]
    if q.bbox:  # && finds candidates on the index, ST_Intersects keeps those really in the box
        box = func.ST_MakeEnvelope(*q.bbox, 4326)
        parts += [C.c.geom.op("&&")(box), func.ST_Intersects(C.c.geom, box)]
    if q.start:
        parts.append(C.c.created_at >= q.start)
    if q.end:
        parts.append(C.c.created_at < q.end)
    parts.append(created_between(C.c.id, q.start, q.end))
    parts += [_property(name, value) for name, value in q.props]
    return and_(*parts)


def complaints(conn: Connection, q: ItemsQuery, fid: str | None = None) -> list[dict]:
    """One page of public complaints as features (or the one with tracking code `fid`). With a cursor (`after`)
    the page starts past that complaint's id: keyset paging, as fast at the millionth row as at the first,
    where an offset has to walk past every row before it."""
    if fid is not None:
        fid = normalise_code(fid)  # typed by hand, as everywhere a code is asked for; the feature's id is canonical
    where = (_complaint_filter(q) if fid is None
             else and_(_complaint_filter(q), C.c.tracking_code == fid, of_code(C.c.id, fid)))
    if q.after is not None:
        start = conn.execute(select(C.c.id).where(C.c.tracking_code == q.after, of_code(C.c.id, q.after))).scalar()
        if start is None:
            raise DomainError("Parameter 'cursor': bukan kode aduan yang dikenal.",
                              "Parameter 'cursor': not a known complaint code.", field="cursor")
        where = and_(where, C.c.id > start)
    return [public.feature(r) for r in public.features(conn, where, limit=q.limit, offset=q.offset)]


def _local_day(at: dt.datetime | None, tz: str) -> dt.date | None | bool:
    """The local date of a bound at local midnight, None for no bound, False for a bound within a day."""
    if at is None:
        return None
    local = at.astimezone(ZoneInfo(tz))
    return local.date() if local.time() == dt.time(0) else False


def count_complaints(conn: Connection, q: ItemsQuery) -> int:
    """How many public complaints match the query (numberMatched). Without a box and with whole local days the
    per-cell counts answer (a sum over their rows; counting a million complaints costs ~0.7 s, and a city at
    work changes the number every minute, so no cache holds it); otherwise the complaints are counted."""
    tz = conn.execute(select(LayerGrid.tz)).scalar()
    days = [_local_day(q.start, tz), _local_day(q.end, tz)] if tz else [False]
    if q.bbox or False in days:
        return public.count(conn, _complaint_filter(q))
    cc = ComplaintCount.__table__
    parts = [cc.c.public, *(_property(name, value, cc) for name, value in q.props)]
    if days[0] is not None:
        parts.append(cc.c.day >= days[0])
    if days[1] is not None:
        parts.append(cc.c.day < days[1])
    return int(conn.execute(select(func.coalesce(func.sum(cc.c.n), 0)).where(and_(*parts))).scalar_one())


def _area_km2(geom: ColumnElement) -> ColumnElement:
    return func.round((func.ST_Area(func.geography(geom)) / 1e6).cast(Numeric), 4).cast(Float)


def _geojson(geom: ColumnElement) -> ColumnElement:
    """RFC 7946 polygons: exterior rings counter-clockwise, 7 decimals (~1 cm)."""
    return func.ST_AsGeoJSON(func.ST_ForcePolygonCCW(geom), 7).label("g")


def _area_view(cid: str) -> Select:
    active = (GEN.c.id == KEL.c.generation_id) & GEN.c.active if cid == "kelurahan" else \
        (GEN.c.id == KEC.c.generation_id) & GEN.c.active
    if cid == "kecamatan":
        return (select(KEC.c.code, KEC.c.name, _area_km2(KEC.c.geom).label("area_km2"),
                       _geojson(KEC.c.geom)).select_from(KEC.join(GEN, active)))
    return (select(KEL.c.code, KEL.c.name, KEC.c.code.label("kecamatan_code"), KEC.c.name.label("kecamatan"),
                   KEL.c.population, func.round(KEL.c.area_km2.cast(Numeric), 4).cast(Float).label("area_km2"),
                   _geojson(KEL.c.geom))
            .select_from(KEL.outerjoin(KEC, KEC.c.id == KEL.c.kecamatan_id).join(GEN, active)))


AREAS = ("kelurahan", "kecamatan")


def areas(conn: Connection, cid: str, q: ItemsQuery, fid: str | None = None) -> tuple[list[dict], int]:
    """Features of the active kelurahan or kecamatan (by code), and how many match."""
    table = KEL if cid == "kelurahan" else KEC
    view = _area_view(cid)
    if q.bbox:
        view = view.where(table.c.geom.op("&&")(func.ST_MakeEnvelope(*q.bbox, 4326)))
    if fid is not None:
        view = view.where(table.c.code == fid)
    matched = conn.execute(select(func.count()).select_from(view.subquery())).scalar_one()
    rows = conn.execute(view.order_by(table.c.code).limit(q.limit).offset(q.offset)).mappings().all()
    feats = [{"type": "Feature", "id": r["code"], "geometry": json.loads(r["g"]),
              "properties": {k: v for k, v in r.items() if k != "g"}} for r in rows]
    return feats, matched


def extent(conn: Connection) -> tuple:
    """West, south, east, north of the active boundaries and the first and last complaint's time."""
    box = select(func.ST_Extent(KEL.c.geom).label("e")).select_from(
        KEL.join(GEN, (GEN.c.id == KEL.c.generation_id) & GEN.c.active)).subquery()
    times = select(func.min(C.c.created_at), func.max(C.c.created_at)).subquery()
    e = box.c.e
    return tuple(conn.execute(select(func.ST_XMin(e), func.ST_YMin(e), func.ST_XMax(e), func.ST_YMax(e),
                                     *times.c).select_from(box.join(times, true()))).one())
