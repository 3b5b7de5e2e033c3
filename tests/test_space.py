"""The unit cube: log maps, the dense grid, Sobol and local candidates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch.core import space


@settings(max_examples=100, deadline=None)
@given(
    lo=st.floats(min_value=1e-8, max_value=1.0),
    ratio=st.floats(min_value=1.01, max_value=1e6),
    u=st.floats(min_value=0.0, max_value=1.0),
)
def test_log_map_round_trips(lo: float, ratio: float, u: float) -> None:
    hi = lo * ratio
    value = space.from_unit_log(u, lo, hi)
    assert lo * (1 - 1e-12) <= value <= hi * (1 + 1e-12)
    assert space.to_unit_log(value, lo, hi) == pytest.approx(u, abs=1e-9)


def test_log_grid_is_dense_and_log_spaced() -> None:
    grid = space.log_grid(1e-4, 1e-1, 2048)
    assert grid.shape == (2048,)
    assert grid[0] == pytest.approx(1e-4, rel=1e-12)
    assert grid[-1] == pytest.approx(1e-1, rel=1e-12)
    ratios = grid[1:] / grid[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 1.0), (1.0, 0.5), (-1.0, 1.0), (1.0, np.inf)])
def test_log_map_rejects_bad_range(lo: float, hi: float) -> None:
    with pytest.raises(ValueError, match="0 < lo < hi"):
        space.to_unit_log(0.5, lo, hi)


def test_unit_grid_rejects_tiny_size() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        space.unit_grid(1)


def test_sobol_points_are_seeded_and_in_the_cube() -> None:
    a = space.sobol_points(256, 3, seed=7)
    assert a.shape == (256, 3)
    assert np.all((a > 0) & (a < 1))
    np.testing.assert_array_equal(a, space.sobol_points(256, 3, seed=7))
    assert not np.allclose(a, space.sobol_points(256, 3, seed=8))
    # Drawn one by one (skip) they are the same points: the initial design relies on it.
    np.testing.assert_array_equal(a[5:9], space.sobol_points(4, 3, seed=7, skip=5))


def test_sobol_points_stratify_each_axis() -> None:
    points = space.sobol_points(64, 2, seed=3)
    for axis in range(2):
        counts = np.histogram(points[:, axis], bins=8, range=(0, 1))[0]
        np.testing.assert_array_equal(counts, 8)


def test_local_candidates_stay_in_cube_and_near_centre() -> None:
    centres = np.array([[0.0, 0.5], [0.9, 0.9]])
    points = space.local_candidates(centres, 100, scale=0.05, seed=0)
    assert points.shape == (200, 2)
    assert np.all((points >= 0) & (points <= 1))
    assert np.max(np.abs(points[:100] - centres[0])) < 0.5


def test_min_distances() -> None:
    points = np.array([[0.0], [0.5], [1.0]])
    np.testing.assert_allclose(space.min_distances(points, np.array([[0.4]])), [0.4, 0.1, 0.6])
    assert np.all(np.isinf(space.min_distances(points, np.empty((0, 1)))))
