"""The OpenAPI 3.0 description linked from the landing page as `service-desc`, built from the collection table and
the parameter limits the parser enforces (app/ogc/params.py), so the two cannot disagree.

Each collection gets its own items path (as OGC API – Features Part 1's OpenAPI fragments have it): clients such
as GDAL read `limit`'s default and maximum there to choose their page size. `bbox` is declared the standard's
way, a comma-separated form array (`style: form, explode: false`).
"""
from __future__ import annotations

from app.ogc.documents import COLLECTIONS, GEOJSON, JSON, Collection
from app.ogc.params import CRS84, CURSOR_MAX, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

QUERYABLE_TEXT = {"category": "category code", "status": "status (new, verified, in_progress, resolved, closed, "
                  "rejected, duplicate); comma-separated for hexbins/hotspots",
                  "skpd": "SKPD name as in the property (hexbins/hotspots: SKPD codes)",
                  "skpd_code": "SKPD code", "kelurahan": "kelurahan name as in the property",
                  "kelurahan_code": "kelurahan code (Kemendagri)"}


def _param(name: str, where: str, schema: dict, description: str, required: bool = False, **extra: object) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description, **extra}


_COLLECTION_ID = {"name": "collectionId", "in": "path", "required": True, "description": "collection",
                  "schema": {"type": "string", "enum": sorted(COLLECTIONS)}}


_CRS = _param("crs", "query", {"type": "string", "enum": [CRS84]}, "CRS of the response (Part 2): CRS84 only")


def _ok(media: str, description: str) -> dict:
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
            "400": {"description": "Parameter tidak valid / invalid parameter"},
            "404": {"description": "Tidak ditemukan / not found"}}


def _items(c: Collection | None) -> dict:
    """The items operation of one collection, or (None) of any, by its collectionId."""
    queryables = c.queryables if c else ()  # each collection's own path lists its queryables
    params = ([] if c else [_COLLECTION_ID]) + [
        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
               "page size", style="form", explode=False),
        _param("offset", "query", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
               "features to skip"),
        _param("bbox", "query", {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
               "west,south,east,north in CRS84", style="form", explode=False),
        _param("datetime", "query", {"type": "string"}, "RFC 3339 instant or interval", style="form", explode=False),
        _CRS, _param("bbox-crs", "query", {"type": "string", "enum": [CRS84]}, "CRS of bbox (Part 2)"),
    ] + [_param(q, "query", {"type": "string"}, QUERYABLE_TEXT.get(q, q)) for q in queryables] + (
        [_param("cursor", "query", {"type": "string", "maxLength": CURSOR_MAX},
                "where the page starts (from a next link)")] if c is not None and c.id == "complaints" else [])
    name = c.id if c else "any"
    return {"get": {"summary": f"Features of {name}", "operationId": f"getItems_{name}", "parameters": params,
                    "responses": _ok(GEOJSON, "features")}}


def document(base: str) -> dict:
    """Every path and parameter we serve: each collection's own paths and the templated ones."""
    fid = _param("featureId", "path", {"type": "string"}, "feature id", True)
    paths = {
        "/": {"get": {"summary": "Landing page", "responses": _ok(JSON, "landing page")}},
        "/conformance": {"get": {"summary": "Conformance classes", "responses": _ok(JSON, "conformance")}},
        "/collections": {"get": {"summary": "Collections", "responses": _ok(JSON, "collections")}},
        "/collections/{collectionId}": {"get": {"summary": "One collection", "parameters": [_COLLECTION_ID],
                                                "responses": _ok(JSON, "collection")}},
        "/collections/{collectionId}/items": _items(None),
        "/collections/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "parameters": [_COLLECTION_ID, fid, _CRS], "responses": _ok(GEOJSON, "feature")}},
    }
    for c in COLLECTIONS.values():
        paths[f"/collections/{c.id}"] = {"get": {"summary": c.title, "responses": _ok(JSON, "collection")}}
        paths[f"/collections/{c.id}/items"] = _items(c)
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {"get": {
            "summary": f"One feature of {c.id}", "parameters": [fid, _CRS], "responses": _ok(GEOJSON, "feature")}}
    return {"openapi": "3.0.3", "info": {"title": "Peta Aduan OGC API – Features", "version": "1.0.0"},
            "servers": [{"url": base}], "paths": paths}
