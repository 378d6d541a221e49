"""`flask import-skpd`, `import-categories`, `import-service-areas`, `skpd list`: a city set up from its own files.

Thin on purpose: parse the options, call one function of aduan/city_setup.py in one transaction, print the report.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from aduan import city_setup
from aduan.city_setup import ImportReport, SetupFileError
from aduan.errors import DomainError
from app import current_settings
from app.db import get_engine

ALL_OR_NOTHING = """The import is all-or-nothing: a bad file stops with exit code 1, one line per problem
(row and column named, in Indonesian and English), and nothing is written. Rows are numbered as a spreadsheet
shows them (the header is row 1). Re-running the same file changes nothing."""

SKPD_HELP = f"""Import or update the city's agencies (SKPD/OPD) from a CSV file.

\b
Columns: code,name,name_en (name_en may be empty). Optional: email, active (ya/tidak).
Other columns are ignored. Comma- or semicolon-separated, UTF-8 ("CSV UTF-8").
Rows are matched by code: new codes are added, changed rows updated; SKPD not in
the file are left as they are (retire one with active = tidak).

{ALL_OR_NOTHING}
"""

CATEGORIES_HELP = f"""Import or update the complaint categories (Open311 services) from a CSV file.

\b
Columns: code,name,name_en,skpd (skpd: the default SKPD's code; import SKPD first).
Optional: followup_days (default 5), handling_days (default 15, at least
followup_days), confidential (ya/tidak, default tidak), duplicate_radius_m (default
250), description_id, description_en, group_name, active. Working days.
Rows are matched by code. An optional column left out of the file keeps the stored
value of an existing category; an empty cell means the default.

{ALL_OR_NOTHING}
"""

AREAS_HELP = """Import service areas (wilayah layanan) from PATH: GeoJSON, GeoPackage or zipped Shapefile
in any declared CRS (reprojected to EPSG:4326).

\b
Properties: skpd (code), categories (comma-separated category codes); optional
priority (whole number, higher wins where areas overlap; default 0) and name.
The file is the complete set of areas of each SKPD it names: an area identical to a
current one (name, priority, categories, geometry) is kept, the SKPD's other current
areas end now (valid_to) and the new ones start now. Tickets keep the area they were
routed to; run `flask reroute --dry-run` to see which open tickets would move.
SKPD not in the file keep their areas. Every area must touch the active boundaries.

All-or-nothing: a bad file stops with exit code 1, one line per problem (feature
number and property named), and nothing is written.
"""


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _run(action, *args, **kwargs) -> ImportReport:
    """One transaction; a bad file prints every problem, a database error its first line."""
    try:
        with get_engine().begin() as conn:
            return action(conn, *args, **kwargs)
    except SetupFileError as err:
        for problem in err.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(err.problems)} masalah, tidak ada yang ditulis / "
                                   f"{len(err.problems)} problems, nothing written") from None
    except DomainError as err:
        raise click.ClickException(str(err)) from None
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).splitlines()[0]
        raise click.ClickException(f"Gagal menulis ke basis data / database write failed: {reason}") from None


def _print(report: ImportReport, noun: str) -> None:
    """Counts and codes; service areas are never updated in place, so they show `ended` instead."""
    updated = ("ended", report.closed) if noun == "areas" else ("updated", report.updated)
    for label, items in (("created", report.created), updated, ("unchanged", report.unchanged)):
        shown = ", ".join(items[:12]) + (", …" if len(items) > 12 else "")
        click.echo(f"{label:<10} {len(items):>4} {noun}{': ' + shown if shown else ''}")


@click.command("import-skpd", help=SKPD_HELP)
@click.argument("path")
@with_appcontext
def import_skpd(path: str) -> None:
    """Upsert SKPD by code."""
    _print(_run(city_setup.import_skpd, path), "SKPD")


@click.command("import-categories", help=CATEGORIES_HELP)
@click.argument("path")
@with_appcontext
def import_categories(path: str) -> None:
    """Upsert categories by code."""
    _print(_run(city_setup.import_categories, path), "categories")


@click.command("import-service-areas", help=AREAS_HELP)
@click.argument("path")
@click.option("--assume-crs", help="CRS of a file that declares none, e.g. EPSG:32754.")
@click.option("--layer", help="Layer to read from a file with several (GeoPackage).")
@with_appcontext
def import_service_areas(path: str, assume_crs: str | None, layer: str | None) -> None:
    """Version the service areas of the SKPD the file names."""
    report = _run(city_setup.import_service_areas, path, city_name=current_settings().city_name,
                  assume_crs=assume_crs, layer=layer, progress=_progress)
    _print(report, "areas")
    for note in report.notes:
        click.echo(f"note       {note}")
    if report.created or report.closed:
        click.echo("next       open tickets keep their routing; `flask reroute --dry-run` shows what would move")


@click.group("skpd")
def skpd_group() -> None:
    """The city's agencies."""


@skpd_group.command("list")
@with_appcontext
def list_skpd() -> None:
    """Every SKPD code with its name and how many categories (default SKPD), current areas and users it has."""
    with get_engine().connect() as conn:
        rows = city_setup.skpd_overview(conn)
    if not rows:
        click.echo("Belum ada SKPD; impor dengan `flask import-skpd FILE.csv`. / No SKPD yet.")
    width = max((len(r["code"]) for r in rows), default=4)
    for r in rows:
        inactive = "" if r["active"] else " (nonaktif / inactive)"
        click.echo(f"{r['code']:<{width}}  {r['categories']:>3} categories  {r['areas']:>3} areas  "
                   f"{r['users']:>3} users  {r['name']}{inactive}")


COMMANDS = [import_skpd, import_categories, import_service_areas, skpd_group]
