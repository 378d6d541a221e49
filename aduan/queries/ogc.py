"""OGC API – Features, framework-free: documents for the landing page, conformance, collections and items.

Collections: `complaints` (public fields only; id = tracking code), `kelurahan` and `kecamatan` (active boundary
generation; id = Kemendagri code), `hexbins` and `hotspots` (H3 cells of the cached layers; id = H3 index;
`datetime` chooses the period, default the last twelve months). All geometry is CRS84 GeoJSON.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from aduan.errors import NotFound
from aduan.settings import Settings
from layers.cache import cached_bytes
from layers.filters import DEFAULT_STATUSES, LayerFilter, check_codes, default_range
from layers.hexbins import cell_features, hexbins
from layers.hotspots import hotspots
from layers.public import count_public, feature, select_public

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    props: tuple[tuple[str, str], ...] = ()


CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    queryables: tuple[str, ...] = ()
    temporal: bool = False


COLLECTIONS = {c.id: c for c in (
    Collection("complaints", "Aduan publik / Public complaints",
               "Aduan non-rahasia, hanya kolom publik. Non-confidential complaints, public fields only.",
               ("category", "status", "skpd", "kelurahan"), True),
    Collection("kelurahan", "Kelurahan", "Batas kelurahan aktif, dengan penduduk bila diketahui. Active "
               "kelurahan boundaries with population where known."),
    Collection("kecamatan", "Kecamatan", "Batas kecamatan aktif. Active kecamatan boundaries."),
    Collection("hexbins", "Hex bin aduan / Complaint hex bins",
               "Jumlah aduan per sel H3, per km² dan perubahan dari periode sebelumnya. Complaints per H3 cell, "
               "per km² and change against the previous period.", ("category", "skpd", "status"), True),
    Collection("hotspots", "Hotspot Gi* / Gi* hotspots",
               "Getis-Ord Gi* per sel H3 dengan kontrol FDR; kelas hot/cold 90/95/99 %. Getis-Ord Gi* per H3 "
               "cell with FDR control; hot/cold classes at 90/95/99 %.", ("category", "skpd", "status"), True),
)}


def get_collection(cid: str) -> Collection:
    if cid not in COLLECTIONS:
        raise NotFound(f"Koleksi '{cid}' tidak ada.", f"Collection '{cid}' does not exist.")
    return COLLECTIONS[cid]


def landing(base: str, city: str) -> dict:
    """Landing page with the links a client follows (service-desc, conformance, data)."""
    return {"title": f"Peta Aduan {city} — OGC API Features",
            "description": "Aduan publik, batas wilayah dan layer analisis. Public complaints, boundaries, layers.",
            "links": [_link(base + "/", "self", JSON, "Halaman ini / this document"),
                      _link(base + "/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
                      _link(base + "/conformance", "conformance", JSON, "Kesesuaian / conformance"),
                      _link(base + "/collections", "data", JSON, "Koleksi / collections")]}


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    return {"href": href, "rel": rel, "type": type_, **({"title": title} if title else {})}


_EXTENT = text("""
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e),
       (SELECT min(created_at) FROM complaint), (SELECT max(created_at) FROM complaint)
  FROM (SELECT ST_Extent(k.geom) AS e FROM kelurahan k
          JOIN boundary_generation g ON g.id = k.generation_id AND g.active) x
