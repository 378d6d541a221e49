"""Gi* hotspots on small synthetic H3 grids whose right answer is known."""
from __future__ import annotations

import h3
import numpy as np

from layers.hotspots import benjamini_hochberg, confidence_bins, gi_star, label, neighbours

CENTRE = h3.latlng_to_cell(-3.32, 114.59, 9)


def _grid(k: int = 7) -> list[str]:
    return sorted(h3.grid_disk(CENTRE, k))


def _planted(grid: list[str], rng: np.random.Generator) -> tuple[np.ndarray, set[str]]:
    cluster = set(h3.grid_disk(CENTRE, 1))
    y = rng.poisson(1.0, len(grid))
    y[[i for i, c in enumerate(grid) if c in cluster]] += 15
    return y, cluster


def test_neighbours_are_the_ring_within_the_grid():
    """An interior cell has six neighbours; a cell on the rim has fewer."""
    grid = _grid(2)
    nb = neighbours(grid)
    assert len(nb[grid.index(CENTRE)]) == 6
    rim = next(c for c in grid if h3.grid_distance(c, CENTRE) == 2)
    assert len(nb[grid.index(rim)]) < 6


def test_planted_cluster_is_found():
    """Seven cells with 15 extra complaints each in Poisson(1) noise: all hot after FDR, the centre at 99 %."""
    grid = _grid()
    y, cluster = _planted(grid, np.random.default_rng(7))
    out = gi_star(grid, y).set_index("cell")
    assert (out.loc[sorted(cluster), "gi_bin"] > 0).all()
    assert out.loc[CENTRE, "gi_bin"] == 3


def test_planted_cluster_leaves_far_cells_unflagged_as_hot():
    """Cells three or more rings away from the planted cluster are not hot."""
    grid = _grid()
    y, _ = _planted(grid, np.random.default_rng(7))
    out = gi_star(grid, y)
    far = out["cell"].map(lambda c: h3.grid_distance(c, CENTRE) >= 4)
    assert (out.loc[far, "gi_bin"] <= 0).all()


def test_uniform_noise_yields_no_hotspot_after_fdr():
    """Homogeneous Poisson noise over 169 cells gives no significant cell once FDR is controlled."""
    grid = _grid()
    for seed in range(5):
        y = np.random.default_rng(100 + seed).poisson(3.0, len(grid))
        assert (gi_star(grid, y)["gi_bin"] == 0).all(), seed


def test_same_input_same_answer():
    """A fixed permutation seed makes the result reproducible to the last digit."""
    grid = _grid(4)
    y, _ = _planted(grid, np.random.default_rng(3))
    a, b = gi_star(grid, y), gi_star(grid, y)
    assert a.equals(b)


def test_all_zero_grid_has_no_hotspot():
    """A grid without complaints is all 'none', not an error."""
    grid = _grid(2)
    assert (gi_star(grid, np.zeros(len(grid)))["gi_bin"] == 0).all()


def test_benjamini_hochberg_steps_up_past_a_failing_rank():
    """The largest k with p(k) ≤ kq/m decides: rank 2 fails its own bound but rank 3 passes, so 3 are found."""
    p = np.array([0.035, 0.9, 0.001, 0.03])  # sorted: .001 ≤ .0125, .03 > .025, .035 ≤ .0375, .9 > .05
    assert benjamini_hochberg(p, 0.05).tolist() == [True, False, True, True]


def test_benjamini_hochberg_stricter_rate_finds_fewer():
    """At q = 0.01 only the smallest p-value of the same set survives."""
    p = np.array([0.035, 0.9, 0.001, 0.03])
    assert benjamini_hochberg(p, 0.01).tolist() == [False, False, True, False]


def test_confidence_bins_and_labels():
    """Bins are signed by z and graded 90/95/99; labels name side and level."""
    z = np.array([3.0, -3.0, 1.0])
    p = np.array([0.0001, 0.0001, 0.9])
    bins = confidence_bins(z, p)
    assert bins.tolist() == [3, -3, 0]
    assert [label(b) for b in (3, 2, 1, 0, -1, -3)] == ["hot_99", "hot_95", "hot_90", "none", "cold_90", "cold_99"]
