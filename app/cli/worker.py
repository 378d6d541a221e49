"""`flask --app app worker`: send the outbox and run the scheduled jobs (see aduan/worker.py).

Run one or more beside the web server; `make run` starts one. Under systemd: docs/notifications.md.
"""
from __future__ import annotations

import logging
import signal
import threading

import click
from flask.cli import with_appcontext

from aduan import worker
from app import current_settings
from app.db import get_engine


@click.command("worker")
@click.option("--once", is_flag=True, help="One round of delivery and jobs, then exit (for cron or a check).")
@with_appcontext
def worker_command(once: bool) -> None:
    """Send due messages (e-mail, WhatsApp/SMS) and run scheduled jobs until stopped (Ctrl-C or SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    engine, settings = get_engine(), current_settings()
    if once:
        click.echo(worker.round_once(engine, settings))
        worker.run_jobs(engine, settings, worker.SCHEDULED)
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("worker: sending the outbox; Ctrl-C stops", err=True)
    worker.run(engine, settings, stop=stop)


COMMANDS = [worker_command]