""")


def _collection_doc(base: str, c: Collection, extent: tuple) -> dict:
    href = f"{base}/collections/{c.id}"
    doc = {"id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
           "crs": [CRS84], "storageCrs": CRS84,
           "links": [_link(href, "self", JSON), _link(href + "/items", "items", GEOJSON, c.title)]}
    if extent[0] is not None:
        doc["extent"] = {"spatial": {"bbox": [[round(v, 6) for v in extent[:4]]], "crs": CRS84}}
        if c.temporal:
            doc["extent"]["temporal"] = {"interval": [[_iso(extent[4]), _iso(extent[5])]],
                                         "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return doc


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def collections(conn: Connection, base: str) -> dict:
    extent = tuple(conn.execute(_EXTENT).one())
    return {"links": [_link(base + "/collections", "self", JSON)],
            "collections": [_collection_doc(base, c, extent) for c in COLLECTIONS.values()]}


def collection(conn: Connection, base: str, cid: str) -> dict:
    return _collection_doc(base, get_collection(cid), tuple(conn.execute(_EXTENT).one()))


# --- items ------------------------------------------------------------------------------------------------------

_COMPLAINT_PROPS = {
    "category": "c.category_id IN (SELECT id FROM category WHERE code = :q_category)",
    "status": "c.status = :q_status",
    "skpd": "c.skpd_id IN (SELECT id FROM skpd WHERE code = :q_skpd)",
    "kelurahan": "c.kelurahan_id IN (SELECT id FROM kelurahan WHERE code = :q_kelurahan)",
}


def _complaint_where(q: ItemsQuery) -> tuple[str, dict]:
    parts, params = ["true"], {}
    if q.bbox:
        parts.append("c.geom && ST_MakeEnvelope(:b_w, :b_s, :b_e, :b_n, 4326)")
        params.update(zip(("b_w", "b_s", "b_e", "b_n"), q.bbox, strict=True))
    if q.start:
        parts.append("c.created_at >= :d_start")
        params["d_start"] = q.start
    if q.end:
        parts.append("c.created_at < :d_end")
        params["d_end"] = q.end
    for name, value in q.props:
        parts.append(_COMPLAINT_PROPS[name])
        params[f"q_{name}"] = value
    return " AND ".join(parts), params


def _complaints(conn: Connection, q: ItemsQuery, fid: str | None = None) -> tuple[list[dict], int]:
    where, params = _complaint_where(q)
    if fid is not None:
        where, params = where + " AND c.tracking_code = :fid", {**params, "fid": fid}
    rows = select_public(conn, where, params, limit=q.limit, offset=q.offset)
    matched = len(rows) if fid is not None else int(cached_bytes(  # paging clients ask the same count per page
        conn, "ogc:count", {"where": where, "params": params}, lambda: str(count_public(conn, where, params)).encode()))
    return [feature(r) for r in rows], matched


_AREAS = {
    "kelurahan": """SELECT k.code, k.name, kc.code AS kecamatan_code, kc.name AS kecamatan, k.population,
                           round(k.area_km2::numeric, 4)::float8 AS area_km2, ST_AsGeoJSON(k.geom, 7) AS g
                      FROM kelurahan k LEFT JOIN kecamatan kc ON kc.id = k.kecamatan_id
                      JOIN boundary_generation bg ON bg.id = k.generation_id AND bg.active""",
    "kecamatan": """SELECT k.code, k.name, round((ST_Area(k.geom::geography) / 1e6)::numeric, 4)::float8 AS area_km2,
                           ST_AsGeoJSON(k.geom, 7) AS g
                      FROM kecamatan k JOIN boundary_generation bg ON bg.id = k.generation_id AND bg.active""",
}


def _areas(conn: Connection, cid: str, q: ItemsQuery, fid: str | None = None) -> tuple[list[dict], int]:
    where, params = ["true"], {}
    if q.bbox:
        where.append("k.geom && ST_MakeEnvelope(:b_w, :b_s, :b_e, :b_n, 4326)")
        params.update(zip(("b_w", "b_s", "b_e", "b_n"), q.bbox, strict=True))
    if fid is not None:
        where.append("k.code = :fid")
        params["fid"] = fid
    base = _AREAS[cid] + " WHERE " + " AND ".join(where)
    matched = conn.execute(text("SELECT count(*) FROM (" + base + ") x"), params).scalar_one()
    rows = conn.execute(text(base + " ORDER BY k.code LIMIT :lim OFFSET :off"),
                        {**params, "lim": q.limit, "off": q.offset}).mappings().all()
    feats = [{"type": "Feature", "id": r["code"], "geometry": json.loads(r["g"]),
              "properties": {k: v for k, v in r.items() if k != "g"}} for r in rows]
    return feats, matched


def _layer_filter(q: ItemsQuery, tz: str) -> LayerFilter:
    start, end = default_range(dt.datetime.now(ZoneInfo(tz)).date())
    if q.start:
        start = q.start.astimezone(ZoneInfo(tz)).date()
    if q.end:
        end = (q.end - dt.timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date() + dt.timedelta(days=1)
    if start >= end:  # an interval open at the start and ending before the default start
        start = end - dt.timedelta(days=365)
    props = dict(q.props)
    statuses = tuple(props["status"].split(",")) if "status" in props else DEFAULT_STATUSES
    return LayerFilter(start, end, tuple(filter(None, props.get("category", "").split(","))),
                       tuple(filter(None, props.get("skpd", "").split(","))), statuses, tz)


def _cells(conn: Connection, cid: str, q: ItemsQuery, settings: Settings,
           fid: str | None = None) -> tuple[list[dict], int]:
    flt = _layer_filter(q, settings.timezone)
    check_codes(conn, flt)
    frame = (hexbins if cid == "hexbins" else hotspots)(conn, flt, settings.h3_resolution)
    if fid is not None:
        frame = frame[frame["cell"] == fid]
    feats = cell_features(frame, [c for c in frame.columns if c != "cell"])
    if q.bbox:
        w, s, e, n = q.bbox
        feats = [f for f in feats if any(w <= x <= e and s <= y <= n for x, y in f["geometry"]["coordinates"][0])]
    return feats[q.offset:q.offset + q.limit], len(feats)


def fetch(conn: Connection, cid: str, q: ItemsQuery, settings: Settings,
          fid: str | None = None) -> tuple[list[dict], int]:
    """Features of a collection for a query (or the one with id `fid`) and how many match in all."""
    get_collection(cid)
    if cid == "complaints":
        return _complaints(conn, q, fid)
    if cid in _AREAS:
        return _areas(conn, cid, q, fid)
    return _cells(conn, cid, q, settings, fid)


def items_document(base: str, cid: str, args: dict, q: ItemsQuery, feats: list[dict], matched: int) -> dict:
    """The FeatureCollection with numberMatched/numberReturned and self/next/prev/collection links."""
    href = f"{base}/collections/{cid}/items"

    def page(offset: int) -> str:
        return href + "?" + urlencode({**args, "offset": offset, "limit": q.limit})

    links = [_link(href + ("?" + urlencode(args) if args else ""), "self", GEOJSON),
             _link(f"{base}/collections/{cid}", "collection", JSON)]
    if q.offset + len(feats) < matched:
        links.append(_link(page(q.offset + q.limit), "next", GEOJSON))
    if q.offset > 0:
        links.append(_link(page(max(0, q.offset - q.limit)), "prev", GEOJSON))
    return {"type": "FeatureCollection", "features": feats, "links": links,
            "timeStamp": _iso(dt.datetime.now(dt.UTC)), "numberMatched": matched, "numberReturned": len(feats)}


def item_document(base: str, cid: str, feat: dict) -> dict:
    """One feature with self and collection links."""
    href = f"{base}/collections/{cid}/items/{feat['id']}"
    return {**feat, "links": [_link(href, "self", GEOJSON), _link(f"{base}/collections/{cid}", "collection", JSON)]}
