"""JSON API v1 for the citizen app, field staff and integrations; described by /api/v1/openapi.json.

Each route parses through its schema (app/api/schemas.py), calls one domain function and answers through its
response schema, so the OpenAPI document flask-smorest writes from those schemas is the contract the code keeps.
"""
from __future__ import annotations

import datetime as dt
import gzip

from flask import Flask, Response, json, request, url_for
from flask_smorest import Blueprint

from aduan import intake
from aduan.api_keys import channel_gateway
from aduan.clocks import WorkCalendar
from aduan.errors import DomainError
from aduan.permissions import can_enter
from aduan.photos import read_gps
from aduan.queries import nearby, public, reference
from aduan.ratelimit import check_submission
from aduan.tracking import normalise_code
from app import current_settings
from app.api import openapi, schemas
from app.auth.session import csrf, current_user, login_required
from app.db import get_engine, get_session, read_engine
from app.http import ROW_ID, not_modified, photo_response, validated, validator
from app.i18n import current_lang
from geo.routing import OutsideCityError, check_in_city, explain, route_point
from layers import public_map

GEOJSON = "application/geo+json"
MAP_CACHE = "public, max-age=60"  # the public map: a minute old at most, then revalidated (304 while unchanged)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint that parses with our bilingual parser and reads JSON or forms alike."""

    ARGUMENTS_PARSER = schemas.Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "json_or_form": "application/json"}


bp = ApiBlueprint("api", __name__, description="Aduan warga: kirim, lacak, dukung; petugas: aduan sekitar.")


def register(app: Flask, prefix: str) -> None:
    """Register the blueprint through flask-smorest, which documents every route from its schemas."""
    openapi.register(app, bp, prefix)


def _photos_from_request() -> list[bytes]:
    return [f.read() for f in request.files.getlist("photos") if f and f.filename]


def _geojson(doc: dict, cache: str) -> Response:
    return Response(json.dumps(doc, ensure_ascii=False), mimetype=GEOJSON, headers={"Cache-Control": cache})


@bp.post("/complaints")
@bp.arguments(schemas.NewComplaint, location="json_or_form")
@bp.doc(requestBody={"content": {"multipart/form-data": {"schema": {"allOf": [
    {"$ref": "#/components/schemas/NewComplaint"}, {"$ref": "#/components/schemas/PhotoUpload"},
    {"properties": {"accuracy_m": {"type": "number"}}}]},  # a form has no null: leave a number out instead
    "encoding": schemas.PHOTO_PARTS}}},
    parameters=[{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {
        "type": "string", "maxLength": schemas.IDEMPOTENCY_KEY_MAX},
        "description": "Retries with the same key return the first ticket"}])
@bp.response(201, schemas.Created)
@bp.alt_response(200, schema=schemas.Created, description="Same idempotency key: the existing ticket")
@bp.alt_response(413, description="Upload too large")
@bp.alt_response(422, description="Outside the city")
def create_complaint(body: dict):
    """Submit a complaint (JSON, form or multipart with up to 3 `photos`). `channel`, `channel_ref` and
    `received_at` are the desk's: from a desk session (with its CSRF token) or a channel gateway's key
    (`Authorization: Bearer <key>`); the same channel reference twice returns the first ticket."""
    settings = current_settings()
    clerk = _clerk() if schemas.has_desk_fields(body) else None
    if clerk is None:  # the desk and gateways are known; the flood limit is for anonymous senders
        check_submission(get_session(), request.remote_addr, settings.submit_limit)
    sub = schemas.submission(body, _photos_from_request(), "api", clerk)
    header = request.headers.get("Idempotency-Key")
    if header is not None and len(header) > schemas.IDEMPOTENCY_KEY_MAX:  # as the body's field, which it stands for
        raise DomainError(f"«Idempotency-Key» terlalu panjang (maksimal {schemas.IDEMPOTENCY_KEY_MAX} karakter).",
                          f"«Idempotency-Key» is too long (at most {schemas.IDEMPOTENCY_KEY_MAX} characters).",
                          field="Idempotency-Key")
    sub.idempotency_key = sub.idempotency_key or header
    result = intake.submit(get_session(), sub, settings)
    answer = {"tracking_code": result.tracking_code, "created": result.created,
              "url": url_for("citizen.track", code=result.tracking_code, _external=True),
              "routing": result.decision, "explanation": explain(result.decision, "id"),
              "explanation_en": explain(result.decision, "en")}
    return answer, 201 if result.created else 200


