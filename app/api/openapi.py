"""The OpenAPI document of /api/v1, written by flask-smorest (apispec) from the schemas the routes parse with.

The document is served relative to its server (`servers: [{url: …/api/v1}]`, paths without the prefix), and
error answers are documented as what they are: problem details (application/problem+json).
"""
from __future__ import annotations

from flask import Flask, current_app
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from app.api import schemas

API_PREFIX_CONFIG = {
    "API_TITLE": "Peta Aduan API",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.1.0",
}
DESCRIPTION = ("Complaints by pin for Indonesian cities. Reporter contact data never appears in any response. "
               "Errors are problem details with Indonesian (`detail`) and English (`detail_en`) text.")


class Problem(Schema):
    """RFC 9457 problem details, the Indonesian text first."""

    type = fields.String()
    title = fields.String(metadata={"description": "A stable code, e.g. outside_city"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "Indonesian"})
    detail_en = fields.String(metadata={"description": "English"})
    field = fields.String(metadata={"description": "The input at fault"})


class _Api(Api):
    ERROR_SCHEMA = Problem


def register(app: Flask, bp: Blueprint, prefix: str) -> None:
    """Register `bp` through flask-smorest (no documentation pages of its own: the JSON document is served)."""
    for key, value in API_PREFIX_CONFIG.items():
        app.config.setdefault(key, value)
    api = _Api(app, spec_kwargs={"info": {"description": DESCRIPTION}})
    api.spec.components.schema("NewComplaint", schema=schemas.NewComplaint)
    api.spec.components.schema("PhotoUpload", schema=schemas.PhotoUpload)
    api.register_blueprint(bp, url_prefix=prefix)
    app.extensions["api_v1"] = {"spec": api.spec, "prefix": prefix}


def document(server_url: str) -> dict:
    """The document for clients of `server_url` (the API's base)."""
    ext = current_app.extensions["api_v1"]
    doc = ext["spec"].to_dict()
    paths = {path.removeprefix(ext["prefix"]) or "/": item for path, item in doc["paths"].items()}
    for response in doc.get("components", {}).get("responses", {}).values():
        content = response.get("content", {})
        if "application/json" in content:
            content["application/problem+json"] = content.pop("application/json")
    return {**doc, "servers": [{"url": server_url}], "paths": paths}
