"""Helpers for field and auth tests: staff users, tickets on the tiny test city, sessions with CSRF tokens.

Tickets are created with app.bulk_load (the same routing as intake). In the tiny city (tests/citykit.py):
"jalan-rusak" goes to PUPR everywhere, "sampah" to DLH in the east half (DISHUB in its corridor), "lampu-jalan" to
DISHUB. Points used below: A = (114.51, -3.39) in Kelurahan A, B = (114.53, -3.39) in Kelurahan B.
"""
from __future__ import annotations

import io
import re
from functools import cache

import pandas as pd
from PIL import Image
from sqlalchemy import Engine, text

from aduan import passwords
from aduan.bulk_load import load_complaints

PASSWORD = "rahasia-petugas-123"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@cache
def password_hash() -> str:
    """One Argon2 hash for every test user (hashing costs ~0.2 s)."""
    return passwords.hash_password(PASSWORD)


def make_user(engine: Engine, email: str, role: str, skpd: str | None = None, active: bool = True) -> int:
    """Insert a staff user with PASSWORD; returns its id."""
    with engine.begin() as c:
        return c.execute(text(
            "INSERT INTO app_user (email, name, password_hash, role, skpd_id, active) "
            "VALUES (:e, :n, :h, :r, (SELECT id FROM skpd WHERE code = :s), :a) RETURNING id"),
            {"e": email, "n": email.split("@")[0], "h": password_hash(), "r": role, "s": skpd,
             "a": active}).scalar_one()


def make_tickets(engine: Engine, settings, rows: list[tuple]) -> list[str]:
    """Load tickets: rows of (lon, lat, category, description, created_at, status); returns codes in order."""
    frame = pd.DataFrame(rows, columns=["lon", "lat", "category", "description", "created_at", "status"])
    with engine.begin() as c:
        report = load_complaints(c, frame, settings=settings)
        assert report.refused == [], report.refused
        loaded = c.execute(text("SELECT description, tracking_code FROM complaint "  # newest first: ids carry
                                "ORDER BY id % 10000000000 DESC LIMIT :n"),  # their month, then the sequence
                           {"n": len(rows)}).all()[::-1]
    # The loader inserts in created_at order; match codes back to the rows by their description.
    codes = []
    for row in rows:
        i = next(i for i, (desc, _) in enumerate(loaded) if desc == row[3])
        codes.append(loaded.pop(i)[1])
    return codes


def make_ticket(engine: Engine, settings, category: str = "jalan-rusak", status: str = "new",
                lon: float = 114.51, lat: float = -3.39, created_at: str = "2026-11-02 09:00") -> str:
    """One ticket; by default a PUPR road ticket in Kelurahan A."""
    return make_tickets(engine, settings, [(lon, lat, category, f"Uji {category} {status}", created_at, status)])[0]


def ticket_row(engine: Engine, code: str) -> dict:
    with engine.connect() as c:
        return dict(c.execute(text("SELECT * FROM complaint WHERE tracking_code = :c"), {"c": code}).mappings().one())


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    """Log in through the real form (with its CSRF token); returns the response."""
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buf, format="JPEG")
    return buf.getvalue()


def update(client, code: str, action: str, version: int = 1, **fields):
    """POST the ticket page's update form with the session's CSRF token."""
    data = {"csrf_token": csrf_token(client), "action": action, "version": str(version), **fields}
    return client.post(f"/field/aduan/{code}", data=data, content_type="multipart/form-data")
