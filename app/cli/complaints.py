"""CLI: import historical complaints (set-based) and re-route open complaints after map changes."""
from __future__ import annotations

import itertools
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pandas as pd
from flask.cli import with_appcontext

from aduan.bulk_load import CHUNK_ROWS, COLUMNS, load_complaints
from aduan.reroute import reroute_open
from app import current_settings
from app.db import get_engine
from geo.boundaries import BoundaryFileError, refuse_several_layers


def _progress_from_now(read: Callable[[], float] | None = None) -> Callable[[str, int, int], None]:
    """Progress lines with the seconds since the command started; rows in all when known, else how much of the
    file has been read (`read`: a fraction)."""
    start = time.monotonic()

    def show(stage: str, done: int, total: int) -> None:
        of = f"/{total:,}" if total else f" ({read():.0%} of the file read)" if read else ""
        click.echo(f"  {stage:<8} {done:>9,}{of}   {time.monotonic() - start:7.1f} s", err=True)

    return show


_UNREADABLE = ("Berkas bukan CSV UTF-8 yang dapat dibaca ({name}). / The file is not a readable UTF-8 CSV "
               "(export it as CSV, UTF-8).")


def complaint_chunks(path: Path, lon: str, lat: str, rows: int = CHUNK_ROWS,
                     read: dict[str, int] | None = None, layer: str | None = None) -> Iterator[pd.DataFrame]:
    """The file in chunks of `rows`, each indexed by its rows' numbers in the file (from 0), a chunk at a time:
    memory holds a chunk, not the file. A CSV has lon/lat columns (`read["bytes"]` follows how far it has been
    read); any vector file GDAL reads has points, reprojected to EPSG:4326 (`layer`: which, if it has several)."""
    if not _is_csv(path):
        yield from _vector_chunks(path, rows, layer)
        return
    try:
        with open(path, "rb") as raw, pd.read_csv(raw, dtype=str, keep_default_na=False, na_values=[""],
                                                  encoding="utf-8", chunksize=rows) as reader:
            for chunk in reader:
                if read is not None:
                    read["bytes"] = raw.tell()
                yield chunk.rename(columns={lon: "lon", lat: "lat"})
    except pd.errors.EmptyDataError:
        raise click.ClickException("Berkas kosong: tidak ada kolom maupun baris. / The file is empty: no columns, "
                                   "no rows.") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as err:
        raise click.ClickException(_UNREADABLE.format(name=err.__class__.__name__)) from None


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt")


def numbering(path: Path) -> tuple[str, int]:
    """How a person finds a row of this file, as (unit, what to add to its place in the file counted from 0): a
    CSV's rows as a spreadsheet numbers them (header = row 1), a vector file's features from 1."""
    return ("row", 2) if _is_csv(path) else ("feature", 1)


def echo_refused(path: Path, refused: list[tuple[int, str]], shown: int = 50) -> None:
    """The first refused rows of an import, by their numbers in the file (`numbering`), then how many more."""
    unit, number_from = numbering(path)
    for i, reason in sorted(refused)[:shown]:
        click.echo(f"  {unit} {i + number_from}: {reason}")
    if len(refused) > shown:
        click.echo(f"  … and {len(refused) - shown:,} more")


def read_complaints_file(path: Path, lon: str, lat: str) -> pd.DataFrame:
    """The whole file as one frame (files of places: thousands of rows, not millions)."""
    return pd.concat(list(complaint_chunks(path, lon, lat)))


def vector_features(path: Path, layer: str | None = None) -> int:
    """How many features a vector file's layer has (0 when its format cannot tell without reading it)."""
    import pyogrio  # GDAL only for the commands that read vector files, not in every app process

    try:
        return max(int(pyogrio.read_info(path, layer=layer)["features"]), 0)
    except pyogrio.errors.DataSourceError:
        return 0  # the reading says why


# A Shapefile's attribute table (dBase) cuts field names to 10 characters: descriptio is description.
_DBF_NAMES = {c[:10]: c for c in COLUMNS if len(c) > 10}


def _vector_chunks(path: Path, rows: int, layer: str | None) -> Iterator[pd.DataFrame]:
    """A vector file's layer a batch at a time through GDAL's Arrow stream: one pass for any format, where
    GeoPandas read the whole file first (a 1M-point GeoPackage: 5.9 s and 1.3 GB, against 1.2 s and 0.28 GB). A
    feature that is not one point (a line, an empty or missing geometry) gets no coordinates and is refused as
    such, with its number; the rest of the file loads."""
    import pyogrio
    import pyproj
    import shapely

    try:
        if layer is None:
            refuse_several_layers(str(path))
        with pyogrio.open_arrow(path, layer=layer, batch_size=rows, use_pyarrow=True) as (meta, reader):
            if not meta["crs"]:
                raise click.ClickException("Berkas tidak menyatakan CRS. / The file declares no CRS.")
            to_wgs84 = pyproj.Transformer.from_crs(meta["crs"], 4326, always_xy=True)
            start = 0
            for batch in reader:
                frame = batch.to_pandas()
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                frame = frame.rename(columns=_DBF_NAMES)
                points = shapely.from_wkb(frame.pop(meta["geometry_name"] or "wkb_geometry").to_numpy())
                frame["lon"], frame["lat"] = to_wgs84.transform(shapely.get_x(points), shapely.get_y(points))
                yield frame
    except BoundaryFileError as err:
        raise click.ClickException(str(err)) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as err:
        raise click.ClickException("Berkas tidak dapat dibaca sebagai CSV maupun data vektor (GeoPackage, "
                                   f"Shapefile, GeoJSON). / The file is neither a CSV nor a readable vector file: "
                                   f"{err}") from None


