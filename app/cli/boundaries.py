"""`flask import-boundaries`: how a city GIS officer loads official kelurahan and kecamatan boundaries.

Thin on purpose: parse the options, call `geo.boundaries` (read, check, repair, measure) and `geo.boundary_load`
(write, in one transaction), print what happened.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine
from geo import boundaries, boundary_load
from geo.boundaries import BoundaryError, FieldMap, Prepared

HELP = """Import official boundaries from PATH: GeoJSON, GeoPackage or zipped Shapefile (a .zip or zip://
path) in any declared CRS.

\b
--level kelurahan (default) makes a new boundary generation from the kelurahan.
  Each kelurahan finds its kecamatan by --parent-field, or else by its Kemendagri
  code (63.71.01.1001 -> 63.71.01, 6371011001 -> 637101). The kecamatan polygons
  are the union of their kelurahan and are named by their code.
--level kecamatan makes a new, inactive generation holding only the kecamatan
  (official polygons and names). Then import the kelurahan into it with
  --into ID; only a generation with kelurahan can be activated.

Without --activate the new generation stays inactive and routing keeps using the
current one; with it, the new generation replaces the active one. The import is
all-or-nothing: a bad file stops with exit code 1 and a one-line reason, and
nothing is written.
"""


@click.command("import-boundaries", help=HELP)
@click.argument("path")
@click.option("--level", type=click.Choice(boundaries.LEVELS), default="kelurahan", show_default=True)
@click.option("--code-field", required=True, help="Field with the Kemendagri code, e.g. KODE_KEL.")
@click.option("--name-field", required=True, help="Field with the name, e.g. NAMOBJ.")
@click.option("--parent-field", help="Kelurahan only: field with the kecamatan code.")
@click.option("--population-field", help="Kelurahan only: field with the population.")
@click.option("--assume-crs", help="CRS of a file that declares none, e.g. EPSG:32750.")
@click.option("--layer", help="Layer to read from a file with several (GeoPackage).")
@click.option("--activate", is_flag=True, help="Route new complaints on this generation.")
@click.option("--name", "generation_name", help="Name of the generation (default: the file name).")
@click.option("--into", "into", type=int, help="Kelurahan only: complete the generation a kecamatan import made.")
@with_appcontext
def import_boundaries(path: str, level: str, code_field: str, name_field: str, parent_field: str | None,
                      population_field: str | None, assume_crs: str | None, layer: str | None, activate: bool,
                      generation_name: str | None, into: int | None) -> None:
    """Parse, check and clean the file, write it in one transaction, then print the summary."""
    _check_usage(level, parent_field, population_field, activate, into, generation_name)
    fields = FieldMap(code_field, name_field, parent_field, population_field)
    metric_crs = f"EPSG:{current_app.config['SETTINGS'].metric_srid}"
    try:
        prepared = boundaries.load_boundary_file(path, fields, level=level, layer=layer, assume_crs=assume_crs,
                                                 progress=_progress)
        _progress("measuring overlaps and gaps…")
        report = boundaries.summarize(prepared, metric_crs=metric_crs)
        name, source = generation_name or Path(boundaries.local_path(path)).name, _source(path)
        with get_engine().begin() as conn:
            report["notes"] += _same_file(conn, source)
            generation_id = _write(conn, prepared, report, level=level, into=into, activate=activate, name=name,
                                   source=source)
    except BoundaryError as err:
        raise click.ClickException(str(err)) from None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).splitlines()[0]
        raise click.ClickException(f"Gagal menulis ke basis data / database write failed: {reason}") from None
    for line in summary_lines(report, generation_id, active=activate, level=level):
        click.echo(line)


def _check_usage(level: str, parent_field: str | None, population_field: str | None, activate: bool,
                 into: int | None, generation_name: str | None) -> None:
    if into is not None and generation_name:
        raise click.UsageError("--name does not apply with --into: that generation already has its name")
    if level == "kecamatan":
        for given, option in ((parent_field, "--parent-field"), (population_field, "--population-field"),
                              (into, "--into")):
            if given:
                raise click.UsageError(f"{option} only applies to --level kelurahan")
        if activate:
            raise click.UsageError("a kecamatan-only generation cannot be activated; import its kelurahan "
                                   "with --into ID --activate")


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _source(path: str) -> str:
    """Where the boundaries came from, with the file's hash so the exact file can be found again."""
    digest = hashlib.sha256()
    with open(boundaries.local_path(path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"{os.path.abspath(boundaries.local_path(path))} sha256:{digest.hexdigest()}"


def _same_file(conn: Connection, source: str) -> list[str]:
    """A note for each generation made from this very file before: importing it again makes a twin generation, and
    a `reroute` after activating it updates every open ticket for nothing."""
    digest = source.rsplit(" ", 1)[-1]
    rows = conn.execute(text("SELECT id, name FROM boundary_generation WHERE source LIKE :s ORDER BY id"),
                        {"s": f"% {digest}"}).all()
    return [f"the same file as generation {gid} ({gname}) / berkas yang sama dengan generasi {gid}"
            for gid, gname in rows]


def _write(conn: Connection, prepared: Prepared, report: dict, *, level: str, into: int | None, activate: bool,
           name: str, source: str) -> int:
    frame = prepared.frame
    if level == "kecamatan":
        generation_id = boundary_load.create_generation(conn, name=name, source=source, report={level: report})
        boundary_load.insert_kecamatan(conn, generation_id, frame, _progress)
        return generation_id
    if into is not None:
        boundary_load.add_kelurahan(conn, into, frame, activate=activate, report={level: report},
                                    progress=_progress)
        return into
    return boundary_load.load_generation(conn, frame, None, name=name, source=source, activate=activate,
                                         report={level: report}, progress=_progress)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_lines(report: dict, generation_id: int, *, active: bool, level: str) -> list[str]:
    """The summary an officer reads before deciding to activate: one fact per line."""
    overlaps, gaps = report["overlaps"], report["gaps"]
    lines = [
        f"features          {report['features']} {level}",
        f"repaired          {report['repaired']} (invalid geometries fixed by make_valid; check their shape)",
        *[f"                  {r['code']} {r['name']}: now {_count(r['parts'], 'part')}, {r['km2']:,.3f} km²"
          for r in report.get("repaired_features", [])],
        f"dropped parts     {report['dropped_parts']} (lines or points left after repair)",
        f"overlaps          {_count(overlaps['count'], 'pair')}, {overlaps['m2']:,.1f} m² in total",
        *[f"                  {o['codes'][0]} × {o['codes'][1]}: {o['m2']:,.1f} m²" for o in overlaps["largest"]],
        f"gaps              {_count(gaps['count'], 'hole')}, {gaps['m2']:,.1f} m² in total "
        f"(largest {gaps['largest_m2']:,.1f} m²)",
        f"total area        {report['area_km2']:,.3f} km²",
        "bbox              {:.6f}, {:.6f}, {:.6f}, {:.6f} (lon/lat)".format(*report["bbox"]),
        f"crs               {report['source_crs']} -> EPSG:4326 (measured in {report['metric_crs']})",
        *[f"note              {note}" for note in report["notes"]],
        f"generation        {generation_id} ({'active' if active else 'inactive'})",
    ]
    if level == "kecamatan":
        lines.append(f"next              import the kelurahan with --into {generation_id}")
    return lines


_LIST = """
SELECT g.id, g.name, g.active, g.synthetic, g.created_at, g.activated_at,
       (SELECT count(*) FROM kecamatan k WHERE k.generation_id = g.id) AS kecamatan,
       (SELECT count(*) FROM kelurahan k WHERE k.generation_id = g.id) AS kelurahan,
       (SELECT count(*) FROM complaint c WHERE c.generation_id = g.id) AS complaints
  FROM boundary_generation g ORDER BY g.id
"""


@click.group("boundaries")
def boundaries_group() -> None:
    """List boundary generations and choose the active one."""


@boundaries_group.command("list")
@with_appcontext
def list_generations() -> None:
    """Every generation: what it holds, whether it is active, how many tickets were routed on it."""
    with get_engine().connect() as conn:
        for r in conn.execute(text(_LIST)).mappings():
            mark = "*" if r["active"] else " "
            kind = " (synthetic)" if r["synthetic"] else ""
            click.echo(f"{mark} {r['id']:>3}  {r['name']}{kind}: {r['kecamatan']} kecamatan, {r['kelurahan']} "
                       f"kelurahan, {r['complaints']:,} complaints routed; created {r['created_at']:%Y-%m-%d}")


@boundaries_group.command("activate")
@click.argument("generation_id", type=int)
@with_appcontext
def activate(generation_id: int) -> None:
    """Route new complaints on GENERATION_ID (after reviewing an import made without --activate).

    Tickets keep the generation they were routed with; run `flask reroute --dry-run` to see what re-routing
    open tickets on the new boundaries would change.
    """
    try:
        with get_engine().begin() as conn:
            boundary_load.activate_generation(conn, generation_id)
    except BoundaryError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"generation {generation_id} is now active")


COMMANDS = [import_boundaries, boundaries_group]
