"""Vector tiles from PostGIS (ST_AsMVT): /tiles/{layer}/{z}/{x}/{y}.pbf with the planner's filters.

Tiles are cached in the shared layer cache and by HTTP (Cache-Control, ETag from the data version), so a
second instance or a proxy serves repeats without touching the complaint table.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from aduan.errors import DomainError, NotFound
from aduan.queries import ogc
from app import current_settings
from app.db import read_engine
from app.http import not_modified, validated, validator
from layers import mvt
from layers.filters import FILTER_PARAMS, check_codes, parse_filter

bp = Blueprint("tiles", __name__)
MVT = "application/vnd.mapbox-vector-tile"
MAX_AGE = 300
CACHE = f"public, max-age={MAX_AGE}"


def _check(layer: str, z: int, x: int, y: int) -> None:
    if layer not in mvt.LAYERS:
        raise NotFound(f"Layer '{layer}' tidak ada (ada: {', '.join(mvt.LAYERS)}).",
                       f"No layer '{layer}' (available: {', '.join(mvt.LAYERS)}).")
    if not mvt.valid_tile(z, x, y):
        raise NotFound("Ubin di luar matriks ubin (z 0–22, x dan y 0…2^z−1).",
                       "Tile outside the tile matrix (z 0–22, x and y 0…2^z−1).")
    unknown = sorted(set(request.args) - set(FILTER_PARAMS))
    if unknown:
        raise DomainError(f"Parameter tidak dikenal: {', '.join(unknown)}.",
                          f"Unknown parameter(s): {', '.join(unknown)}.")


FIELDS = {"complaints": {"tracking_code": "String", "category": "String", "status": "String", "created": "String",
                         "count": "Number (low zoom: complaints in the bin)"},
          "hexbins": {"cell": "String", "count": "Number", "count_prev": "Number", "change": "Number",
                      "per_km2": "Number"}}


@bp.get("/<layer>.json")
def tilejson(layer: str):
    """TileJSON 3.0.0 for a layer: its tile URL (with the same filters), bounds, zooms and fields."""
    if layer not in mvt.LAYERS:
        raise NotFound(f"Layer '{layer}' tidak ada (ada: {', '.join(mvt.LAYERS)}).",
                       f"No layer '{layer}' (available: {', '.join(mvt.LAYERS)}).")
    settings = current_settings()
    parse_filter(request.args, settings.timezone)  # a bad filter is a 400 here, not in every tile
    with read_engine().connect() as conn:
        bounds = ogc.extent(conn)[:4]
    query = ("?" + request.query_string.decode()) if request.query_string else ""
    base = request.host_url.rstrip("/")
    return {"tilejson": "3.0.0", "name": f"Peta Aduan {settings.city_name}: {layer}",
            "tiles": [f"{base}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf{query}"], "minzoom": 0, "maxzoom": mvt.MAX_ZOOM,
            "bounds": [round(v, 6) for v in bounds] if bounds[0] is not None else [-180, -85.0511, 180, 85.0511],
            "attribution": settings.tile_attribution or f"Peta Aduan {settings.city_name}",
            "vector_layers": [{"id": layer, "fields": FIELDS[layer], "minzoom": 0, "maxzoom": mvt.MAX_ZOOM}]}


@bp.get("/<layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int):
    _check(layer, z, x, y)
    settings = current_settings()
    flt = parse_filter(request.args, settings.timezone)
    with read_engine().begin() as conn:
        check_codes(conn, flt)
        version = mvt.tile_version(conn, z, x, y, settings.h3_resolution)  # per tile (layers/mvt.py)
        etag = validator(flt.key(), settings.h3_resolution, version)
        if (unchanged := not_modified(etag, CACHE)) is not None:
            return unchanged
        body = mvt.cached_tile(conn, layer, flt, z, x, y, settings.h3_resolution, version)
    return validated(Response(body, mimetype=MVT), etag, CACHE)
