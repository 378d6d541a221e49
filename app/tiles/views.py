"""Vector tiles from PostGIS (ST_AsMVT): /tiles/{layer}/{z}/{x}/{y}.pbf with the planner's filters.

Tiles are cached in the shared layer cache and by HTTP (Cache-Control, ETag from the data version), so a
second instance or a proxy serves repeats without touching the complaint table.
"""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from aduan.errors import DomainError, NotFound
from app import current_settings
from app.db import get_engine
from layers import mvt
from layers.cache import data_version
from layers.filters import FILTER_PARAMS, check_codes, parse_filter

bp = Blueprint("tiles", __name__)
MVT = "application/vnd.mapbox-vector-tile"
MAX_AGE = 300


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


@bp.get("/<layer>/<int:z>/<int:x>/<int:y>.pbf")
def tile(layer: str, z: int, x: int, y: int):
    _check(layer, z, x, y)
    settings = current_settings()
    flt = parse_filter(request.args, settings.timezone)
    with get_engine().begin() as conn:
        check_codes(conn, flt)
        version = data_version(conn)
        etag = hashlib.sha256(repr((layer, flt.key(), z, x, y, settings.h3_resolution, version)).encode()).hexdigest()
        if etag in request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={MAX_AGE}"})
        body = mvt.cached_tile(conn, layer, flt, z, x, y, settings.h3_resolution, version)
    resp = Response(body, mimetype=MVT)
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return resp
