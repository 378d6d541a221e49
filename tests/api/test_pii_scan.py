"""A PII scan of every public output: each GET route the app has, asked anonymously with real values for its
parameters, in every format — pages, JSON, XML, GeoJSON, CSV, GeoPackage, photos and decoded vector tiles — holds
no reporter's name, phone or e-mail, no follower's address, and nothing of a confidential ticket but its status
and agency. A new route fails this test until it is given values here (or a reason to leave it out)."""
from __future__ import annotations

import io
import math
import re
from urllib.parse import quote

import mapbox_vector_tile
import pytest
from PIL import Image
from sqlalchemy import text

from aduan.accounts import load_account
from aduan.workflow import Change, apply
from layers import catalog, mvt
from tests.fieldkit import make_user
from tests.planner_data import PII, city_data  # noqa: F401 - the fixture, by name

REPORTER = {"name": "Bambang Sutejo Rahasia", "phone": "0812-7777-3141", "email": "Bambang.Rahasia@contoh.test"}
FOLLOWER = "tetangga.pengikut@contoh.test"
SECRET_TEXT = "Tetangga nomor tujuh memukul anjing"
SECRET_AT = (114.50432, -3.38765)
MVT = "application/vnd.mapbox-vector-tile"
# Routes no anonymous client can reach with values worth scanning, and why.
NOT_SCANNED = {
    "/balas/<token>": "the reporter's own private page (the link is theirs alone); tested in test_reporter_loop",
    "/static/<path:filename>": "files of the repository, no data",
    "/open311/v2/<path:rest>": "Open311's answer for unknown paths: a fixed 404 document",
}


def _variants(contact: dict) -> list[str]:
    """The ways contact data could show: as typed, lowercased, and the phone with its formatting dropped."""
    digits = re.sub(r"\D", "", contact["phone"])
    return [contact["name"], contact["email"], contact["email"].lower(), contact["phone"], digits,
            "62" + digits.lstrip("0"), "+62" + digits.lstrip("0")]


def _photo() -> bytes:
    """A JPEG whose EXIF names the reporter and their home position (re-encoding must drop both)."""
    img = Image.new("RGB", (64, 48), "green")
    exif = Image.Exif()
    exif[0x013B] = REPORTER["name"]  # Artist
    exif[0x010E] = REPORTER["phone"]  # ImageDescription
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


@pytest.fixture
def tickets(app, client, engine, settings, city_data):  # noqa: F811 - the fixture, by name
    """Besides the sample data: a named reporter with a photo and a follower, and a confidential ticket."""
    r = client.post("/lapor", data={"category": "jalan-rusak", "description": "Lubang besar dekat jembatan",
                                    "lon": "114.515", "lat": "-3.39", "anonymous": "0", "idempotency_key": "pii-1",
                                    **REPORTER, "photos": (io.BytesIO(_photo()), "rumah.jpg")},
                    content_type="multipart/form-data")
    named = r.headers["Location"].split("/lacak/")[1].split("?")[0]
    with engine.begin() as c:
        c.execute(text("UPDATE category SET confidential = true WHERE code = 'lampu-jalan'"))
    try:
        r = client.post("/lapor", data={"category": "lampu-jalan", "description": SECRET_TEXT, "anonymous": "0",
                                        "lon": str(SECRET_AT[0]), "lat": str(SECRET_AT[1]),
                                        "address": "Gang Rahasia 7", "idempotency_key": "pii-2", **REPORTER})
        secret = r.headers["Location"].split("/lacak/")[1].split("?")[0]
        assert client.post(f"/lacak/{named}/ikuti", data={"email": FOLLOWER}).status_code == 200
        uid = make_user(engine, "meja.pii@kominfo.test", "admin")
        with engine.begin() as c:
            follower_token = c.execute(text("SELECT token FROM follower")).scalar_one()
            c.execute(text("UPDATE follower SET confirmed_at = now()"))
            user = load_account(c, uid).user
            apply(c, settings, user, named, Change("start", 1, note="Tim berangkat ke lokasi", public=True))
            apply(c, settings, user, secret, Change("start", 1, note="Ditangani petugas", public=True))
        with engine.connect() as c:
            photo_ids = c.execute(text("SELECT id FROM attachment ORDER BY id")).scalars().all()
        yield {"named": named, "secret": secret, "pii_code": city_data["pii_code"], "photos": photo_ids,
               "follower_token": follower_token}
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE category SET confidential = false WHERE code = 'lampu-jalan'"))


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The web-mercator tile (z, x, y) holding a point."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def _tiles() -> list[tuple[int, int, int]]:
    """Tiles over both tickets' points at every other zoom a client asks for."""
    return sorted({_tile(lon, lat, z) for z in range(0, mvt.MAX_ZOOM + 1, 2) for lon, lat in ((114.515, -3.39),
                                                                                              SECRET_AT)})


