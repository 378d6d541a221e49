"""What every answer carries: security headers, CORS for public reads only, compression, cache lifetimes,
conditional requests, TileJSON."""
from __future__ import annotations

import gzip
import re

import pytest

from tests.fieldkit import csrf_token, login, make_user


@pytest.mark.parametrize("path", ["/", "/lacak", "/peta", "/login", "/planner/"])
def test_pages_forbid_inline_script_and_foreign_frames(client, path):
    """A strict CSP (scripts from this server only), nosniff, frame-ancestors and a same-origin referrer."""
    resp = client.get(path)
    policy = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "frame-ancestors 'self'" in policy
    assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["Referrer-Policy"] == "same-origin"
    assert not re.search(r"<script>(?!\s*$)", resp.get_data(as_text=True))  # no inline script blocks


@pytest.mark.parametrize("path", ["/tiles/complaints/12/3290/2122.pbf", "/ogc/collections", "/api/v1/categories",
                                  "/open311/v2/services.json", "/tiles/hexbins.json"])
def test_public_reads_allow_web_maps_elsewhere(client, path):
    """Tiles, OGC, the public API and Open311 GETs carry CORS for any origin by default."""
    resp = client.get(path, headers={"Origin": "https://peta.example.org"})
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"


def test_staff_answers_never_carry_cors(client, engine):
    """The staff-only nearby endpoint sends no CORS header, logged in or not."""
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    resp = client.get("/api/v1/nearby?lon=114.51&lat=-3.39", headers={"Origin": "https://evil.example"})
    assert resp.status_code == 200 and "Access-Control-Allow-Origin" not in resp.headers


def test_configured_origins_are_echoed_and_others_refused(app, client, settings):
    """With PETA_CORS_ORIGINS set, only those origins are allowed (and named back, with Vary: Origin)."""
    import dataclasses

    app.config["SETTINGS"] = dataclasses.replace(settings, cors_origins="https://peta.example.org")
    ok = client.get("/ogc/collections", headers={"Origin": "https://peta.example.org"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://peta.example.org" and "Origin" in ok.headers["Vary"]
    other = client.get("/ogc/collections", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_text_answers_are_compressed_for_clients_that_accept_it(client):
    """A big JSON answer is gzipped (and still valid JSON) when asked; Vary names Accept-Encoding."""
    resp = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in resp.headers["Vary"]
    assert gzip.decompress(resp.data).startswith(b"{")


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    """Pages link static files with ?v=<hash>; those are immutable for a year, plain URLs must revalidate."""
    html = client.get("/").get_data(as_text=True)
    src = re.search(r'src="(/static/js/common\.js\?v=[0-9a-f]{12})"', html).group(1)
    resp = client.get(src)
    assert resp.status_code == 200 and "max-age=31536000" in resp.headers["Cache-Control"]
    assert "immutable" in resp.headers["Cache-Control"]
    assert "no-cache" in client.get("/static/js/common.js").headers["Cache-Control"]


def test_a_tile_revalidates_with_its_etag_even_after_compression(client):
    """If-None-Match with the ETag as sent (with or without its ':gzip' suffix, or weak) answers 304."""
    first = client.get("/tiles/complaints/12/3290/2122.pbf")
    etag = first.headers["ETag"].strip('"')
    for sent in (f'"{etag}"', f'W/"{etag}"', f'"{etag}:gzip"'):
        assert client.get("/tiles/complaints/12/3290/2122.pbf", headers={"If-None-Match": sent}).status_code == 304


def test_tilejson_describes_each_tile_layer(client):
    """/tiles/{layer}.json: TileJSON 3 with the tile URL (filters kept), bounds, zooms and the layer's fields."""
    doc = client.get("/tiles/complaints.json?category=sampah").get_json()
    assert doc["tilejson"] == "3.0.0" and doc["tiles"][0].endswith("/tiles/complaints/{z}/{x}/{y}.pbf?category=sampah")
    assert doc["vector_layers"][0]["id"] == "complaints" and len(doc["bounds"]) == 4
    assert client.get("/tiles/nope.json").status_code == 404


def test_the_heatmap_page_alone_may_run_foliums_inline_script(client):
    """The Folium heatmap needs inline script; its policy allows that, still no foreign origin."""
    policy = client.get("/planner/heat").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy and "frame-ancestors 'self'" in policy


@pytest.mark.parametrize("path", ["/ogc/collections/complaints/items?limit=5", "/ogc/collections/hexbins/items",
                                  "/planner/layers/choropleth.geojson"])
def test_features_and_layers_answer_304_until_the_data_changes(client, path):
    """A GIS client revalidating an unchanged layer gets 304 without the work; a new complaint changes the
    validator, so the next revalidation gets the new data."""
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "max-age=60" in first.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    created = client.post("/api/v1/complaints", json={"category": "jalan-rusak", "lon": 114.51, "lat": -3.39,
                                                      "description": "Jalan berlubang baru di depan pasar"})
    assert created.status_code == 201
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_a_photo_is_revalidated_so_hiding_it_reaches_every_cache(client, engine):
    """Photos carry their hash as validator and `no-cache`: a holder gets 304 while it is public, 404 once the
    desk hides it (a day-long max-age kept hidden photos in browsers and proxies)."""
    import io

    from sqlalchemy import text

    from tests.fieldkit import jpeg_bytes

    form = {"category": "jalan-rusak", "description": "Lubang dengan foto", "lon": "114.51", "lat": "-3.39",
            "photos": (io.BytesIO(jpeg_bytes()), "a.jpg")}
    code = client.post("/api/v1/complaints", data=form, content_type="multipart/form-data").get_json()["tracking_code"]
    with engine.connect() as c:
        photo_id = c.execute(text("SELECT a.id FROM attachment a JOIN complaint c ON c.id = a.complaint_id "
                                  "WHERE c.tracking_code = :c"), {"c": code}).scalar_one()
    for path in (f"/api/v1/photos/{photo_id}", f"/open311/v2/media/{photo_id}.jpg"):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "public, no-cache" and first.data
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and not again.data
    with engine.begin() as c:
        c.execute(text("UPDATE attachment SET public = false WHERE id = :i"), {"i": photo_id})
    for path in (f"/api/v1/photos/{photo_id}", f"/open311/v2/media/{photo_id}.jpg"):
        assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 404


def test_a_staff_answer_names_its_user_and_no_other_answer_does(client, engine):
    """X-Peta-User (which the field service worker files answers under) is on what a logged-in member gets, with
    their own id, and on nothing an anonymous visitor gets."""
    for path in ("/field/sekitar", "/api/v1/map-points", "/"):
        assert "X-Peta-User" not in client.get(path).headers, path
    uid = make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    for path in ("/field/sekitar", "/api/v1/nearby?lon=114.51&lat=-3.39"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["X-Peta-User"] == str(uid), path
        assert "Cookie" in r.headers["Vary"]
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")}).status_code in (302, 303)
    assert "X-Peta-User" not in client.get("/field/sekitar").headers


def test_a_page_shown_to_staff_is_not_kept_in_the_browsers_cache(client, engine, settings):
    """A ticket page can hold reporter contact: `private, no-store`, so the disk cache does not keep it after
    logout (the field app's own offline copies are in a cache per user, deleted at logout). Public pages for
    anonymous visitors are not affected."""
    from tests.fieldkit import make_ticket

    code = make_ticket(engine, settings)
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    make_user(engine, "andi@pupr.test", "officer", "PUPR")
    login(client, "andi@pupr.test")
    for path in (f"/field/aduan/{code}", "/field/antrian", "/field/sekitar?lon=114.51&lat=-3.39"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "private, no-store", path
