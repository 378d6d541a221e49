"""JSON API v1 (OpenAPI at /api/v1/openapi.json)."""
