"""The OpenAPI 3.1 document for /api/v1: written by hand so it says what the API promises, not what it happens to do."""
from __future__ import annotations

PROBLEM = {"description": "Problem details (RFC 9457) with `detail` in Indonesian and `detail_en` in English",
           "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _q(name: str, desc: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": desc,
            "schema": schema or {"type": "string"}}


LON = _q("lon", "Longitude (WGS 84)", True, {"type": "number", "minimum": -180, "maximum": 180})
LAT = _q("lat", "Latitude (WGS 84)", True, {"type": "number", "minimum": -90, "maximum": 90})
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "Tracking code, e.g. BJM-2611-8K3Q7X"}


def openapi_document(server_url: str) -> dict:
    """The document, with the server URL of the current request."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Peta Aduan API", "version": "1.0.0",
                 "description": "Complaints by pin for Indonesian cities. Reporter contact data never appears "
                                "in any response. Errors are problem details with Indonesian and English text."},
        "servers": [{"url": server_url}],
        "paths": {
            "/complaints": {"post": {
                "summary": "Submit a complaint", "operationId": "createComplaint",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                "schema": {"type": "string", "maxLength": 100},
                                "description": "Retries with the same key return the first ticket (200)"}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/NewComplaint"}},
                    "multipart/form-data": {"schema": {"allOf": [
                        {"$ref": "#/components/schemas/NewComplaint"},
                        {"type": "object", "properties": {"photos": {"type": "array", "maxItems": 3, "items": {
                            "type": "string", "format": "binary"}}}}]}}}},
                "responses": {"201": {"description": "Created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Created"}}}},
                    "200": {"description": "Same idempotency key: the existing ticket", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Created"}}}},
                    "400": PROBLEM, "413": PROBLEM, "422": PROBLEM}}},
            "/complaints/{code}": {"get": {
                "summary": "A complaint by tracking code (public fields)", "operationId": "getComplaint",
                "parameters": [CODE],
                "responses": {"200": {"description": "The complaint", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Complaint"}}}}, "404": PROBLEM}}},
            "/complaints/{code}/support": {"post": {
                "summary": "Support an open complaint instead of filing a duplicate", "operationId": "support",
                "parameters": [CODE],
                "responses": {"200": {"description": "New supporter count", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"tracking_code": {"type": "string"},
                                                                "supporters": {"type": "integer"}}}}}},
                              "404": PROBLEM}}},
            "/categories": {"get": {
                "summary": "Categories; with lon/lat only those routable there, with the receiving SKPD",
                "operationId": "categories",
                "parameters": [LON | {"required": False}, LAT | {"required": False}],
                "responses": {"200": {"description": "Categories", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"categories": {"type": "array", "items": {
                        "type": "object"}}}}}}}, "400": PROBLEM, "422": PROBLEM}}},
            "/route-preview": {"get": {
                "summary": "The routing decision for a point and category, without storing anything",
                "operationId": "routePreview",
                "parameters": [LON, LAT, _q("category", "Category (Open311 service_code)", True)],
                "responses": {"200": {"description": "Decision", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Routing"}}}}, "400": PROBLEM, "422": PROBLEM}}},
            "/duplicates": {"get": {
                "summary": "Open complaints of the same category nearby (last 30 days, per-category radius)",
                "operationId": "duplicates", "parameters": [LON, LAT, _q("category", "Category code", True)],
                "responses": {"200": {"description": "Nearby open complaints"}, "400": PROBLEM, "404": PROBLEM}}},
            "/photo-location": {"post": {
                "summary": "GPS position recorded in a photo's EXIF, to suggest the pin (the photo is not kept)",
                "operationId": "photoLocation",
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
                    "photos": {"type": "string", "format": "binary"}}}}}},
                "responses": {"200": {"description": "lon/lat or nulls"}, "400": PROBLEM, "413": PROBLEM}}},
            "/photos/{id}": {"get": {
                "summary": "A public photo", "operationId": "getPhoto",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "JPEG", "content": {"image/jpeg": {}}}, "404": PROBLEM}}},
            "/map-points": {"get": {
                "summary": "Non-confidential complaints (GeoJSON) for the public map", "operationId": "mapPoints",
                "parameters": [_q("status", "open or closed", schema={"enum": ["open", "closed"]})],
                "responses": {"200": {"description": "FeatureCollection",
                                      "content": {"application/geo+json": {}}}, "400": PROBLEM}}},
            "/kelurahan.geojson": {"get": {
                "summary": "Simplified kelurahan outlines of the active boundaries", "operationId": "kelurahan",
                "responses": {"200": {"description": "FeatureCollection",
                                      "content": {"application/geo+json": {}}}}}},
        },
        "components": {"schemas": {
            "Problem": {"type": "object", "properties": {
                "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                "detail_en": {"type": "string"}, "field": {"type": "string"}}},
            "NewComplaint": {"type": "object", "required": ["category", "description", "lon", "lat"],
                             "properties": {
                "category": {"type": "string"}, "description": {"type": "string", "minLength": 3, "maxLength": 5000},
                "lon": {"type": "number"}, "lat": {"type": "number"}, "accuracy_m": {"type": "number"},
                "address": {"type": "string"}, "name": {"type": "string"}, "phone": {"type": "string"},
                "email": {"type": "string", "format": "email"}, "anonymous": {"type": "boolean"},
                "idempotency_key": {"type": "string"}}},
            "Routing": {"type": "object", "properties": {
                "kelurahan_code": {"type": "string"}, "kelurahan_name": {"type": "string"},
                "kecamatan_code": {"type": "string"}, "kecamatan_name": {"type": "string"},
                "kelurahan_rule": {"enum": ["covers", "overlap", "snapped"]},
                "service_area_name": {"type": ["string", "null"]}, "skpd_code": {"type": "string"},
                "skpd_name": {"type": "string"}, "skpd_rule": {"enum": ["service_area", "category_default"]},
                "flags": {"type": "array", "items": {"enum": ["overlap", "snapped", "near_border"]}},
                "snapped_m": {"type": ["number", "null"]}, "explanation": {"type": "string"},
                "explanation_en": {"type": "string"}}},
            "Created": {"type": "object", "properties": {
                "tracking_code": {"type": "string"}, "created": {"type": "boolean"}, "url": {"type": "string"},
                "routing": {"$ref": "#/components/schemas/Routing"}}},
            "Complaint": {"type": "object", "properties": {
                "tracking_code": {"type": "string"},
                "status": {"enum": ["new", "verified", "in_progress", "resolved", "closed", "rejected", "duplicate"]},
                "category": {"type": "string"}, "description": {"type": "string"},
                "followup_due_at": {"type": "string", "format": "date-time"},
                "handling_due_at": {"type": "string", "format": "date-time"},
                "history": {"type": "array", "items": {"type": "object"}}}},
        }},
    }
