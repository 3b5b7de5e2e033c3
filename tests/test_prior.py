"""The warm-start prior (kt_lrsearch.prior): offset and scale, and the model around it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch import gp, prior

GRID = np.linspace(0, 1, 201)[:, None]


def bump(x: np.ndarray, centre: float) -> np.ndarray:
    return np.exp(-0.5 * ((np.asarray(x)[:, 0] - centre) / 0.15) ** 2)


def test_one_new_point_says_nothing_about_the_relation_yet() -> None:
    a, b = prior.offset_and_scale(np.array([0.4]), np.array([0.9]), spread=0.3)
    assert b == prior.PRIOR_SCALE and a == pytest.approx(0.9 - prior.PRIOR_SCALE * 0.4)


def test_many_points_recover_a_related_task_and_ignore_an_unrelated_one() -> None:
    m = bump(GRID, 0.5)
    related = 0.3 + 2.0 * m
    a, b = prior.offset_and_scale(m, related, spread=float(np.std(m)))
    assert b == pytest.approx(2.0, abs=0.03) and a == pytest.approx(0.3, abs=0.02)
    unrelated = np.random.default_rng(0).normal(size=m.size)
    _, b = prior.offset_and_scale(m, unrelated, spread=float(np.std(m)))
    assert abs(b) < 0.2
    # A landscape that is the earlier one upside down is no relation: b = 0, a = mean.
    a, b = prior.offset_and_scale(m, 0.3 - 2.0 * m, spread=float(np.std(m)))
    assert b == 0.0 and a == pytest.approx(np.mean(0.3 - 2.0 * m))


@settings(max_examples=60, deadline=None)
@given(m=hnp.arrays(np.float64, 6, elements=st.floats(-3, 3)),
       y=hnp.arrays(np.float64, 6, elements=st.floats(-3, 3)),
       spread=st.floats(0.01, 3.0))  # fmt: skip
def test_the_scale_is_shrunk_from_least_squares_towards_the_prior_scale(m, y, spread) -> None:
    a, b = prior.offset_and_scale(m, y, spread)
    dm, towards = m - m.mean(), prior.PRIOR_SCALE
    assert b >= 0.0
    if dm @ dm > 1e-9:
        least_squares = (dm @ (y - y.mean())) / (dm @ dm)
        low, high = max(0.0, min(towards, least_squares)), max(0.0, towards, least_squares)
        assert low - 1e-9 <= b <= high + 1e-9
    # The fitted line passes through the centroid.
    assert a + b * m.mean() == pytest.approx(y.mean(), abs=1e-9)


def test_the_model_adds_the_trend_to_the_residual_gp_and_fantasies_keep_the_mean() -> None:
    earlier = prior.prior_from(GRID[::20], bump(GRID[::20], 0.3), None, GRID)
    assert earlier.best[0] == pytest.approx(0.3, abs=0.02) and earlier.count == 11
    x = np.array([[0.2], [0.3], [0.7]])
    y = 0.5 + 0.4 * bump(x, 0.3)
    model = prior.fit(x, y, None, earlier)
    mean, std = model.predict(GRID)
    # Where no new point is, the earlier shape still shows: highest near 0.3.
    assert abs(GRID[int(np.argmax(mean)), 0] - 0.3) < 0.05
    assert np.all(std > 0) and isinstance(model.residual, gp.GaussianProcess)
    fantasy = model.condition_on(np.array([[0.5]]), model.predict(np.array([[0.5]]))[0])
    assert fantasy.predict(np.array([[0.5]]))[0] == pytest.approx(
        model.predict(np.array([[0.5]]))[0], abs=1e-6)  # fmt: skip
    assert fantasy.predict(np.array([[0.5]]))[1] < model.predict(np.array([[0.5]]))[1]
