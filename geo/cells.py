"""The H3 cell of a point, as the 64-bit integer PostgreSQL stores (complaint.h3_cell).

Computed in Python because Debian ships no H3 extension for PostgreSQL; the integer form (not the hex string)
keeps the column 8 bytes and the per-cell counts cheap to group. The cell is the one `h3.latlng_to_cell`
gives for the point at the layer resolution, so the layers equal what indexing the points would give.
"""
from __future__ import annotations

import h3
import numpy as np
from h3.api import basic_int


def cell_of(lon: float, lat: float, res: int) -> int:
    """The cell of one point (note H3's lat, lon order inside)."""
    return basic_int.latlng_to_cell(lat, lon, res)


def cells_of(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    """The cells of many points as int64 (h3 has no array API; one tight pass is ~0.5 µs a point)."""
    cell = basic_int.latlng_to_cell
    return np.fromiter((cell(y, x, res) for y, x in zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(),
                                                         strict=True)), dtype=np.int64, count=len(lon))


def cell_name(cell: int) -> str:
    """The hex string the layers, tiles and GeoJSON use for a cell."""
    return h3.int_to_str(int(cell))


def cell_names(cells: np.ndarray) -> list[str]:
    """`cell_name` of many cells."""
    return [h3.int_to_str(int(c)) for c in cells]
