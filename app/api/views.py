"""JSON API v1 (OpenAPI at /api/v1/openapi.json)."""
from flask import Blueprint

bp = Blueprint("api", __name__)
