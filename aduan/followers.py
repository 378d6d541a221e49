"""Following a public ticket by e-mail: double opt-in, one-click unfollow from every message.

Asking to follow answers the same whether or not the address already follows (nobody learns who follows what);
the first message is the confirmation link, and nothing else is sent until it is opened. Confidential tickets
cannot be followed: only their reporter hears of them.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from aduan import notifications
from aduan.errors import DomainError, NotFound
from aduan.models import Complaint, Follower, Outbox
from aduan.partitions import of_code
from aduan.settings import Settings

C, FOLLOWER, OUTBOX = Complaint.__table__, Follower.__table__, Outbox.__table__
EMAIL_RE = re.compile(r"^[^@\s<>]{1,100}@[^@\s<>]{1,100}\.[^@\s<>]{1,40}$")


def follow(conn: Connection, code: str, email: str, lang: str, settings: Settings) -> None:
    """Ask to follow ticket `code`; a confirmation message goes to `email` unless it already follows."""
    address = (email or "").strip().lower()
    if not EMAIL_RE.match(address):
        raise DomainError("Alamat e-mail tidak valid.", "The e-mail address is not valid.", field="email")
    ticket = conn.execute(select(C.c.id).where(C.c.tracking_code == code, of_code(C.c.id, code), C.c.public)).scalar()
    if ticket is None:
        raise NotFound("Aduan ini tidak dapat diikuti.", "This complaint cannot be followed.")
    row = conn.execute(insert(FOLLOWER).values(
        complaint_id=ticket, email=address, lang="en" if lang == "en" else "id", token=secrets.token_urlsafe(32))
        .on_conflict_do_nothing(index_elements=[FOLLOWER.c.complaint_id, FOLLOWER.c.email])
        .returning(FOLLOWER.c.id)).scalar()
    if row is None:  # already asked: send the confirmation again only while it is unconfirmed
        row = conn.execute(select(FOLLOWER.c.id).where(FOLLOWER.c.complaint_id == ticket,
                                                       FOLLOWER.c.email == address,
                                                       FOLLOWER.c.confirmed_at.is_(None))).scalar()
    if row is not None and not _recently_asked(conn, row):
        notifications.enqueue_follow_confirmation(conn, row, settings)


def _recently_asked(conn: Connection, follower_id: int) -> bool:
    """A confirmation went out within the hour: do not send another (no mail bombing through this form)."""
    return conn.execute(select(OUTBOX.c.id).where(
        OUTBOX.c.follower_id == follower_id, OUTBOX.c.kind == "follow_confirm",
        OUTBOX.c.created_at > func.now() - dt.timedelta(hours=1))).first() is not None


def confirm(conn: Connection, token: str, now: dt.datetime) -> str:
    """The confirmation link was opened: messages start; returns the tracking code."""
    code = conn.execute(update(FOLLOWER).where(FOLLOWER.c.token == token).values(
        confirmed_at=now).returning(FOLLOWER.c.complaint_id)).scalar()
    if code is None or not token:
        raise NotFound("Tautan tidak dikenal.", "Unknown link.")
    return conn.execute(select(C.c.tracking_code).where(C.c.id == code)).scalar_one()


def unfollow(conn: Connection, token: str) -> None:
    """Stop following (the link in every message to a follower)."""
    conn.execute(delete(FOLLOWER).where(FOLLOWER.c.token == token))
