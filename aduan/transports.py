"""How a message leaves the building: e-mail over SMTP, WhatsApp/SMS through the city's HTTP gateway.

Each transport either returns (delivered to the next hop) or raises DeliveryFailed, saying whether trying again
later may help (a server that is down, a 4xx SMTP reply, a gateway's 5xx) or not (a refused recipient, a 4xx from
the gateway). The gateway contract is generic so a city can plug in its provider (docs/notifications.md): a JSON
POST signed with HMAC-SHA256 over "<timestamp>.<body>" in `X-Peta-Signature`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from aduan.settings import Settings

TIMEOUT_S = 20


class DeliveryFailed(Exception):
    """The message did not go out; `transient` when a later attempt may succeed."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


def send_email(settings: Settings, to: str, subject: str, body: str, message_id: int) -> None:
    """One plain-text UTF-8 e-mail through PETA_SMTP_URL (smtp:// with STARTTLS when offered, smtps:// TLS)."""
    url = urlsplit(settings.smtp_url)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.mail_from, to, subject
    msg["Message-ID"] = make_msgid(idstring=f"peta-aduan-{message_id}")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    try:
        with _smtp(url) as smtp:
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(msg)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
        code = getattr(err, "smtp_code", None) or _first_code(err)
        raise DeliveryFailed(f"SMTP refused: {code} {err}", transient=not (500 <= (code or 0) < 600)) from None
    except (OSError, smtplib.SMTPException) as err:
        raise DeliveryFailed(f"SMTP unavailable: {err.__class__.__name__}: {err}", transient=True) from None


def _first_code(err: smtplib.SMTPRecipientsRefused) -> int | None:
    refused = getattr(err, "recipients", None) or {}
    return next((code for code, _ in refused.values()), None)


def _smtp(url) -> smtplib.SMTP:
    if url.scheme == "smtps":
        return smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=TIMEOUT_S,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(url.hostname, url.port or 587, timeout=TIMEOUT_S)
    smtp.ehlo()
    never = parse_qs(url.query).get("starttls", [""])[0] in ("0", "never")
    if smtp.has_extn("starttls") and not never:
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    return smtp


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The gateway signature: HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed "sha256="."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send_gateway(settings: Settings, to: str, subject: str, body: str, message_id: int) -> None:
    """One WhatsApp message (SMS as the gateway's fallback) through PETA_GATEWAY_URL."""
    payload = json.dumps({"id": message_id, "channel": "whatsapp", "fallback": "sms", "to": to,
                          "text": f"{subject}\n\n{body}"}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    req = urllib.request.Request(settings.gateway_url, data=payload, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "X-Peta-Timestamp": timestamp,
        "X-Peta-Signature": sign(settings.gateway_secret, timestamp, payload), "User-Agent": "peta-aduan"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            resp.read(65536)
    except urllib.error.HTTPError as err:
        transient = err.code >= 500 or err.code in (408, 429)
        raise DeliveryFailed(f"gateway answered {err.code}", transient=transient) from None
    except (OSError, ValueError) as err:
        raise DeliveryFailed(f"gateway unavailable: {err.__class__.__name__}: {err}", transient=True) from None


def available(settings: Settings) -> dict:
    """The channels this installation can send on, and how."""
    out = {}
    if settings.smtp_url:
        out["email"] = send_email
    if settings.gateway_url and settings.gateway_secret:
        out["whatsapp"] = send_gateway
    return out