@click.command("import-complaints")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lon-field", default="lon", show_default=True)
@click.option("--lat-field", default="lat", show_default=True)
@click.option("--channel", default="import", show_default=True, help="Channel recorded when the file has none.")
@click.option("--refused-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write refused rows with their reason to this CSV.")
@click.option("--chunk-rows", type=click.IntRange(min=1), default=CHUNK_ROWS, show_default=True,
              help="Rows read and checked at a time: memory holds about two chunks (~0.25 GB each at the default).")
@click.option("--layer", help="Layer to read from a file with several (GeoPackage).")
@with_appcontext
def import_complaints(path: Path, lon_field: str, lat_field: str, channel: str, refused_out: Path | None,
                      chunk_rows: int, layer: str | None) -> None:
    """Load complaints exported from an earlier system, with their dates and statuses, routed set-based.

    Columns: lon, lat (or --lon-field/--lat-field; or point geometry), category (service code), description,
    created_at (without an offset: the city's time, PETA_TIMEZONE), and optionally status, followed_up_at,
    resolved_at, closed_at, channel, public, external_id (a Shapefile's cut names, such as descriptio, are read as
    these). GeoPackage, Shapefile and any other vector file GDAL reads are read a batch at a time, like a CSV.
    Good rows are loaded in one transaction; refused rows are reported with a reason (CSV rows numbered as in a
    spreadsheet, header = row 1; features from 1).
    """
    click.echo(f"reading {path} …", err=True)
    size, read = path.stat().st_size, {"bytes": 0}
    progress = _progress_from_now((lambda: read["bytes"] / size) if size and _is_csv(path) else None)
    chunks = complaint_chunks(path, lon_field, lat_field, chunk_rows, read, layer)
    first = next(chunks, None)  # an empty or unreadable file stops here, before anything is written
    total = 0 if _is_csv(path) else vector_features(path, layer)  # a CSV's length is not known before it is read
    with get_engine().begin() as conn:
        report = load_complaints(conn, itertools.chain([first] if first is not None else [], chunks),
                                 settings=current_settings(), channel_default=channel, progress=progress,
                                 total=total)
    click.echo(f"loaded: {report.loaded:,}   refused: {len(report.refused):,}")
    for reason, n in report.refused_by_reason().most_common():
        click.echo(f"  refused {n:,}: {reason}")
    echo_refused(path, report.refused)
    for flag, n in sorted(report.flags.items()):
        click.echo(f"  flagged {flag}: {n:,}")
    if refused_out and report.refused:
        reasons = dict(report.refused)  # the file is read again for them: it was never held whole
        again = complaint_chunks(path, lon_field, lat_field, chunk_rows, layer=layer)
        rows = pd.concat([c[c.index.isin(list(reasons))] for c in again])
        rows = rows.assign(reason=[reasons[i] for i in rows.index])
        unit, number_from = numbering(path)
        rows.set_axis(rows.index + number_from).to_csv(refused_out, index_label=unit)
        click.echo(f"refused rows written to {refused_out}")


@click.command("reroute")
@click.option("--dry-run", is_flag=True, help="Only show what would move.")
@with_appcontext
def reroute(dry_run: bool) -> None:
    """Recompute routing of open complaints on the active boundaries and service areas."""
    s = current_settings()
    with get_engine().begin() as conn:
        moves = reroute_open(conn, tolerance_m=s.snap_tolerance_m, near_border_m=s.near_border_m, apply=not dry_run,
                             notify=s)
    by_pair = Counter((m.from_skpd, m.to_skpd) for m in moves)
    verb = "would move" if dry_run else "moved"
    for (a, b), n in sorted(by_pair.items()):
        click.echo(f"{a} → {b}: {n}")
    for m in moves[:50]:
        click.echo(f"  {m.tracking_code}: {m.from_skpd} → {m.to_skpd} (Kel. {m.from_kelurahan} → {m.to_kelurahan})")
    if len(moves) > 50:
        click.echo(f"  … and {len(moves) - 50} more")
    click.echo(f"{len(moves)} open complaint(s) {verb}.", file=sys.stdout)


COMMANDS = [import_complaints, reroute]
