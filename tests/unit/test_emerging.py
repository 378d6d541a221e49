"""Mann–Kendall on known series and the emerging-hotspot classes on hand-made monthly bins."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from layers.emerging import classify, mann_kendall


def test_mann_kendall_increasing_series():
    """A strictly increasing series of 10 has S = 45 and a significant rising trend."""
    s, z, p = mann_kendall(np.arange(10.0))
    assert s[0] == 45 and z[0] > 0 and p[0] < 0.001


def test_mann_kendall_textbook_value_with_ties():
    """S, variance with ties and the continuity-corrected z match a hand computation."""
    x = np.array([[1.0, 2.0, 2.0, 3.0, 1.0, 4.0]])
    s, z, _ = mann_kendall(x)
    # S = 4 + 1 + 1 + 0 + 1 = 7; ties: two pairs → var = (6·5·17 − 2·(2·1·9))/18 = 474/18
    assert s[0] == 7
    assert z[0] == pytest.approx(6 / np.sqrt(474 / 18))


def test_mann_kendall_agrees_with_kendall_tau_direction_and_significance():
    """On random series the MK p-value agrees with scipy's Kendall tau against time (no ties)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, 15)).cumsum(axis=1)
    _, _, p = mann_kendall(x)
    for row, pv in zip(x, p, strict=True):
        ref = kendalltau(np.arange(15), row, method="asymptotic").pvalue
        assert pv == pytest.approx(ref, rel=0.25, abs=0.02)


def test_mann_kendall_flat_series_is_no_trend():
    """A constant series has S = 0 and p = 1."""
    s, z, p = mann_kendall(np.ones((1, 8)))
    assert (s[0], z[0], p[0]) == (0, 0, 1)


def _one(bins: list[int], trend_z: float = 0.0, trend_p: float = 1.0) -> str:
    return classify(np.array([bins]), np.array([trend_z]), np.array([trend_p]))[0]


@pytest.mark.parametrize(("bins", "tz", "tp", "expected"), [
    ([0] * 9 + [2], 0, 1, "hot_new"),
    ([0] * 7 + [1, 2, 3], 0, 1, "hot_consecutive"),
    ([1] * 10, 3.0, 0.001, "hot_intensifying"),
    ([3] * 10, 0, 0.8, "hot_persistent"),
    ([3] * 10, -3.0, 0.001, "hot_diminishing"),
    ([2, 0, 2, 0, 0, 2, 0, 0, 2, 2], 0, 1, "hot_sporadic"),
    ([-2, 0, 0, 0, 2, 0, 0, 0, 0, 2], 0, 1, "hot_oscillating"),
    ([2] * 10 + [0], 0, 1, "hot_historical"),
    ([0] * 10, 0, 1, "no_pattern"),
    ([0] * 9 + [-1], 0, 1, "cold_new"),
    ([-3] * 10, -3.0, 0.001, "cold_intensifying"),
])
def test_emerging_classes(bins, tz, tp, expected):
    """Each class from its textbook definition."""
    assert _one(bins, tz, tp) == expected
