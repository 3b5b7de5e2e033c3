"""Ties with a tolerance (kt_lrsearch.core.ties): last-bit noise never changes the pick."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kt_lrsearch.core.ties import TIE_RTOL, first_max, rank_descending

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
values = arrays(np.float64, st.integers(1, 40), elements=finite)


def jitter(x: np.ndarray, seed: int) -> np.ndarray:
    """Each value moved by a few ulps, as reassociated sums move them."""
    ulps = np.random.default_rng(seed).integers(-8, 9, size=x.shape)
    return x + ulps * np.spacing(np.abs(x) + 1e-300)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(0, 2**32 - 1))
def test_the_ranking_is_a_permutation_that_descends_up_to_the_tolerance(x, seed) -> None:
    order = rank_descending(x)
    assert sorted(order.tolist()) == list(range(x.size))
    ranked = x[order]
    slack = TIE_RTOL * np.maximum(1.0, np.abs(ranked[:-1]))
    assert np.all(ranked[1:] <= ranked[:-1] + slack)


@settings(max_examples=200, deadline=None)
@given(values, st.integers(0, 2**32 - 1), st.integers(0, 39))
def test_a_near_tie_with_the_best_goes_to_the_lowest_index(x, seed, dup) -> None:
    best = int(np.argmax(x))
    twin = dup % x.size
    x = x.copy()
    x[twin] = x[best]  # two equal maxima, then each moved by a few ulps
    noisy = jitter(x, seed)
    assert first_max(noisy) == first_max(x) == min(best, twin) or (
        # a third value within the tolerance of the maximum also counts as tied
        first_max(noisy) == first_max(x) < min(best, twin)
    )
    assert rank_descending(noisy)[0] == rank_descending(x)[0] == first_max(x)


def test_distinct_values_keep_the_plain_order() -> None:
    x = np.array([0.1, 3.0, -np.inf, 2.0, 3.0 + 1e-3])
    assert rank_descending(x).tolist() == [4, 1, 3, 0, 2]
    assert first_max(x) == 4
    assert first_max(np.array([-np.inf, -np.inf])) == 0
