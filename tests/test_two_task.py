"""The warm start's model (core.two_task, core.prior): two tasks, one kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch.core import gp, prior, two_task

GRID = np.linspace(0, 1, 201)[:, None]


def bump(x: np.ndarray, centre: float) -> np.ndarray:
    return np.exp(-0.5 * ((np.asarray(x)[:, 0] - centre) / 0.15) ** 2)


def earlier_task(centre: float = 0.3, n: int = 11) -> two_task.Earlier:
    x = np.linspace(0, 1, n)[:, None]
    return prior.prior_from(x, bump(x, centre), None, GRID).earlier


@pytest.mark.parametrize("d", [1, 3])
def test_the_kernel_is_its_documented_formula(d: int) -> None:
    rng = np.random.default_rng(d)
    xa, xb = rng.uniform(size=(7, d)), rng.uniform(size=(5, d))
    trend = 0.4 if d > 1 else 0.0
    h = gp.GPHyperparameters(
        amplitude=1.3,
        length_scale=rng.uniform(0.1, 1.0, d),
        noise_variance=0.01,
        trend_amplitude=trend,
    )
    # The formula of gp.kernel_matrix's docstring, written out independently.
    r = math.sqrt(5.0) * np.sqrt(
        np.sum(((xa[:, None, :] - xb[None, :, :]) / h.length_scale) ** 2, axis=-1)
    )
    dot = (2.0 * xa - 1.0) @ (2.0 * xb - 1.0).T
    expected = h.amplitude**2 * (1.0 + r + r**2 / 3.0) * np.exp(-r) + trend**2 * (dot + dot**2)
    np.testing.assert_allclose(gp.kernel_matrix(h, xa, xb), expected, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.float64, (6, 2), elements=st.floats(0, 1)),
    trend=st.floats(0, 3),
    amplitude=st.floats(0.1, 3),
)
def test_the_kernel_diagonal_is_the_matrix_diagonal(x, trend, amplitude) -> None:
    h = gp.GPHyperparameters(amplitude, np.array([0.3, 0.7]), 0.01, trend)
    full = gp.kernel_matrix(h, x, x)
    np.testing.assert_allclose(gp.kernel_diagonal(h, x), np.diag(full), rtol=1e-12)


def test_without_relation_the_earlier_scores_do_not_matter() -> None:
    x_new = np.array([[0.2], [0.8]])
    y_new = np.array([0.4, 0.6])
    one = two_task.TwoTaskGP(earlier_task(0.3), x_new, y_new, rho=0.0, scale=1.0)
    other = two_task.TwoTaskGP(earlier_task(0.7), x_new, y_new, rho=0.0, scale=1.0)
    # Same kernel (fitted on a shifted bump, so only nearly): compare the shapes they give.
    for a, b in zip(one.predict_from(*_base(one)), other.predict_from(*_base(other)), strict=True):
        np.testing.assert_allclose(a, b, atol=0.02)
    related = two_task.TwoTaskGP(earlier_task(0.3), x_new, y_new, rho=0.95, scale=1.0)
    mean, _ = related.predict_from(*_base(related))
    assert abs(GRID[int(np.argmax(mean)), 0] - 0.3) < 0.05  # the earlier bump shows through


def _base(model: two_task.TwoTaskGP) -> tuple[np.ndarray, np.ndarray]:
    h = model.earlier.hyperparameters
    return gp.kernel_matrix(h, GRID, model.inputs), gp.kernel_diagonal(h, GRID)


def test_a_related_task_earns_the_relation_and_an_unrelated_one_does_not() -> None:
    earlier = earlier_task(0.3)
    x = np.array([[0.1], [0.3], [0.5], [0.7], [0.9]])
    related = two_task.fit(x, 0.5 + 0.8 * bump(x, 0.3), earlier)
    unrelated = two_task.fit(x, 0.5 + 0.8 * bump(x, 0.75), earlier)
    assert related.relatedness > 0.8 > 0.3 > unrelated.relatedness
    assert related.probability_related > 0.95 and unrelated.probability_related < 0.2
    mean, _ = related.predict(GRID)
    assert abs(GRID[int(np.argmax(mean)), 0] - 0.3) < 0.05
    mean, _ = unrelated.predict(GRID)
    assert abs(GRID[int(np.argmax(mean)), 0] - 0.75) < 0.1


def test_the_first_proposal_is_the_earlier_best_and_one_point_decides_little() -> None:
    earlier = prior.prior_from(GRID[::20], bump(GRID[::20], 0.3), None, GRID)
    assert earlier.best[0] == pytest.approx(0.3, abs=0.02) and earlier.count == 11
    no_relation = two_task.NO_RELATION_MASS
    prior_relatedness = (1 - no_relation) * np.mean(two_task.RHO_GRID[1:])
    model = two_task.fit(np.array([[0.3]]), np.array([0.8]), earlier.earlier)
    assert model.relatedness == pytest.approx(prior_relatedness, abs=0.1)
    assert model.probability_related == pytest.approx(1 - no_relation, abs=0.1)


def test_the_mixture_is_moment_matched_and_fantasies_keep_the_mean() -> None:
    earlier = earlier_task(0.3)
    x = np.array([[0.2], [0.35], [0.7]])
    model = two_task.fit(x, 0.5 + 0.4 * bump(x, 0.3), earlier)
    assert len(model.parts) > 1 and model.weights.sum() == pytest.approx(1.0)
    mean, std = model.predict(GRID)
    parts = [p.predict_from(*_base(p)) for p in model.parts]
    means = np.array([m for m, _ in parts])
    variances = np.array([s**2 for _, s in parts])
    np.testing.assert_allclose(mean, model.weights @ means, rtol=1e-10)
    assert np.all(std**2 >= model.weights @ variances - 1e-12)
    assert np.all((mean >= means.min(0) - 1e-12) & (mean <= means.max(0) + 1e-12))
    at = np.array([[0.55]])
    fantasy = model.condition_on(at, model.predict(at)[0])
    # Each component keeps its mean at its own fantasy; the mixture mean moves little.
    assert fantasy.predict(at)[0] == pytest.approx(model.predict(at)[0], abs=0.02)
    assert fantasy.predict(at)[1] < model.predict(at)[1]


def test_the_noise_in_score_units_is_the_earlier_noise_times_the_scale() -> None:
    earlier = earlier_task(0.3)
    x = np.array([[0.2], [0.35], [0.7]])
    model = two_task.fit(x, 0.5 + 0.4 * bump(x, 0.3), earlier)
    scale = model.weights @ np.array([p.scale for p in model.parts])
    earlier_sd = math.sqrt(earlier.hyperparameters.noise_variance) * earlier.standardiser.scale
    expected = earlier_sd * scale
    noise_sd = math.sqrt(model.hyperparameters.noise_variance) * model.standardiser.scale
    assert noise_sd == pytest.approx(expected, rel=1e-9)


def test_the_grid_prior_gives_no_relation_half_its_mass() -> None:
    weights = np.exp(two_task.grid_log_prior()).reshape(len(two_task.RHO_GRID), -1)
    by_rho = weights.sum(axis=1) / weights.sum()
    assert by_rho[0] == pytest.approx(two_task.NO_RELATION_MASS)
    assert np.allclose(by_rho[1:], by_rho[1])