def _urls(app, t: dict) -> list[str]:
    """Every anonymous GET the app offers, with values that reach the tickets above."""
    codes = [t["named"], t["secret"], t["pii_code"]]
    values = {
        "code": codes, "fid": codes, "token": [t["follower_token"]], "attachment_id": t["photos"],
        "photo_id": t["photos"], "cid": ["complaints", "kelurahan", "kecamatan", "hexbins", "hotspots"],
        "layer": list(mvt.LAYERS), "name": ["complaints", *catalog.LAYERS], "ext": ["jpg"],
        "fmt": ["json", "xml", "geojson", "csv", "gpkg"],
    }
    extra = {  # query strings that open up more of a route
        "/open311/v2/requests.<fmt>": ["", "?extensions=true", f"?service_request_id={','.join(codes)}"
                                       "&extensions=true", "?status=open,closed&extensions=true"],
        "/open311/v2/requests/<code>.<fmt>": ["", "?extensions=true"],
        "/open311/v2/servicerequestupdates.<fmt>": ["?start_date=2000-01-01T00:00:00Z&extensions=true"],
        "/ogc/collections/<cid>/items": ["?limit=10000"],
        "/api/v1/duplicates": [f"?lon={SECRET_AT[0]}&lat={SECRET_AT[1]}&category=lampu-jalan",
                               "?lon=114.515&lat=-3.39&category=jalan-rusak"],
        "/api/v1/route-preview": ["?lon=114.515&lat=-3.39&category=jalan-rusak"],
        "/api/v1/nearby": ["?lon=114.515&lat=-3.39"],
        "/field/sekitar": ["?lon=114.515&lat=-3.39"],
        # Find the place: searched for what a leak would hold (names, the confidential address), and at its pin.
        "/api/v1/places": ["?q=Bambang", "?q=Gang%20Rahasia", f"?q=kelurahan&lon={SECRET_AT[0]}&lat={SECRET_AT[1]}"],
        "/api/v1/places/nearest": [f"?lon={SECRET_AT[0]}&lat={SECRET_AT[1]}", "?lon=114.515&lat=-3.39"],
    }
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule in NOT_SCANNED:
            continue
        if rule.rule.startswith("/tiles/<layer>/<int:z>"):
            urls += [f"/tiles/{layer}/{z}/{x}/{y}.pbf" for layer in mvt.LAYERS for z, x, y in _tiles()]
            continue
        built = [rule.rule]
        for arg in rule.arguments:
            assert arg in values, f"{rule.rule}: give the PII scan values for <{arg}> (or a reason to skip it)"
            built = [re.sub(rf"<(\w+:)?{arg}>", quote(str(v)), u) for u in built for v in values[arg]]
        urls += [u + q for u in built for q in extra.get(rule.rule, [""])]
    return urls


def _leaks(body: bytes, mimetype: str, t: dict) -> list[str]:
    """What of the protected data a body holds (tiles decoded as well as read raw)."""
    raw = body.decode("utf-8", "replace")
    if mimetype == MVT:
        raw += repr(mapbox_vector_tile.decode(body))
    found = [v for v in _variants(REPORTER) + _variants(PII) + [FOLLOWER, "Gang Rahasia", SECRET_TEXT] if v in raw]
    if t["secret"] in raw:  # confidential: its code may only lead to status and agency — never its place
        found += [f"{t['secret']} with its position" for c in ("114.50432", "-3.38765") if c in raw]
    return found


def test_no_public_output_holds_contact_data_or_confidential_content(app, tickets):
    client = app.test_client()  # anonymous
    leaks, answered = {}, 0
    urls = _urls(app, tickets)
    for url in urls:
        resp = client.get(url)
        assert resp.status_code < 500, url
        answered += resp.status_code == 200
        if found := _leaks(resp.get_data(), resp.mimetype, tickets):
            leaks[url] = found
    assert not leaks
    assert answered > len(urls) // 2  # the scan reached data, not a wall of 404s


def test_the_scan_reaches_the_named_ticket_in_every_kind_of_output(app, tickets):
    """The scan above would be empty praise if the tickets were not there: each kind of output shows the named
    ticket (so the same request would show its reporter's data if it leaked)."""
    client = app.test_client()
    for url in (f"/lacak/{tickets['named']}", f"/api/v1/complaints/{tickets['named']}",
                f"/open311/v2/requests/{tickets['named']}.xml?extensions=true",
                "/ogc/collections/complaints/items?limit=10000", "/planner/export/complaints.csv",
                "/planner/export/complaints.gpkg", "/api/v1/map-points"):
        assert tickets["named"].encode() in client.get(url).get_data(), url
    z, x, y = _tiles()[-1]
    tile = mapbox_vector_tile.decode(client.get(f"/tiles/complaints/{z}/{x}/{y}.pbf").get_data())
    assert tickets["named"] in repr(tile)


def test_follower_messages_hold_no_reporter_data(tickets, engine):
    """What a follower receives tells the step, never who reported it."""
    with engine.connect() as c:
        bodies = c.execute(text("SELECT subject || body FROM outbox WHERE recipient = 'follower'")).scalars().all()
    assert bodies and not [b for b in bodies if any(v in b for v in _variants(REPORTER))]
