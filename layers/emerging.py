"""Emerging hotspots: Gi* per month, then a Mann–Kendall trend per cell, classified as desktop GIS does.

The classes follow ArcGIS Pro's Emerging Hot Spot Analysis (hot shown; cold mirrors it). With n months, a cell
is "hot" in a month when its Gi* bin is positive (90 % or more after FDR control in that month):
- new: hot in the last month only;
- consecutive: one unbroken run of ≥ 2 hot months ending in the last month, never hot before it, < 90 % hot;
- intensifying / diminishing: hot in ≥ 90 % of months including the last, with a significant rising /
  falling Mann–Kendall trend of the Gi* z-scores;
- persistent: hot in ≥ 90 % of months including the last, no significant trend;
- historical: hot in ≥ 90 % of months but not in the last;
- oscillating: hot in the last month, < 90 % hot, and cold in some earlier month;
- sporadic: hot in the last month, < 90 % hot, on and off, never cold;
- no_pattern: none of these.
The trend is significant at p < 0.05 (two-sided). Mann–Kendall is implemented here (variance with the tie
correction, continuity-corrected z), vectorised over cells.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sqlalchemy import Connection

from layers.cache import cached_frame
from layers.counts import cell_months
from layers.filters import LayerFilter
from layers.hexbins import full_grid
from layers.hotspots import SEED, gi_star

PERMUTATIONS = 999
TREND_ALPHA = 0.05
SHARE = 0.9


def _tie_term(x: np.ndarray) -> np.ndarray:
    """Σ t(t−1)(2t+5) over groups of tied values, per row."""
    s = np.sort(x, axis=1)
    new_group = np.ones(s.shape, dtype=bool)
    new_group[:, 1:] = s[:, 1:] != s[:, :-1]
    group = np.cumsum(new_group, axis=1) - 1
    sizes = np.zeros(s.shape, dtype=np.int64)
    np.add.at(sizes, (np.repeat(np.arange(s.shape[0]), s.shape[1]), group.ravel()), 1)
    return (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)


def mann_kendall(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """S, z and two-sided p of the Mann–Kendall trend test for each row of a (series × time) array."""
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n = x.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - _tie_term(x)) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    return s, z, 2 * norm.sf(np.abs(z))


def _run_at_end(flags: np.ndarray) -> np.ndarray:
    """Length of the unbroken run of True that ends in the last column, per row."""
    reversed_ = flags[:, ::-1]
    return np.where(reversed_.all(axis=1), flags.shape[1], np.argmin(reversed_, axis=1))


def _side(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_sig: np.ndarray, sign: int) -> np.ndarray:
    """Pattern names for one side (hot with sign=+1, cold with −1 and the roles of hot/cold swapped)."""
    n = hot.shape[1]
    last, share = hot[:, -1], hot.mean(axis=1)
    run = _run_at_end(hot)
    before_run = hot[:, : n - 1].sum(axis=1) - (run - 1)  # hot months before the final run
    rising = trend_sig & (np.sign(trend_z) == sign)
    falling = trend_sig & (np.sign(trend_z) == -sign)
    conditions = [
        ~last & (share >= SHARE),
        last & (share >= SHARE) & rising,
        last & (share >= SHARE) & falling,
        last & (share >= SHARE),
        last & (hot.sum(axis=1) == 1),
        last & (run >= 2) & (before_run == 0),
        last & cold[:, :-1].any(axis=1),
        last,
    ]
    names = ["historical", "intensifying", "diminishing", "persistent", "new", "consecutive", "oscillating",
             "sporadic"]
    return np.select(conditions, names, default="")


def classify(bins: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray) -> np.ndarray:
    """Emerging-hotspot class per cell from its monthly Gi* bins (cells × months) and the trend of its z."""
    hot, cold = bins > 0, bins < 0
    sig = trend_p < TREND_ALPHA
    hot_names = _side(hot, cold, trend_z, sig, +1)
    cold_names = _side(cold, hot, trend_z, sig, -1)
    out = np.where(hot_names != "", np.char.add("hot_", hot_names.astype(str)), "no_pattern")
    return np.where((hot_names == "") & (cold_names != ""), np.char.add("cold_", cold_names.astype(str)), out)


def monthly_gi(cells: list[str], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and bins per month: arrays of shape cells × months."""
    results = [gi_star(cells, counts[:, m], permutations=PERMUTATIONS, seed=SEED + m) for m in range(counts.shape[1])]
    return (np.column_stack([r["z"].to_numpy() for r in results]),
            np.column_stack([r["gi_bin"].to_numpy() for r in results]))


def emerging_table(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """Per cell: pattern, trend statistics, and the monthly Gi* bins and counts for the time slider."""
    months = [m.isoformat()[:7] for m in flt.months()]
    per_month = cell_months(conn, flt, res)
    grid = full_grid(conn, res, per_month["cell"].unique())
    table = (per_month.pivot_table(index="cell", columns="month", values="count", aggfunc="sum", fill_value=0)
             if len(per_month) else pd.DataFrame()).reindex(index=grid, columns=months, fill_value=0)
    counts = table.to_numpy(dtype=np.int64)
    z, bins = monthly_gi(grid, counts)
    s, tz, tp = mann_kendall(z)
    return pd.DataFrame({"cell": grid, "pattern": classify(bins, tz, tp), "trend_s": s.astype(int),
                         "trend_z": tz, "trend_p": tp, "total": counts.sum(axis=1),
                         "months": [months] * len(grid), "counts": counts.tolist(), "bins": bins.tolist()})


def emerging(conn: Connection, flt: LayerFilter, res: int) -> pd.DataFrame:
    """The cached emerging-hotspot layer for a filter."""
    params = {"filter": flt.key(), "res": res, "permutations": PERMUTATIONS, "seed": SEED}
    return cached_frame(conn, "emerging", params, lambda: emerging_table(conn, flt, res))
