"""`flask seed-demo`: the Kota Banjarmasin demo (synthetic boundaries and history) in one transaction."""
from __future__ import annotations

import time

import click
import pandas as pd
from flask.cli import with_appcontext

from aduan import demo
from app import current_settings
from app.db import get_engine


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a boundary generation already exists.")
@click.option("--complaints", "n_complaints", type=click.IntRange(min=0), default=20_000, show_default=True,
              help="How many synthetic historical complaints to generate.")
@click.option("--seed", "seed", type=int, default=1, show_default=True,
              help="Random seed: the same seed gives the same city and history (ending now).")
@with_appcontext
def seed_demo(if_empty: bool, n_complaints: int, seed: int) -> None:
    """Load the SYNTHETIC Banjarmasin demo: boundaries (activated), SKPD, categories, service areas, complaints."""
    engine = get_engine()
    if if_empty:
        with engine.connect() as conn:
            if demo.has_boundaries(conn):
                click.echo("seed-demo: boundaries already loaded; nothing to do (--if-empty).")
                return
    started = time.perf_counter()
    with engine.begin() as conn:  # one transaction: all of it, or nothing
        summary = demo.seed(conn, current_settings(), complaints=n_complaints, seed=seed,
                            now=pd.Timestamp.now(tz="UTC"), say=_stage, progress=_progress)
    for line in summary_lines(summary, time.perf_counter() - started):
        click.echo(line)


def _stage(message: str) -> None:
    click.echo(f"==> {message}")


def _progress(stage: str, done: int, total: int) -> None:
    click.echo(f"    complaints {stage}: {done:,}/{total:,}")


def summary_lines(s: demo.SeedSummary, seconds: float) -> list[str]:
    """The closing lines an operator reads: what went in, what was refused, how the history is spread."""
    report = s.complaints
    lines = [
        f"Demo data loaded in {seconds:.1f} s (SYNTHETIC: not official boundaries or real complaints).",
        f"  boundary generation {s.generation_id} (synthetic, active): {s.kecamatan} kecamatan, "
        f"{s.kelurahan} kelurahan",
        f"  {s.skpd} SKPD, {s.categories} categories, {s.service_areas} service areas, {s.places} named places",
        f"  complaints: {report.loaded:,} loaded, {len(report.refused):,} refused",
    ]
    lines += [f"    refused ({n}): {reason}" for reason, n in report.refused_by_reason().most_common(5)]
    if report.flags:
        lines.append("  routing flags: " + ", ".join(f"{k} {v:,}" for k, v in report.flags.most_common()))
    lines.append("  by status: " + ", ".join(f"{k} {v:,}" for k, v in s.by_status.items()))
    lines.append("  by SKPD: " + ", ".join(f"{k} {v:,}" for k, v in s.by_skpd.items()))
    return lines


COMMANDS = [seed_demo]
