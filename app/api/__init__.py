"""JSON API v1 (OpenAPI at /api/v1/openapi.json)."""
from app.api import places  # noqa: F401 - its routes join the blueprint of app/api/views.py before it is registered
