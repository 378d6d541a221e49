"""The OpenAPI 3.0 description linked from the landing page as `service-desc`."""
from __future__ import annotations

from app.ogc.documents import COLLECTIONS, GEOJSON, JSON
from app.ogc.params import DEFAULT_LIMIT, MAX_LIMIT


def _param(name: str, where: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


def _ok(media: str, description: str) -> dict:
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
            "400": {"description": "Parameter tidak valid / invalid parameter"},
            "404": {"description": "Tidak ditemukan / not found"}}


def document(base: str) -> dict:
    """A small but complete description of every path and parameter we serve."""
    cid = _param("collectionId", "path", {"type": "string", "enum": sorted(COLLECTIONS)}, "collection", True)
    queryables = sorted({q for c in COLLECTIONS.values() for q in c.queryables})
    items_params = [
        cid,
        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
               "page size"),
        _param("offset", "query", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
        _param("bbox", "query", {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
               "west,south,east,north in CRS84"),
        _param("datetime", "query", {"type": "string"}, "RFC 3339 instant or interval"),
    ] + [_param(q, "query", {"type": "string"}, f"filter by {q} code (collections that list it)")
         for q in queryables]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Peta Aduan OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "responses": _ok(JSON, "landing page")}},
            "/conformance": {"get": {"summary": "Conformance classes", "responses": _ok(JSON, "conformance")}},
            "/collections": {"get": {"summary": "Collections", "responses": _ok(JSON, "collections")}},
            "/collections/{collectionId}": {"get": {"summary": "One collection", "parameters": [cid],
                                                    "responses": _ok(JSON, "collection")}},
            "/collections/{collectionId}/items": {"get": {"summary": "Features", "parameters": items_params,
                                                          "responses": _ok(GEOJSON, "features")}},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "summary": "One feature",
                "parameters": [cid, _param("featureId", "path", {"type": "string"}, "feature id", True)],
                "responses": _ok(GEOJSON, "feature")}},
        },
    }
