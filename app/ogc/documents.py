"""OGC API – Features documents: landing page, conformance, collections and items, with the links clients follow.

Collections: `complaints` (the public view of a complaint; id = tracking code), `kelurahan` and `kecamatan`
(active boundary generation; id = Kemendagri code), `hexbins` and `hotspots` (H3 cells of the cached layers;
id = H3 index; `datetime` chooses the period, default the last twelve months). All geometry is CRS84 GeoJSON.
The features come from aduan/queries/ogc.py (complaints, areas) and layers/catalog.py (cells).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import Connection

from aduan.errors import NotFound
from aduan.queries import ogc
from aduan.queries.ogc import ItemsQuery
from aduan.settings import Settings
from app.ogc.params import CRS84, layer_filter
from layers import catalog
from layers.cache import cached_bytes

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
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
               ("category", "status", "skpd", "skpd_code", "kelurahan", "kelurahan_code"), True),
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
    extent = ogc.extent(conn)
    return {"links": [_link(base + "/collections", "self", JSON)],
            "collections": [_collection_doc(base, c, extent) for c in COLLECTIONS.values()]}


def collection(conn: Connection, base: str, cid: str) -> dict:
    return _collection_doc(base, get_collection(cid), ogc.extent(conn))


def fetch(conn: Connection, cid: str, q: ItemsQuery, settings: Settings,
          fid: str | None = None) -> tuple[list[dict], int]:
    """Features of a collection for a query (or the one with id `fid`) and how many match in all."""
    get_collection(cid)
    if cid == "complaints":
        feats = ogc.complaints(conn, q, fid)
        return feats, len(feats) if fid is not None else _count(conn, q)
    if cid in ogc.AREAS:
        return ogc.areas(conn, cid, q, fid)
    return catalog.cells_page(conn, cid, layer_filter(q, settings.timezone), settings.h3_resolution, bbox=q.bbox,
                              offset=q.offset, limit=q.limit, cell=fid)


def _count(conn: Connection, q: ItemsQuery) -> int:
    """numberMatched, cached per query and data version: a paging client asks the same count for every page."""
    key = {"bbox": q.bbox, "start": q.start, "end": q.end, "props": q.props}
    return int(cached_bytes(conn, "ogc:count", key, lambda: str(ogc.count_complaints(conn, q)).encode()))


def items_document(base: str, cid: str, args: dict, q: ItemsQuery, feats: list[dict], matched: int) -> dict:
    """The FeatureCollection with numberMatched/numberReturned and self/next/prev/collection links. Complaints
    page by cursor (`next` carries the last tracking code; no `prev` on a cursor page), the cell and area
    collections by offset."""
    href = f"{base}/collections/{cid}/items"

    def page(offset: int) -> str:
        return href + "?" + urlencode({**args, "offset": offset, "limit": q.limit})

    links = [_link(href + ("?" + urlencode(args) if args else ""), "self", GEOJSON),
             _link(f"{base}/collections/{cid}", "collection", JSON)]
    if cid == "complaints":  # keyset: the next page starts after this page's last complaint
        if len(feats) == q.limit and (q.after is not None or q.offset + len(feats) < matched):
            rest = {k: v for k, v in args.items() if k not in ("offset", "cursor")}
            links.append(_link(href + "?" + urlencode({**rest, "cursor": feats[-1]["id"], "limit": q.limit}),
                               "next", GEOJSON))
    elif q.offset + len(feats) < matched:
        links.append(_link(page(q.offset + q.limit), "next", GEOJSON))
    if q.offset > 0:
        links.append(_link(page(max(0, q.offset - q.limit)), "prev", GEOJSON))
    return {"type": "FeatureCollection", "features": feats, "links": links,
            "timeStamp": _iso(dt.datetime.now(dt.UTC)), "numberMatched": matched, "numberReturned": len(feats)}


def item_document(base: str, cid: str, feat: dict) -> dict:
    """One feature with self and collection links."""
    href = f"{base}/collections/{cid}/items/{feat['id']}"
    return {**feat, "links": [_link(href, "self", GEOJSON), _link(f"{base}/collections/{cid}", "collection", JSON)]}
