"""Photos an Open311 client sends as `media_url`: fetched by the worker, checked like uploads, never trusted.

A URL is queued with its ticket (`queue`) and fetched later (`fetch_pending`, a worker job), so a slow or broken
remote server never holds up or fails the ticket. The fetch refuses what a server-side request must not do
(SSRF): only http(s); the host's every address must be on the public internet (or in PETA_MEDIA_ALLOW, for an
intranet); the connection goes to the address that was checked (no DNS rebinding); no redirects; a timeout; at
most the upload size; an image content type. The photo is then re-encoded like an upload (aduan/photos.py).
A URL that cannot be fetched is marked failed with its reason and noted on the ticket for staff.
"""
from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine, insert, select, text

from aduan import history
from aduan.errors import DomainError
from aduan.models import ComplaintEvent, RemoteMedia
from aduan.photos import process_photo
from aduan.settings import Settings

MEDIA, EVENT = RemoteMedia.__table__, ComplaintEvent.__table__
MAX_URLS = 3
TIMEOUT_S = 10
MAX_ATTEMPTS = 3


class FetchRefused(Exception):
    """The URL may not or could not be fetched; the message says why (for staff)."""


def queue(conn: Connection, complaint_id: int, urls: list[str], *, public: bool, event_id: int | None = None) -> int:
    """Remember up to MAX_URLS photo URLs of a ticket for the worker; returns how many."""
    kept = [u.strip()[:2000] for u in urls if u and u.strip()][:MAX_URLS]
    if kept:
        conn.execute(insert(MEDIA), [{"complaint_id": complaint_id, "event_id": event_id, "url": u, "public": public}
                                     for u in kept])
    return len(kept)


def _allowed(address: str, allow: list[ipaddress._BaseNetwork]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in net for net in allow) or ip.is_global


def _resolve(host: str, port: int, settings: Settings) -> str:
    allow = [ipaddress.ip_network(c.strip(), strict=False) for c in settings.media_allow.split(",") if c.strip()]
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError as err:
        raise FetchRefused(f"host not found: {host} ({err})") from None
    if not addresses or not all(_allowed(a, allow) for a in addresses):
        raise FetchRefused(f"refused: {host} resolves to a private, loopback or reserved address")
    return sorted(addresses)[0]


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the certificate verified for the URL's host name."""

    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT_S, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def safe_fetch(url: str, settings: Settings) -> bytes:
    """The body of a photo URL, or FetchRefused with the reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("only http and https URLs are fetched")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(parts.hostname, port, settings)
    conn = (_Pinned(parts.hostname, address, port) if parts.scheme == "https"
            else http.client.HTTPConnection(address, port, timeout=TIMEOUT_S))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("GET", path, headers={"Host": parts.netloc, "User-Agent": "peta-aduan", "Accept": "image/*"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise FetchRefused(f"the server answered {resp.status} (redirects are not followed)")
        if not (resp.getheader("Content-Type") or "").startswith("image/"):
            raise FetchRefused(f"not an image: {resp.getheader('Content-Type')}")
        body = resp.read(settings.max_upload_bytes + 1)
    except (OSError, http.client.HTTPException) as err:
        raise FetchRefused(f"fetch failed: {err.__class__.__name__}: {err}") from None
    finally:
        conn.close()
    if len(body) > settings.max_upload_bytes:
        raise FetchRefused(f"larger than {settings.max_upload_mb} MB")
    return body


_CLAIM = text("""
UPDATE remote_media m SET attempts = m.attempts + 1
 WHERE m.id IN (SELECT id FROM remote_media WHERE status = 'pending' ORDER BY id LIMIT :limit
                FOR UPDATE SKIP LOCKED)
RETURNING m.id, m.complaint_id, m.event_id, m.url, m.public, m.attempts
""")


def fetch_pending(engine: Engine, settings: Settings, limit: int = 10) -> int:
    """Fetch queued photo URLs (a worker job); returns how many photos were attached."""
    with engine.begin() as conn:
        rows = [dict(r) for r in conn.execute(_CLAIM, {"limit": limit}).mappings()]
    return sum(_fetch_one(engine, settings, row) for row in rows)


def _fetch_one(engine: Engine, settings: Settings, row: dict) -> int:
    try:
        photo = process_photo(safe_fetch(row["url"], settings), settings.max_upload_bytes)
    except (FetchRefused, DomainError) as err:
        reason = err.message_en if isinstance(err, DomainError) else str(err)
        _failed(engine, row, reason)
        return 0
    with engine.begin() as conn:
        event_id = row["event_id"] or _created_event(conn, row["complaint_id"])
        attachment = history.add_photo(conn, row["complaint_id"], event_id, photo, role="report", public=row["public"])
        conn.execute(MEDIA.update().where(MEDIA.c.id == row["id"]).values(
            status="done", attachment_id=attachment, done_at=dt.datetime.now(dt.UTC), last_error=None))
    return 1


def _failed(engine: Engine, row: dict, reason: str) -> None:
    """Give up at once on a refused URL; retry a broken fetch a few times (the next rounds), then give up."""
    final = "refused" in reason or row["attempts"] >= MAX_ATTEMPTS
    with engine.begin() as conn:
        conn.execute(MEDIA.update().where(MEDIA.c.id == row["id"]).values(
            status="failed" if final else "pending", last_error=reason[:1000]))
        if final:
            history.add_event(conn, row["complaint_id"], "note", at=dt.datetime.now(dt.UTC), public=False,
                              actor_label="sistem / system", data={"media_url": row["url"], "error": reason},
                              note=f"Foto dari media_url tidak dapat diambil / the media_url photo could not be "
                                   f"fetched: {reason}")


def _created_event(conn: Connection, complaint_id: int) -> int | None:
    return conn.execute(select(EVENT.c.id).where(EVENT.c.complaint_id == complaint_id, EVENT.c.kind == "created")
                        .order_by(EVENT.c.id).limit(1)).scalar()
