"""The worker: a loop beside the web server that sends the outbox and runs the city's scheduled jobs.

Each round: messages claimed longer ago than the stale limit become `unknown`; due messages go out; the scheduled
jobs run every `jobs_every_s` (resolved tickets silent for N working days close, media_url photos are fetched,
the coming months' partitions are made).
Between rounds it waits for a NOTIFY on channel `outbox` (sent when a message is written) or the poll interval,
so a message leaves within a second of the staff action's commit. Several workers may run: rows are claimed with
SKIP LOCKED and each scheduled job takes a transaction-level advisory lock.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from aduan import media, outbox, partitions, replies
from aduan.settings import Settings

log = logging.getLogger(__name__)
Job = Callable[[Engine, Settings], object]
SCHEDULED: list[tuple[str, Job]] = [
    ("close resolved tickets without an answer", replies.close_silent),
    ("fetch photos sent as media_url", media.fetch_pending),
    ("make the coming months' partitions", partitions.ensure_ahead),
]


def run(engine: Engine, settings: Settings, *, jobs: list[tuple[str, Job]] = SCHEDULED,
        stop: threading.Event | None = None, poll_s: float = 2.0, jobs_every_s: float = 60.0) -> None:
    """Work until `stop` is set (or forever)."""
    stop = stop or threading.Event()
    listener = _listen(engine)
    last_jobs = 0.0
    while not stop.is_set():
        round_once(engine, settings)
        if time.monotonic() - last_jobs >= jobs_every_s:
            run_jobs(engine, settings, jobs)
            last_jobs = time.monotonic()
        _wait(listener, stop, poll_s)
    if listener is not None:
        listener.close()


def round_once(engine: Engine, settings: Settings) -> dict:
    """One round of delivery; returns the counts (for logs and tests)."""
    stale = outbox.expire_stale_claims(engine)
    done = outbox.deliver_due(engine, settings)
    if stale or done:
        log.info("outbox: %s; stale claims marked unknown: %d", dict(done), stale)
    return {**done, "stale": stale}


def run_jobs(engine: Engine, settings: Settings, jobs: list[tuple[str, Job]]) -> None:
    """The scheduled jobs; one failing job is logged and does not stop the others or the worker."""
    for name, job in jobs:
        try:
            result = job(engine, settings)
            if result:
                log.info("job %s: %s", name, result)
        except Exception:  # noqa: BLE001 - a job's bug must not stop message delivery
            log.exception("job %s failed", name)


def _listen(engine: Engine):
    """A dedicated autocommit connection LISTENing on `outbox`, or None when that is not possible."""
    try:
        raw = engine.raw_connection()
        conn = raw.driver_connection
        conn.autocommit = True
        conn.execute("LISTEN outbox")
        return conn
    except Exception:  # noqa: BLE001 - polling alone still delivers
        log.warning("LISTEN outbox failed; polling only", exc_info=True)
        return None


def _wait(listener, stop: threading.Event, poll_s: float) -> None:
    if listener is None:
        stop.wait(poll_s)
        return
    try:
        for _ in listener.notifies(timeout=poll_s, stop_after=1):
            break
    except Exception:  # noqa: BLE001 - a lost listening connection: poll instead
        log.warning("LISTEN connection lost; polling", exc_info=True)
        stop.wait(poll_s)
