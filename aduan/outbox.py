"""Delivering the outbox: claim due messages, send each, record what happened — at most once, with retries.

Why a table polled with `FOR UPDATE SKIP LOCKED` rather than a queue library (procrastinate): the message must
be written in the very transaction of the staff action, on our own connection, and it is itself domain data the
ticket page shows (sent, failed, waiting); a plain table does both, and PostgreSQL's row locks already give what
a queue adds — several workers never take the same row.

At most once: a message is claimed (`sending`, committed) before the attempt and marked `sent` after it. A worker
that dies between the two leaves the claim behind; after STALE_CLAIM it becomes `unknown`, shown to staff and
never sent again, because we cannot know whether the mail server took it. A failed attempt that may succeed later
waits with exponential backoff (1, 2, 4 … minutes, at most 6 hours) up to MAX_ATTEMPTS, then it is `failed`.
Channels with no transport configured (no PETA_SMTP_URL, no gateway) are not claimed: their messages wait.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from sqlalchemy import Engine, text

from aduan.settings import Settings
from aduan.transports import DeliveryFailed, available

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
STALE_CLAIM = dt.timedelta(minutes=15)
MAX_BACKOFF = dt.timedelta(hours=6)

_CLAIM = text("""
UPDATE outbox o SET status = 'sending', claimed_at = :now, attempts = o.attempts + 1
 WHERE o.id IN (SELECT id FROM outbox
                 WHERE status IN ('pending', 'retry') AND next_attempt_at <= :now AND channel = ANY(:channels)
                 ORDER BY next_attempt_at, id LIMIT :limit FOR UPDATE SKIP LOCKED)
RETURNING o.id, o.channel, o.address, o.subject, o.body, o.attempts
""")
_SENT = text("UPDATE outbox SET status = 'sent', sent_at = :now, last_error = NULL WHERE id = :id AND "
             "status = 'sending'")
# A retry for a reporter who stopped the messages while this one was being sent is withdrawn instead (stopping
# withdraws what waits, but this one was not waiting then).
_FAILED = text("""
UPDATE outbox o SET next_attempt_at = :next, last_error = :error,
       status = CASE WHEN :status = 'retry' AND o.recipient = 'reporter' AND EXISTS (
                    SELECT 1 FROM complaint c JOIN reporter r ON r.id = c.reporter_id
                     WHERE c.id = o.complaint_id AND NOT r.notify) THEN 'withdrawn' ELSE :status END
 WHERE o.id = :id AND o.status = 'sending'
""")
_STALE = text("UPDATE outbox SET status = 'unknown', last_error = 'the worker stopped while sending; not retried "
              "(it may have gone out)' WHERE status = 'sending' AND claimed_at < :before")


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_due(engine: Engine, settings: Settings, *, limit: int = 50,
                now: dt.datetime | None = None) -> Counter:
    """Send what is due on the configured channels; returns how many were sent, retried and failed."""
    now = now or dt.datetime.now(dt.UTC)
    senders = available(settings)
    done: Counter = Counter()
    if not senders:
        return done
    with engine.begin() as conn:
        batch = [dict(r) for r in conn.execute(_CLAIM, {"now": now, "channels": list(senders),
                                                        "limit": limit}).mappings()]
    for msg in batch:
        done[_attempt(engine, settings, senders[msg["channel"]], msg)] += 1
    return done


def _attempt(engine: Engine, settings: Settings, send, msg: dict) -> str:
    try:
        send(settings, msg["address"], msg["subject"], msg["body"], msg["id"])
    except DeliveryFailed as err:
        status = "retry" if err.transient and msg["attempts"] < MAX_ATTEMPTS else "failed"
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            conn.execute(_FAILED, {"id": msg["id"], "status": status, "error": str(err)[:1000],
                                   "next": now + backoff(msg["attempts"])})
        log.warning("outbox message %s: %s (%s)", msg["id"], status, err)
        return status
    with engine.begin() as conn:
        conn.execute(_SENT, {"id": msg["id"], "now": dt.datetime.now(dt.UTC)})
    log.info("outbox message %s sent by %s", msg["id"], msg["channel"])
    return "sent"


def expire_stale_claims(engine: Engine, now: dt.datetime | None = None) -> int:
    """Claims older than STALE_CLAIM become `unknown` (not retried: at most once)."""
    with engine.begin() as conn:
        return conn.execute(_STALE, {"before": (now or dt.datetime.now(dt.UTC)) - STALE_CLAIM}).rowcount
