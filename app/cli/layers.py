"""`flask --app app recompute-layers`: compute the planner's layers for the default filter into the shared
cache (after an import or nightly), so the first visitor does not wait, and drop entries of older data.
`recount-layers`: rebuild the counts those layers read after the H3 resolution or time zone changed;
`cluster-complaints`: store the complaints in cell order (a night job after large imports)."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from aduan.errors import DomainError
from app import current_settings
from app.db import get_engine
from layers.cache import prune
from layers.choropleth import choropleth
from layers.counts import cluster_by_cell, prune_changes, recount
from layers.emerging import emerging
from layers.filters import parse_filter
from layers.hexbins import hexbins
from layers.hotspots import hotspots


@click.command("recompute-layers")
@click.option("--start", help="First day (YYYY-MM-DD); default twelve months ago.")
@click.option("--end", help="Last day (YYYY-MM-DD); default today.")
@with_appcontext
def recompute_layers(start: str | None, end: str | None) -> None:
    """Warm the layer cache for the default filter; prune entries computed for older data."""
    settings = current_settings()
    try:
        flt = parse_filter({k: v for k, v in (("start", start), ("end", end)) if v}, settings.timezone)
    except DomainError as err:
        raise click.BadParameter(err.message_en) from None
    res = settings.h3_resolution
    steps = [("hexbins", lambda c: hexbins(c, flt, res)), ("choropleth", lambda c: choropleth(c, flt)),
             ("hotspots", lambda c: hotspots(c, flt, res)), ("emerging", lambda c: emerging(c, flt, res))]
    with get_engine().begin() as conn:
        click.echo(f"pruned {prune(conn)} stale cache entries, {prune_changes(conn)} superseded cell changes")
    for name, compute in steps:
        t0 = time.perf_counter()
        with get_engine().begin() as conn:
            rows = len(compute(conn))
        click.echo(f"{name}: {rows} rows in {time.perf_counter() - t0:.1f} s ({flt.start} – {flt.last_day})")


@click.command("recount-layers")
@with_appcontext
def recount_layers() -> None:
    """Give every complaint its H3 cell at PETA_H3_RESOLUTION and rebuild the counts the layers read, in
    PETA_TIMEZONE local days (after changing either setting). One transaction: the old counts serve until then."""
    settings = current_settings()

    def progress(stage: str, done: int, total: int) -> None:
        click.echo(f"  {stage}: {done:,}/{total:,}", err=True)

    t0 = time.perf_counter()
    with get_engine().begin() as conn:
        n = recount(conn, settings.h3_resolution, settings.timezone, progress=progress)
        click.echo(f"pruned {prune(conn)} stale cache entries")
    click.echo(f"{n:,} complaints counted at H3 {settings.h3_resolution} ({settings.timezone}) in "
               f"{time.perf_counter() - t0:.1f} s")


@click.command("cluster-complaints")
@with_appcontext
def cluster_complaints() -> None:
    """Rewrite the complaints in H3 cell order so map tiles and box queries read few pages: one monthly partition
    at a time, each locked only while it is rewritten (about 20 s per million complaints in all). Run it at
    night, after a large import."""
    t0 = time.perf_counter()
    click.echo("clustering complaints by cell, a month at a time …", err=True)
    n = cluster_by_cell(get_engine(), lambda table, i, total: click.echo(f"  {table}  {i}/{total}", err=True))
    click.echo(f"{n:,} complaints rewritten in cell order in {time.perf_counter() - t0:.1f} s")


COMMANDS = [recompute_layers, recount_layers, cluster_complaints]
