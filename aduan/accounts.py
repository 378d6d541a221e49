"""Staff accounts in the database (no Flask): create, authenticate, load for a request."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, text

from aduan import passwords
from aduan.errors import Conflict, DomainError, NotFound
from aduan.models import StaffSession
from aduan.permissions import ROLES, SKPD_ROLES, StaffUser

SESSION = StaffSession.__table__

EMAIL_RE = re.compile(r"^[^@\s]{1,100}@[^@\s]{1,100}\.[^@\s]{1,40}$")


@dataclass(frozen=True)
class Account:
    """A user row with what the session check needs beside the StaffUser."""

    user: StaffUser
    password_hash: str
    active: bool


_SELECT = """
SELECT u.id, u.email, u.name, u.role, u.skpd_id, s.code AS skpd_code, u.password_hash, u.active
  FROM app_user u LEFT JOIN skpd s ON s.id = u.skpd_id
"""
_BY_EMAIL = text(_SELECT + " WHERE lower(u.email) = lower(:email)")
_BY_ID = text(_SELECT + " WHERE u.id = :id")
_BY_SESSION = text(_SELECT + " JOIN staff_session ss ON ss.user_id = u.id WHERE u.id = :id AND ss.id = :sid")


def _account(row) -> Account:
    user = StaffUser(id=row.id, email=row.email, name=row.name, role=row.role, skpd_id=row.skpd_id,
                     skpd_code=row.skpd_code)
    return Account(user=user, password_hash=row.password_hash, active=row.active)


def normalise_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively; store them lower-case and trimmed."""
    return (email or "").strip().lower()


def load_account(conn: Connection, user_id: int) -> Account | None:
    """The account behind a session, or None when it was deleted."""
    row = conn.execute(_BY_ID, {"id": user_id}).first()
    return _account(row) if row else None


def authenticate(conn: Connection, email: str, password: str) -> Account | None:
    """The active account for these credentials, or None (same answer and cost for every kind of failure)."""
    row = conn.execute(_BY_EMAIL, {"email": normalise_email(email)}).first()
    ok = passwords.verify_password(row.password_hash if row else None, password or "")
    if not (ok and row is not None and row.active):
        return None
    if passwords.needs_rehash(row.password_hash):
        conn.execute(text("UPDATE app_user SET password_hash = :h WHERE id = :id"),
                     {"h": passwords.hash_password(password), "id": row.id})
    return _account(row)


def create_user(conn: Connection, email: str, password: str, role: str, skpd_code: str | None = None,
                name: str | None = None) -> int:
    """Add a staff account after checking what the database constraints would refuse less helpfully."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise DomainError("Alamat e-mail tidak valid.", "Invalid e-mail address.", field="email")
    if role not in ROLES:
        raise DomainError(f"Peran tidak dikenal; pilih salah satu: {', '.join(ROLES)}.",
                          f"Unknown role; choose one of: {', '.join(ROLES)}.", field="role")
    if role in SKPD_ROLES and not skpd_code:
        raise DomainError(f"Peran {role} harus terikat pada SKPD (--skpd KODE).",
                          f"Role {role} must be bound to an SKPD (--skpd CODE).", field="skpd")
    problem = passwords.password_problem(password)
    if problem:
        raise DomainError(*problem, field="password")
    skpd_id = _skpd_id(conn, skpd_code) if skpd_code else None
    if conn.execute(_BY_EMAIL, {"email": email}).first():
        raise Conflict("Pengguna dengan e-mail ini sudah ada.", "A user with this e-mail already exists.",
                       field="email")
    return conn.execute(text(
        "INSERT INTO app_user (email, name, password_hash, role, skpd_id) VALUES (:e, :n, :h, :r, :s) RETURNING id"),
        {"e": email, "n": name, "h": passwords.hash_password(password), "r": role, "s": skpd_id}).scalar_one()


def skpd_id(conn: Connection, code: str) -> int:
    """The SKPD's id by code, or NotFound naming the valid codes (the admin pages' role change uses it too)."""
    return _skpd_id(conn, code)


def _skpd_id(conn: Connection, code: str) -> int:
    """The SKPD's id; a wrong code is answered with the valid ones, so the admin need not look them up."""
    found = conn.execute(text("SELECT id FROM skpd WHERE code = :c"), {"c": code.strip()}).scalar()
    if found is None:
        codes = conn.execute(text("SELECT code FROM skpd WHERE active ORDER BY code")).scalars().all()
        known_id = f"kode yang ada: {', '.join(codes)}" if codes else "belum ada SKPD (flask import-skpd)"
        known_en = f"valid codes: {', '.join(codes)}" if codes else "there are no SKPD yet (flask import-skpd)"
        raise NotFound(f"SKPD dengan kode {code!r} tidak ditemukan; {known_id}.",
                       f"No SKPD with code {code!r}; {known_en}.", field="skpd")
    return found


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(conn: Connection, user_id: int, max_age_h: int) -> str:
    """A new server-side session for `user_id`; returns the token the cookie carries (the row keeps its hash).
    Sessions older than `max_age_h` are swept on the way."""
    conn.execute(delete(SESSION).where(SESSION.c.created_at < func.now() - dt.timedelta(hours=max_age_h)))
    token = secrets.token_urlsafe(32)
    conn.execute(insert(SESSION).values(id=_session_id(token), user_id=user_id))
    return token


def session_account(conn: Connection, user_id: int, token: str | None) -> Account | None:
    """The account behind a cookie whose server-side session still exists, or None (account or session gone).
    One query: every staff request asks it."""
    if not token:
        return None
    row = conn.execute(_BY_SESSION, {"id": user_id, "sid": _session_id(token)}).first()
    return _account(row) if row else None


def close_session(conn: Connection, token: str | None) -> None:
    """End one session (logout)."""
    if token:
        conn.execute(delete(SESSION).where(SESSION.c.id == _session_id(token)))


def close_sessions(conn: Connection, user_id: int) -> int:
    """End every session of a user (password reset, account disabled); returns how many."""
    return conn.execute(delete(SESSION).where(SESSION.c.user_id == user_id)).rowcount
