"""JSON API v1 for the citizen app and integrations; described by /api/v1/openapi.json."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import text

from aduan import intake
from aduan.errors import DomainError
from aduan.photos import process_photo
from aduan.queries import public, reference
from aduan.ratelimit import check_submission
from aduan.tracking import normalise_code
from app.api.openapi import openapi_document
from app.db import get_engine, get_session
from app.serialize import jsonable
from geo.routing import explain, route_point

bp = Blueprint("api", __name__)


def _settings():
    return current_app.config["SETTINGS"]


def _json(value: object, status: int = 200) -> Response:
    resp = jsonify(jsonable(value, _settings().timezone))
    resp.status_code = status
    return resp


def _photos_from_request() -> list[bytes]:
    return [f.read() for f in request.files.getlist("photos") if f and f.filename]


@bp.post("/complaints")
def create_complaint():
    """Submit a complaint (JSON, form or multipart with up to 3 `photos`)."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if data is None:
        raise DomainError("Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON.")
    check_submission(get_engine(), request.remote_addr, _settings().submit_limit)
    sub = intake.submission_from_mapping(data, _photos_from_request(), channel="api")
    sub.idempotency_key = sub.idempotency_key or request.headers.get("Idempotency-Key")
    result = intake.submit(get_session(), sub, _settings())
    body = {"tracking_code": result.tracking_code, "created": result.created,
            "url": url_for("citizen.track", code=result.tracking_code, _external=True),
            "routing": result.decision, "explanation": explain(result.decision, "id"),
            "explanation_en": explain(result.decision, "en")}
    return _json(body, 201 if result.created else 200)


@bp.get("/complaints/<code>")
def get_complaint(code: str):
    """A complaint by tracking code: public fields and public history only."""
    with get_engine().connect() as conn:
        t = public.ticket(conn, normalise_code(code))
    return _json(_public_ticket(t))


def _public_ticket(t: dict) -> dict:
    rec = t["routing"]  # None for a confidential ticket (aduan.queries.public.redact)
    return {
        "tracking_code": t["tracking_code"], "status": t["status"], "category": t["category"],
        "category_name": t["category_name"], "category_name_en": t["category_name_en"],
        "description": t["description"], "address": t["address"],
        "location": {"lon": t["lon"], "lat": t["lat"]} if t["lon"] is not None else None,
        "kelurahan": t["kelurahan"], "kecamatan": t["kecamatan"],
        "skpd": {"code": t["skpd_code"], "name": t["skpd"]},
        "routing": None if rec is None else {
            "rule": rec.get("kelurahan_rule"), "skpd_rule": rec.get("skpd_rule"), "flags": rec.get("flags"),
            "explanation": explain(rec, "id"), "explanation_en": explain(rec, "en")},
        "created_at": t["created_at"], "updated_at": t["updated_at"],
        "followup_due_at": t["followup_due_at"], "handling_due_at": t["handling_due_at"],
        "followed_up_at": t["followed_up_at"], "resolved_at": t["resolved_at"], "closed_at": t["closed_at"],
        "supporters": t["supporters"], "duplicate_of": t["duplicate_of"],
        "photos": [url_for("api.get_photo", attachment_id=p, _external=True) for p in t["photos"]],
        "history": [{k: h[k] for k in ("kind", "from_status", "to_status", "note", "created_at")}
                    for h in t["history"]],
    }


@bp.post("/complaints/<code>/support")
def support_complaint(code: str):
    """'Me too': support an open complaint instead of filing a duplicate."""
    return _json({"tracking_code": normalise_code(code),
                  "supporters": intake.support(get_session(), normalise_code(code))})


@bp.get("/categories")
def categories():
    """All categories, or with lon/lat only those routable there and the SKPD that would receive each."""
    s = _settings()
    with get_engine().connect() as conn:
        if request.args.get("lon") is None and request.args.get("lat") is None:
            return _json({"categories": reference.all_categories(conn)})
        rows = reference.categories_at(conn, request.args.get("lon"), request.args.get("lat"),
                                    tolerance_m=s.snap_tolerance_m, near_border_m=s.near_border_m)
    return _json({"categories": rows})


@bp.get("/route-preview")
def route_preview():
    """The full routing decision for a point and category, without storing anything."""
    s = _settings()
    category = request.args.get("category", "")
    with get_engine().connect() as conn:
        cat_id = conn.execute(text("SELECT id FROM category WHERE code = :c"), {"c": category}).scalar()
        if cat_id is None:
            raise DomainError("Kategori tidak dikenal.", "Unknown category.", field="category")
        d = route_point(conn, request.args.get("lon"), request.args.get("lat"), cat_id, city_name=s.city_name,
                        tolerance_m=s.snap_tolerance_m, near_border_m=s.near_border_m)
    rec = d.as_record()
    return _json(rec | {"explanation": explain(rec, "id"), "explanation_en": explain(rec, "en")})


@bp.get("/duplicates")
def duplicates():
    """Open complaints of the same category nearby (per-category radius, last 30 days)."""
    with get_engine().connect() as conn:
        rows = public.nearby_open(conn, request.args.get("lon"), request.args.get("lat"),
                                  request.args.get("category", ""), srid=_settings().metric_srid)
    return _json({"complaints": rows})


@bp.post("/photo-location")
def photo_location():
    """The GPS position a camera wrote into a photo, to suggest the pin; the photo is not kept."""
    files = _photos_from_request() or ([request.get_data()] if request.content_type in
                                       ("image/jpeg", "image/png", "image/webp") else [])
    if not files:
        raise DomainError("Tidak ada foto.", "No photo sent.", field="photos")
    gps = process_photo(files[0], _settings().max_upload_bytes).gps
    return _json({"lon": gps[0], "lat": gps[1]} if gps else {"lon": None, "lat": None})


@bp.get("/photos/<int:attachment_id>")
def get_photo(attachment_id: int):
    """A public photo (re-encoded at upload: no metadata)."""
    with get_engine().connect() as conn:
        data, content_type = public.photo(conn, attachment_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/map-points")
def map_points():
    """Non-confidential complaints as GeoJSON for the public map."""
    status = request.args.get("status")
    if status not in (None, "open", "closed"):
        raise DomainError("Status harus 'open' atau 'closed'.", "status must be 'open' or 'closed'.", field="status")
    with get_engine().connect() as conn:
        rows = public.map_points(conn, status=status)
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": {k: r[k] for k in ("tracking_code", "status", "category", "name_id", "name_en",
                                                  "created_at")}} for r in rows]
    return _json({"type": "FeatureCollection", "features": features})


@bp.get("/kelurahan.geojson")
def kelurahan_geojson():
    """Kelurahan outlines of the active boundary generation (simplified)."""
    with get_engine().connect() as conn:
        body = reference.kelurahan_outlines(conn)
    resp = _json(body)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    resp.mimetype = "application/geo+json"
    return resp


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(request.host_url.rstrip("/") + "/api/v1"))
