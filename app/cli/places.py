"""`flask import-places`: the city's named places (patokan) for the search box, from GeoJSON, GeoPackage or CSV.

Thin on purpose: files are read by the readers the other imports use (geo.boundaries for vector files,
import-complaints' CSV reader), rows are checked and loaded by aduan.places in one transaction.
"""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
from flask.cli import with_appcontext

from aduan import places
from aduan.errors import DomainError
from app import current_settings
from app.cli.complaints import _progress_from_now, echo_refused, read_complaints_file
from app.db import get_engine
from geo import boundaries

HELP = """Import named places people say (patokan: streets, markets, mosques, schools, bridges) from PATH:
GeoJSON or GeoPackage (points, lines or polygons, any declared CRS) or CSV with lon/lat columns.

\b
Property `name` is required; `kind` (pasar, masjid, jalan, …) is optional, --kind
gives it to rows without one. Rows without a name, with NaN coordinates, outside
the city or holding a NUL are refused one by one and listed; the rest are loaded
in one transaction (CSV rows numbered as in a spreadsheet, header = row 1;
features from 1). A file is imported once per source (default: its file name);
--replace swaps the places of an earlier import of that source for the new ones.
"""


def read_places_file(path: Path, lon: str, lat: str, layer: str | None) -> pd.DataFrame:
    """CSV rows (lon/lat columns), or a vector file's features with their geometry in EPSG:4326."""
    if path.suffix.lower() in (".csv", ".txt"):
        return read_complaints_file(path, lon, lat)
    gdf = boundaries.read_boundary_file(str(path), layer=layer)
    if gdf.crs is None:
        raise click.ClickException("Berkas tidak menyatakan CRS. / The file declares no CRS.")
    gdf = gdf.to_crs(4326)
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).assign(geometry=gdf.geometry.to_numpy())


@click.command("import-places", help=HELP)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", help="Kind for rows that have none, e.g. pasar.")
@click.option("--replace", is_flag=True, help="Replace the places imported before from the same source.")
@click.option("--source", help="Name of this source (default: the file name).")
@click.option("--lon-field", default="lon", show_default=True, help="CSV: the longitude column.")
@click.option("--lat-field", default="lat", show_default=True, help="CSV: the latitude column.")
@click.option("--layer", help="Layer to read from a file with several (GeoPackage).")
@with_appcontext
def import_places(path: Path, kind: str | None, replace: bool, source: str | None, lon_field: str, lat_field: str,
                  layer: str | None) -> None:
    """Read, check and load the file, then print what was loaded and what was refused, row by row."""
    s, progress = current_settings(), _progress_from_now()
    try:
        frame = read_places_file(path, lon_field, lat_field, layer)
        click.echo(f"{len(frame):,} rows in {path.name}", err=True)
        with get_engine().begin() as conn:
            report = places.load_places(conn, frame, source=source or path.name, default_kind=kind, replace=replace,
                                        tolerance_m=s.snap_tolerance_m, city_name=s.city_name, progress=progress)
    except DomainError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"loaded: {report.loaded:,}   refused: {len(report.refused):,}   replaced: {report.replaced:,}")
    for reason, n in report.refused_by_reason().most_common():
        click.echo(f"  refused {n:,}: {reason}")
    echo_refused(path, report.refused)


COMMANDS = [import_places]
