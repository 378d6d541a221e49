"""Getis-Ord Gi* hotspots on the H3 grid, with inference a planner can defend.

- Every cell of the city grid takes part, empty ones with a zero count (otherwise "hot" only means "busier
  than other busy cells").
- Neighbours are binary: the six cells of `grid_ring(cell, 1)`; Gi* includes the cell itself.
- Inference is by conditional permutation (esda, fixed seed, so equal inputs give equal answers); the
  permutation p-value is made two-sided (doubled, capped at 1) because a cell may be hot or cold.
- The false-discovery rate is controlled with Benjamini–Hochberg, separately at q = 0.10, 0.05 and 0.01; a
  cell is hot (cold) at the highest confidence whose test it passes with a positive (negative) z-score.
esda and libpysal cost ~2 s to import, so they are imported inside the function, never at app start.
"""
from __future__ import annotations

import warnings

import h3
import numpy as np
import pandas as pd
from sqlalchemy import Connection

from layers.cache import cached_frame
from layers.counts import cell_totals
from layers.filters import LayerFilter
from layers.hexbins import full_grid

PERMUTATIONS = 9999
SEED = 20261127
LEVELS = (99, 95, 90)


def neighbours(cells: list[str]) -> dict[int, list[int]]:
    """Binary contiguity on the grid: the ring-1 cells that are part of the grid."""
    index = {c: i for i, c in enumerate(cells)}
    return {i: sorted(index[n] for n in h3.grid_ring(c, 1) if n in index) for i, c in enumerate(cells)}


def benjamini_hochberg(p: np.ndarray, q: float) -> np.ndarray:
    """Which tests are discoveries at false-discovery rate q (step-up procedure)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    passed = p[order] <= q * np.arange(1, m + 1) / m
    k = np.nonzero(passed)[0].max() + 1 if passed.any() else 0
    out = np.zeros(m, dtype=bool)
    out[order[:k]] = True
    return out


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style Gi_Bin: ±3/±2/±1 for 99/95/90 % after FDR control, 0 otherwise."""
    out = np.zeros(len(p), dtype=np.int64)
    for level, value in zip(reversed(LEVELS), (1, 2, 3), strict=True):
        significant = benjamini_hochberg(p, 1 - level / 100)
        out[significant] = value * np.sign(z[significant]).astype(np.int64)
    return out


def gi_star(cells: list[str], counts: np.ndarray, *, permutations: int = PERMUTATIONS,
            seed: int = SEED) -> pd.DataFrame:
    """Gi* z-score, two-sided permutation p and FDR confidence bin per cell."""
    y = np.asarray(counts, dtype=float)
    frame = pd.DataFrame({"cell": cells, "count": y.astype(np.int64)})
    if len(cells) < 3 or y.sum() == 0 or np.all(y == y[0]):
        return frame.assign(z=0.0, p=1.0, gi_bin=0)  # no variation: nothing to find
    import libpysal  # slow import: kept out of app start-up
    from esda.getisord import G_Local

    with warnings.catch_warnings():  # esda announces a future change of its one-sided p (we double it
        warnings.simplefilter("ignore")  # ourselves); libpysal warns about islands, which a river city has
        w = libpysal.weights.W(neighbours(cells), silence_warnings=True)
        g = G_Local(y, w, transform="B", star=True, permutations=permutations, seed=seed, n_jobs=1,
                    keep_simulations=False)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    p = np.minimum(1.0, 2.0 * np.asarray(g.p_sim, dtype=float))
    return frame.assign(z=z, p=p, gi_bin=confidence_bins(z, p))


def label(gi_bin: int) -> str:
    """'hot_99' … 'cold_90', or 'none'."""
    if gi_bin == 0:
        return "none"
    return f"{'hot' if gi_bin > 0 else 'cold'}_{LEVELS[3 - abs(gi_bin)]}"


def hotspot_table(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """Gi* over the whole city grid for one filter."""
    totals = cell_totals(conn, flt, res).set_index("cell")["count"]
    grid = full_grid(conn, res, totals.index)
    counts = totals.reindex(grid, fill_value=0).to_numpy(dtype=np.int64)
    out = gi_star(grid, counts)
    out["class"] = [label(b) for b in out["gi_bin"]]
    return out


def hotspots(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """The cached hotspot layer for a filter."""
    params = {"filter": flt.key(), "res": res, "permutations": PERMUTATIONS, "seed": SEED}
    return cached_frame(conn, "hotspots", params, lambda: hotspot_table(conn, flt, res))
