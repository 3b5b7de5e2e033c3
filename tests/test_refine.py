"""The local search on the acquisition (kt_lrsearch.core.refine), on plain functions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch.core import refine


def identity(points: np.ndarray) -> np.ndarray:
    return points


def bowl(centre: np.ndarray):
    def score(points: np.ndarray) -> np.ndarray:
        return -np.sum((points - centre) ** 2, axis=-1)

    return score


SHAPES = st.tuples(st.integers(1, 4), st.integers(2, 5))


@settings(max_examples=40, deadline=None)
@given(
    starts=hnp.arrays(np.float64, SHAPES, elements=st.floats(0.0, 1.0)),
    centre=st.floats(-0.5, 1.5),
    seed=st.integers(0, 2**31),
)
def test_a_point_never_gets_worse_and_stays_in_the_cube(starts, centre, seed) -> None:
    score = bowl(np.full(starts.shape[1], centre))
    points, scores = refine.refine(score, starts, snap=identity, seed=seed)
    assert points.shape == starts.shape
    assert np.all((points >= 0.0) & (points <= 1.0))
    np.testing.assert_array_equal(scores, score(points))
    assert np.all(scores >= score(starts))


def test_it_closes_in_on_a_smooth_maximum_beyond_a_candidate_cell() -> None:
    # A 2048-point Sobol set in 6-D leaves ~0.1 per axis; the search should
    # get well inside that from a start 0.05 away on every axis.
    centre = np.linspace(0.2, 0.8, 6)
    starts = (centre + 0.05)[None, :]
    points, _ = refine.refine(bowl(centre), starts, snap=identity, seed=3)
    assert np.max(np.abs(points[0] - centre)) < 0.02
    assert np.linalg.norm(points[0] - centre) < 0.5 * np.linalg.norm(starts[0] - centre)


def test_snapped_axes_only_take_snapped_values() -> None:
    def halves(points: np.ndarray) -> np.ndarray:  # axis 1 is a 3-value Choice
        out = points.copy()
        out[:, 1] = np.round(out[:, 1] * 2) / 2
        return out

    starts = halves(np.array([[0.3, 0.5], [0.9, 0.0]]))
    points, _ = refine.refine(bowl(np.array([0.6, 0.5])), starts, snap=halves, seed=0)
    assert set(np.round(points[:, 1] * 2, 12)) <= {0.0, 1.0, 2.0}
    assert abs(points[0, 0] - 0.6) < 0.01
    # Steps of ~0.05 never leave the cell at 0.0; the sweep reaches the best one.
    np.testing.assert_array_equal(points[:, 1], [0.5, 0.5])


def test_same_seed_same_points_and_empty_input() -> None:
    starts = np.array([[0.1, 0.9], [0.4, 0.4]])
    score = bowl(np.array([0.5, 0.5]))
    a = refine.refine(score, starts, snap=identity, seed=7)
    b = refine.refine(score, starts, snap=identity, seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    empty, scores = refine.refine(score, np.zeros((0, 2)), snap=identity, seed=0)
    assert empty.shape == (0, 2) and scores.shape == (0,)
