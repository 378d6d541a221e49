"""OGC API – Features for QGIS and other GIS clients: each route parses, calls one function, serialises."""
from __future__ import annotations

from flask import Blueprint, Response, json, request

from aduan.errors import NotFound
from app import current_settings
from app.db import read_engine
from app.errors import Answer
from app.http import not_modified, validated, validator
from app.ogc import documents as features
from app.ogc import openapi
from app.ogc.params import CRS84, ItemsQuery, check_crs, check_known, parse_items
from layers.cache import data_version

bp = Blueprint("ogc", __name__)
CACHE = "public, max-age=60"  # a client revalidates after a minute; unchanged data answers 304


def _base() -> str:
    """Links are built from the host the client used (plain http on a local install)."""
    return request.host_url.rstrip("/") + "/ogc"


def _send(doc: dict, mimetype: str = features.JSON, status: int = 200) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), status=status, mimetype=mimetype)


def _features(doc: dict, etag: str) -> Response:
    """Features with the CRS their coordinates are in (Part 2's Content-Crs header) and their validators."""
    resp = _send(doc, features.GEOJSON)
    resp.headers["Content-Crs"] = f"<{CRS84}>"
    return validated(resp, etag, CACHE)


def error_shape(answer: Answer) -> Response:
    """OGC API's exception document: a code from the standard's vocabulary and the description (id, en)."""
    code = {404: "NotFound", 503: "ServiceUnavailable"}.get(answer.status, "InvalidParameterValue")
    if answer.status >= 500 and answer.status != 503:
        code = "ServerError"
    doc = {"code": code, "description": answer.message_id, "description_en": answer.message_en}
    if answer.field:
        doc["parameter"] = answer.field  # which query parameter was refused, for clients that show it
    resp = _send(doc, status=answer.status)
    resp.headers.update(answer.headers)
    return resp


@bp.get("")
@bp.get("/")
def landing():
    check_known(request.args, frozenset())
    return _send(features.landing(_base(), current_settings().city_name))


@bp.get("/api")
def service_desc():
    check_known(request.args, frozenset())
    return _send(openapi.document(_base()), features.OPENAPI)


@bp.get("/conformance")
def conformance():
    check_known(request.args, frozenset())
    return _send(features.conformance())


@bp.get("/collections")
def collections():
    check_known(request.args, frozenset())
    with read_engine().connect() as conn:
        return _send(features.collections(conn, _base()))


@bp.get("/collections/<cid>")
def collection(cid: str):
    check_known(request.args, frozenset())
    with read_engine().connect() as conn:
        return _send(features.collection(conn, _base(), cid))


@bp.get("/collections/<cid>/items")
def items(cid: str):
    settings = current_settings()
    query = parse_items(request.args, features.get_collection(cid).queryables, settings.timezone,
                        cursor_paging=cid == "complaints")
    with read_engine().begin() as conn:  # begin: a computed layer is cached on commit
        etag = validator(data_version(conn), settings.h3_resolution)
        if (unchanged := not_modified(etag, CACHE)) is not None:
            return unchanged
        feats, matched = features.fetch(conn, cid, query, settings)
    doc = features.items_document(_base(), cid, request.args.to_dict(), query, feats, matched)
    return _features(doc, etag)


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    check_known(request.args, frozenset({"crs"}))
    check_crs(request.args)
    settings = current_settings()
    with read_engine().begin() as conn:
        etag = validator(data_version(conn), settings.h3_resolution)
        if (unchanged := not_modified(etag, CACHE)) is not None:
            return unchanged
        feats, _ = features.fetch(conn, cid, ItemsQuery(limit=1), settings, fid=fid)
    if not feats:
        raise NotFound(f"Fitur '{fid}' tidak ada di '{cid}'.", f"Feature '{fid}' not in '{cid}'.")
    return _features(features.item_document(_base(), cid, feats[0]), etag)
