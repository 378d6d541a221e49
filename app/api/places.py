"""Find the place: `GET /api/v1/places` (search by name) and `/api/v1/places/nearest` (what a pin is near).

Routes on the JSON API's blueprint (app/api/views.py); each parses through its schema, calls one function of
aduan.places and answers through its response schema. Places change rarely: public answers, cached briefly.
"""
from __future__ import annotations

from aduan import places
from app.api import schemas
from app.api.views import bp
from app.db import get_engine

CACHE = {"Cache-Control": "public, max-age=300"}


@bp.get("/places")
@bp.arguments(schemas.PlaceSearchQuery, location="query")
@bp.response(200, schemas.Places, headers={"Cache-Control": {"schema": {"type": "string"}}})
def search_places(args: dict):
    """Named places, kelurahan and kecamatan like `q` (fuzzy), best first, then nearest to lon/lat."""
    near = (args["lon"], args["lat"]) if "lon" in args else None
    with get_engine().connect() as conn:
        return {"places": places.search(conn, args["q"], near=near, limit=args["limit"])}, 200, CACHE


@bp.get("/places/nearest")
@bp.arguments(schemas.NearestPlaceQuery, location="query")
@bp.response(200, schemas.NearestPlace, headers={"Cache-Control": {"schema": {"type": "string"}}})
def nearest_place(args: dict):
    """The named place nearest to a pin (within max_m), and the landmark text for the address field."""
    with get_engine().connect() as conn:
        hit = places.nearest(conn, args["lon"], args["lat"], max_m=args["max_m"])
    label = {} if hit is None else {"label": places.landmark(hit["name"], hit["distance_m"]),
                                    "label_en": places.landmark(hit["name"], hit["distance_m"], "en")}
    return {"place": hit, "label": None, "label_en": None} | label, 200, CACHE
