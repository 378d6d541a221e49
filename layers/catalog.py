"""The planner's layers as GeoJSON: one entry point per layer name, all filtered the same way."""
from __future__ import annotations

import pandas as pd
import shapely
import shapely.geometry
from sqlalchemy import Connection

from aduan.errors import DomainError, NotFound
from aduan.queries import public
from aduan.settings import Settings
from layers.choropleth import choropleth, kelurahan_geometries
from layers.emerging import emerging
from layers.filters import LayerFilter, check_codes
from layers.heat import heat_points
from layers.hexbins import cell_features, hexbins
from layers.hotspots import hotspots
from layers.late import late_tickets

LAYERS = ("heat", "hexbins", "choropleth", "hotspots", "emerging", "late")


def _collection(features: list[dict], **meta: object) -> dict:
    return {"type": "FeatureCollection", "features": features, **meta}


def _kelurahan(conn: Connection, flt: LayerFilter) -> dict:
    frame = choropleth(conn, flt)
    shapes = kelurahan_geometries(conn)
    cols = [c for c in frame.columns if c != "id"]
    rows = frame[cols].astype(object).where(frame[cols].notna(), None).to_dict(orient="records")
    return _collection([{"type": "Feature", "id": r["code"], "geometry": shapes.get(r["code"]), "properties": r}
                        for r in rows])


def _cells(frame: pd.DataFrame, **meta: object) -> dict:
    return _collection(cell_features(frame, [c for c in frame.columns if c != "cell"]), **meta)


def layer(conn: Connection, name: str, flt: LayerFilter, settings: Settings) -> dict:
    """GeoJSON of one layer (heat is a FeatureCollection of weighted points)."""
    res = settings.h3_resolution
    meta = {"layer": name, "start": flt.start.isoformat(), "end": flt.last_day.isoformat()}
    if name == "hexbins":
        return _cells(hexbins(conn, flt, res), **meta, resolution=res)
    if name == "hotspots":
        return _cells(hotspots(conn, flt, res), **meta, resolution=res)
    if name == "emerging":
        return _cells(emerging(conn, flt, res), **meta, resolution=res, months=[m.isoformat()[:7] for m in
                                                                            flt.months()])
    if name == "choropleth":
        return _kelurahan(conn, flt) | meta
    if name == "late":
        return _collection([public.feature(r, extra=("late_kind", "days_late")) for r in late_tickets(conn, flt)],
                           **meta)
    if name == "heat":
        pts = heat_points(conn, flt)
        return _collection([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                             "properties": {"count": n}} for lat, lon, n in pts], **meta)
    raise NotFound(f"Layer '{name}' tidak ada.", f"No layer '{name}'.")


EXPORT_MAX = 100_000


def complaints(conn: Connection, flt: LayerFilter) -> dict:
    """Filtered public complaints as GeoJSON (at most EXPORT_MAX; a bigger export must be narrowed)."""
    where = flt.condition(public.C)
    if public.count(conn, where) > EXPORT_MAX:
        raise DomainError(f"Lebih dari {EXPORT_MAX:,} aduan: persempit filter atau pakai OGC API.",
                          f"More than {EXPORT_MAX:,} complaints: narrow the filter or use the OGC API.")
    return _collection([public.feature(r) for r in public.features(conn, where)], layer="complaints")


def export_collection(conn: Connection, name: str, flt: LayerFilter, settings: Settings) -> dict:
    """What /planner/export serves: public complaints or any layer."""
    return complaints(conn, flt) if name == "complaints" else layer(conn, name, flt, settings)


def cells_page(conn: Connection, name: str, flt: LayerFilter, res: int, *, bbox: tuple | None = None,
               offset: int = 0, limit: int | None = None, cell: str | None = None) -> tuple[list[dict], int]:
    """Hex-bin or hotspot cells as features (OGC API): those with a corner in `bbox`, one page, and the count."""
    check_codes(conn, flt)
    frame = (hexbins if name == "hexbins" else hotspots)(conn, flt, res)
    if cell is not None:
        frame = frame[frame["cell"] == cell]
    feats = cell_features(frame, [c for c in frame.columns if c != "cell"])
    if bbox:  # every cell the box touches, also a cell that holds the whole (small) box
        box = shapely.box(*bbox)
        feats = [f for f in feats if shapely.intersects(shapely.geometry.shape(f["geometry"]), box)]
    return feats[offset:None if limit is None else offset + limit], len(feats)