def _clerk() -> schemas.Clerk | None:
    """The desk clerk (session, with its CSRF token) or channel gateway (Bearer key) sending; else None."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        with get_engine().begin() as conn:
            gateway = channel_gateway(conn, auth[7:].strip())
        return None if gateway is None else schemas.Clerk(f"gateway:{gateway[0]}", None, f"gateway {gateway[1]}")
    user = current_user()
    if user is None or not can_enter(user):
        return None
    csrf.protect()  # a session cookie: the request must come from our own page
    return schemas.Clerk(f"desk:{user.id}", user.id, user.label)


@bp.get("/complaints/<code>")
@bp.response(200, schemas.Complaint)
@bp.alt_response(404, description="Unknown tracking code")
def get_complaint(code: str):
    """A complaint by tracking code: public fields and public history only."""
    with get_engine().connect() as conn:  # the primary: a client reads what it has just sent
        return _public_ticket(public.ticket(conn, normalise_code(code)))


def _public_ticket(t: dict) -> dict:
    rec = t["routing"]  # None for a confidential ticket (aduan.queries.public.redact)
    now = (t["skpd_code"], t["skpd"])
    return t | {
        "location": {"lon": t["lon"], "lat": t["lat"]} if t["lon"] is not None else None,
        "skpd": {"code": t["skpd_code"], "name": t["skpd"]},
        "routing": None if rec is None else {
            "rule": rec.get("kelurahan_rule"), "skpd_rule": rec.get("skpd_rule"), "flags": rec.get("flags"),
            "explanation": explain(rec, "id", now), "explanation_en": explain(rec, "en", now)},
        "photos": [url_for("api.get_photo", attachment_id=p, _external=True) for p in t["photos"]],
    }


@bp.post("/complaints/<code>/support")
@bp.response(200, schemas.Support)
@bp.alt_response(404, description="Unknown or closed complaint")
def support_complaint(code: str):
    """'Me too': support an open complaint instead of filing a duplicate. Once per ticket per client address in
    10 minutes (people behind one carrier address can still add theirs later), and no more supports from one
    address than complaints (PETA_SUBMIT_LIMIT): the count is public, so a script must not be able to pump it."""
    code = normalise_code(code)
    address = request.remote_addr
    check_submission(get_session(), address, current_settings().submit_limit, key="support")
    check_submission(get_session(), address, 1, key=f"support:{code}")
    return {"tracking_code": code, "supporters": intake.support(get_session(), code)}


@bp.get("/categories")
@bp.arguments(schemas.OptionalPointQuery, location="query")
@bp.response(200, schemas.Categories)
def categories(args: dict):
    """All categories, or with lon/lat only those routable there and the SKPD that would receive each."""
    s = current_settings()
    with read_engine().connect() as conn:
        if not args:
            return {"categories": reference.all_categories(conn)}
        rows = reference.categories_at(conn, args["lon"], args["lat"], tolerance_m=s.snap_tolerance_m,
                                       near_border_m=s.near_border_m)
        if rows:
            return {"categories": rows}
        try:  # nothing can be routed here: say whether that is because the pin is outside the city
            check_in_city(conn, args["lon"], args["lat"], city_name=s.city_name, tolerance_m=s.snap_tolerance_m)
        except OutsideCityError as err:
            return {"categories": [], "outside_city": True, "message": err.message_id, "message_en": err.message_en}
        return {"categories": []}


@bp.get("/route-preview")
@bp.arguments(schemas.CategoryPointQuery, location="query")
@bp.response(200, schemas.Routing)
@bp.alt_response(422, description="Outside the city")
def route_preview(args: dict):
    """The full routing decision for a point and category, without storing anything."""
    s = current_settings()
    with read_engine().connect() as conn:
        category = reference.category(conn, args["category"])
        if category is None:
            raise DomainError("Kategori tidak dikenal.", "Unknown category.", field="category")
        decision = route_point(conn, args["lon"], args["lat"], category["id"], city_name=s.city_name,
                               tolerance_m=s.snap_tolerance_m, near_border_m=s.near_border_m)
    rec = decision.as_record()
    return rec | {"explanation": explain(rec, "id"), "explanation_en": explain(rec, "en")}


@bp.get("/duplicates")
@bp.arguments(schemas.CategoryPointQuery, location="query")
@bp.response(200, schemas.Duplicates)
@bp.alt_response(404, description="Unknown category")
def duplicates(args: dict):
    """Open complaints of the same category nearby (per-category radius, last 30 days)."""
    with read_engine().connect() as conn:
        rows = public.nearby_open(conn, args["lon"], args["lat"], args["category"],
                                  srid=current_settings().metric_srid)
    return {"complaints": rows}


@bp.post("/photo-location")
@bp.doc(requestBody={"required": True, "content": {
    "multipart/form-data": {"schema": {"allOf": [{"$ref": "#/components/schemas/PhotoUpload"},
                                                 {"required": ["photos"], "properties": {"photos": {"minItems": 1}}}]},
                            "encoding": schemas.PHOTO_PARTS},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}})
@bp.response(200, schemas.PhotoLocation)
@bp.alt_response(413, description="Upload too large")
def photo_location():
    """The GPS position a camera wrote into a photo, to suggest the pin; the photo is not kept."""
    files = _photos_from_request() or ([request.get_data()] if request.content_type in
                                       ("image/jpeg", "image/png", "image/webp") else [])
    if not files:
        raise DomainError("Tidak ada foto.", "No photo sent.", field="photos")
    settings = current_settings()
    check_submission(get_session(), request.remote_addr, settings.submit_limit * 5, key="photo-location")
    gps = read_gps(files[0], settings.max_upload_bytes)
    return {"lon": gps[0], "lat": gps[1]} if gps else {"lon": None, "lat": None}


@bp.get(f"/photos/<{ROW_ID}:attachment_id>")
@bp.doc(responses={"200": {"description": "The photo (re-encoded at upload: no metadata)",
                           "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
@bp.alt_response(404, description="No such public photo")
def get_photo(attachment_id: int):
    """A public photo."""
    with read_engine().connect() as conn:
        return photo_response(*public.photo(conn, attachment_id))


@bp.get("/map-points")
@bp.arguments(schemas.MapPointsQuery, location="query")
@bp.response(200, schemas.FeatureCollection, content_type=GEOJSON)
def map_points(args: dict):
    """Non-confidential complaints as GeoJSON for the public map (sent gzip-compressed when accepted)."""
    timezone = current_settings().timezone
    with read_engine().begin() as conn:  # begin: a newly built map is kept when this commits
        at_version = public_map.version(conn, timezone)
        etag = validator(at_version)
        if (unchanged := not_modified(etag, MAP_CACHE)) is not None:
            return unchanged
        body = public_map.points_gzip(conn, timezone=timezone, status=args.get("status"), at_version=at_version)
    if request.accept_encodings["gzip"]:  # the encoding named in the validator, as flask-compress does
        resp = Response(body, mimetype=GEOJSON, headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return validated(resp, f"{etag}:gzip", MAP_CACHE)
    # a client that takes no gzip (flask-compress may still choose another coding for it)
    resp = Response(gzip.decompress(body), mimetype=GEOJSON, headers={"Vary": "Accept-Encoding"})
    return validated(resp, etag, MAP_CACHE)


@bp.get("/kelurahan.geojson")
@bp.response(200, schemas.FeatureCollection, content_type=GEOJSON)
def kelurahan_geojson():
    """Kelurahan outlines of the active boundary generation (simplified)."""
    with read_engine().connect() as conn:
        return _geojson(reference.kelurahan_outlines(conn), "public, max-age=3600")


@bp.get("/nearby")
@login_required
@bp.arguments(schemas.NearbyArgs, location="query")
@bp.response(200, schemas.FeatureCollection, content_type=GEOJSON)
@bp.alt_response(401, description="Not logged in as staff")
@bp.alt_response(422, description="Outside the city")
def nearby_tickets(args: dict):
    """Tickets near a point for a staff session (nearest first, SLA in words); gzip when accepted."""
    user, settings, now = current_user(), current_settings(), dt.datetime.now(dt.UTC)
    conn = get_session().connection()
    query = schemas.nearby_query(args, user)
    rows = nearby.find_nearby(conn, settings, user, query, now)
    cal = WorkCalendar.from_connection(conn, settings.timezone)
    return _geojson(nearby.feature_collection(rows, query, user, cal, now, current_lang()), "private, no-store")


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document of this API, generated from the schemas above."""
    return openapi.document(request.host_url.rstrip("/") + "/api/v1")
