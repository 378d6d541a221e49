"""The admin pages' core (no Flask): who may open them, and the audit log every admin change writes.

Who may do what on /admin (checked on the server for every page and action):
- `admin` does everything;
- `skpd_admin` opens only their own SKPD's details page and edits only its names and e-mail address;
- everyone else (officer, planner, desk) gets 403.

Every change made here calls `audit()` on the connection that makes the change, so the row is committed or rolled
back with it. The detail says what changed (before/after); it never holds a password or an API key.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from aduan.errors import DomainError
from aduan.models import AuditLog
from aduan.permissions import StaffUser

AUDIT = AuditLog.__table__
PAGE_SIZE = 50
SKPD_SELF_FIELDS = ("name", "name_en", "email")  # what an SKPD admin may change about their own SKPD


@dataclass(frozen=True)
class Actor:
    """The admin making a change, and the address the request came from (for the audit log)."""

    user: StaffUser
    client: str | None = None


# The city's sysadmin at the server's console (`flask` commands): an administrator with no account, audited as
# "console" (the audit log's actor_user_id is then empty).
CONSOLE = Actor(StaffUser(id=None, email="console", name="konsol server / server console",  # type: ignore[arg-type]
                          role="admin", skpd_id=None), client="console")


def changes(before: dict | None, after: dict) -> dict:
    """{field: {"before": old, "after": new}} for what differs: the audit detail of an edit."""
    before = before or {}
    return {k: {"before": _plain(before.get(k)), "after": _plain(v)} for k, v in after.items()
            if _plain(before.get(k)) != _plain(v)}


def _plain(value: object) -> object:
    return value if value is None or isinstance(value, bool | int | float | str | list | dict) else str(value)


def audit(conn: Connection, actor: Actor, action: str, target: str | None, detail: dict | None = None) -> None:
    """Record one admin change in the caller's transaction."""
    conn.execute(insert(AUDIT).values(actor_user_id=actor.user.id, actor_label=actor.user.label[:200],
                                      action=action, target=target and target[:200], detail=detail,
                                      client=actor.client and actor.client[:100]))


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict]
    page: int
    pages: int
    total: int
    actions: list[str]


def audit_page(conn: Connection, page: int = 1, action: str | None = None) -> AuditPage:
    """Newest first, `PAGE_SIZE` a page, optionally one action; with the actions there are, for the filter."""
    where = AUDIT.c.action == action if action else True
    total = conn.execute(select(func.count()).select_from(AUDIT).where(where)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = conn.execute(select(AUDIT).where(where).order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc())
                        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).mappings().all()
    actions = conn.execute(select(AUDIT.c.action).distinct().order_by(AUDIT.c.action)).scalars().all()
    return AuditPage([dict(r) for r in rows], page, pages, total, list(actions))


@contextmanager
def uploaded_file(data: bytes, filename: str, suffixes: tuple[str, ...], refusal: tuple[str, str]) -> Iterator[str]:
    """An upload as a temporary file with its own suffix (the importers and GDAL go by it); removed afterwards."""
    suffix = os.path.splitext(filename or "")[1].lower()
    if suffix not in suffixes:
        raise DomainError(*refusal, field="file")
    if not data:
        raise DomainError("Berkas kosong.", "The file is empty.", field="file")
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="peta-admin-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield path
    finally:
        os.unlink(path)
