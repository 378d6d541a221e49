"""What every answer carries, decided once: security headers, CORS for public reads, compression, cache lifetimes.

- Pages get a Content-Security-Policy that allows scripts from this server only (no inline script: the pages'
  configuration travels as a JSON data block), frames only from this site, and images from this server and the
  configured tile server; every answer gets `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`
  (the reporter's private link must not leak in a Referer). A view may set its own policy (the Folium heatmap).
- Public read-only endpoints (tiles, OGC API, Open311 GETs, the public JSON API) send CORS headers for the
  configured origins (PETA_CORS_ORIGINS, default any), so a web map elsewhere can use them; staff endpoints
  (/api/v1/nearby, field, planner pages with a session) never do.
- Text, JSON, GeoJSON, XML, CSV, JS, CSS and vector tiles are compressed (Flask-Compress: zstd, br, gzip) when the
  client accepts it; an ETag gets the encoding appended and conditional requests still answer 304.
- Static files are fingerprinted (`?v=<content hash>` added by url_for) and then cached for a year, immutable;
  without the fingerprint they must be revalidated.
"""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_compress import Compress

from app import current_settings

COMPRESSED = ["text/html", "text/css", "text/plain", "text/xml", "text/csv", "application/json",
              "application/geo+json", "application/problem+json", "application/javascript", "text/javascript",
              "application/vnd.mapbox-vector-tile", "application/vnd.oai.openapi+json", "image/svg+xml"]
PUBLIC_READS = ("/tiles/", "/ogc", "/open311/v2", "/api/v1/")
# A row id in a URL: a bigint, so an id past its range is a 404 like any missing one, not a database error.
ROW_ID = "int(min=1, max=9223372036854775807)"
STAFF_ONLY = ("/api/v1/nearby",)
STATIC_MAX_AGE = 365 * 24 * 3600


def csp(tile_url: str) -> str:
    """The pages' Content-Security-Policy; the tile server's origin may serve images."""
    tiles = urlsplit(tile_url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    tile_origin = f" {tiles.scheme}://{tiles.netloc}" if tiles.scheme and tiles.netloc else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:{tile_origin}; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def _public_read() -> bool:
    return (request.method in ("GET", "HEAD", "OPTIONS") and request.path.startswith(PUBLIC_READS)
            and not request.path.startswith(STAFF_ONLY))


def _cors(resp: Response) -> None:
    allowed = [o.strip() for o in current_settings().cors_origins.split(",") if o.strip()]
    origin = request.headers.get("Origin")
    if "*" in allowed:
        resp.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in allowed:
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.vary.add("Origin")
    else:
        return
    resp.headers["Access-Control-Expose-Headers"] = "ETag, Content-Encoding"
    if request.method == "OPTIONS":
        resp.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = "Accept, If-None-Match, Accept-Language"
        resp.headers["Access-Control-Max-Age"] = "86400"


def _headers(resp: Response) -> Response:
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if resp.mimetype == "text/html":
        resp.headers.setdefault("Content-Security-Policy", csp(current_settings().tile_url))
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if g.get("current_user") is not None:  # a staff page can show reporter contact: not left in the
            resp.headers.setdefault("Cache-Control", "private, no-store")  # browser's disk cache after logout
    if _public_read():
        _cors(resp)
    if request.endpoint == "static":
        resp.cache_control.max_age = STATIC_MAX_AGE if request.args.get("v") else 0
        resp.cache_control.public = True
        resp.cache_control.no_cache = None if request.args.get("v") else True
        if request.args.get("v"):
            resp.cache_control.immutable = True
    return resp


@cache
def _fingerprint(static_folder: str, filename: str, mtime: float) -> str:
    return hashlib.sha256((Path(static_folder) / filename).read_bytes()).hexdigest()[:12]


def _static_version(endpoint: str, values: dict) -> None:
    """url_for('static', filename=…) gets ?v=<hash of the file>, so a changed file is a new URL."""
    if endpoint != "static" or "filename" not in values or "v" in values:
        return
    path = Path(current_app.static_folder or "") / values["filename"]
    if path.is_file():
        values["v"] = _fingerprint(current_app.static_folder, values["filename"], path.stat().st_mtime)


def etag_matches(etag: str) -> bool:
    """Whether the request's If-None-Match names `etag`, with or without a content-coding suffix (":gzip")."""
    for candidate in request.if_none_match.as_set(include_weak=True):
        if candidate.split(":", 1)[0] == etag:
            return True
    return False


def validator(*depends_on: object) -> str:
    """A strong ETag from what an answer depends on (data version, parameters, the host its links name), so a
    client that holds the answer gets a 304 before any of the work is done."""
    return hashlib.sha256(repr((request.host_url, request.full_path, *depends_on)).encode()).hexdigest()[:40]


def not_modified(etag: str, cache_control: str) -> Response | None:
    """The 304 for a client whose If-None-Match already names `etag`, else None."""
    if etag_matches(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": cache_control})
    return None


def validated(resp: Response, etag: str, cache_control: str) -> Response:
    """`resp` with its validator and lifetime."""
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = cache_control
    return resp


PHOTO_CACHE = "public, no-cache"  # kept, but asked again each time: a hidden photo must not outlive its hiding


def photo_response(data: bytes, content_type: str, sha256: str) -> Response:
    """A public photo: 304 for a client that holds these bytes, else the bytes; revalidated on every use."""
    if (unchanged := not_modified(sha256, PHOTO_CACHE)) is not None:
        return unchanged
    return validated(Response(data, mimetype=content_type), sha256, PHOTO_CACHE)


def init_app(app: Flask) -> None:
    """Compression, headers and static fingerprints for every answer."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    Compress(app)
    app.after_request(_headers)
    app.url_defaults(_static_version)
