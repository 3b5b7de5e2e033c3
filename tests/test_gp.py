"""The TFP GP against a NumPy reference, and its guards for awkward data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch.core import gp, kernel, threads


def reference_kernel(x1: np.ndarray, x2: np.ndarray, h: gp.GPHyperparameters) -> np.ndarray:
    """NumPy Matern-5/2 (as in TFP's own kernel tests) plus the quadratic trend."""
    r = np.sqrt(np.sum(((x1[:, None, :] - x2[None, :, :]) / h.length_scale) ** 2, axis=-1))
    matern = h.amplitude**2 * (1 + math.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-math.sqrt(5) * r)
    dot = (2 * x1 - 1) @ (2 * x2 - 1).T
    return matern + h.trend_amplitude**2 * (dot + dot**2)


def reference_posterior(model: gp.GaussianProcess, xq: np.ndarray) -> tuple[np.ndarray, ...]:
    """Textbook GP regression with the model's fitted hyperparameters."""
    h = model.hyperparameters
    z = model.standardiser.forward(model.y_obs)
    k = reference_kernel(model.x_obs, model.x_obs, h)
    k += (h.noise_variance + kernel.JITTER) * np.eye(len(z))
    ks = reference_kernel(xq, model.x_obs, h)
    prior_var = np.diag(reference_kernel(xq, xq, h))
    mean = ks @ np.linalg.solve(k, z)
    var = prior_var - np.sum(ks * np.linalg.solve(k, ks.T).T, axis=1)
    scale = model.standardiser.scale
    return model.standardiser.inverse(mean), np.sqrt(np.maximum(var, 0)) * scale


def landscape(x: np.ndarray) -> np.ndarray:
    return np.sin(6 * x[:, 0]) + 0.5 * x[:, -1]


@pytest.mark.parametrize("d", [1, 3])
def test_posterior_matches_numpy_reference(d: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(12, d))
    y = landscape(x) + 0.05 * rng.normal(size=12)
    model = gp.fit_gp(x, y)
    xq = rng.uniform(size=(50, d))
    mean, std = model.predict(xq)
    ref_mean, ref_std = reference_posterior(model, xq)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(std, ref_std, rtol=1e-5, atol=1e-7)


def test_fit_recovers_a_smooth_function() -> None:
    x = np.linspace(0, 1, 15)[:, None]
    model = gp.fit_gp(x, landscape(x))
    xq = np.linspace(0.02, 0.98, 40)[:, None]
    mean, std = model.predict(xq)
    assert np.max(np.abs(mean - landscape(xq))) < 0.05
    assert np.all(std < 0.1)


def test_map_fit_improves_on_every_start() -> None:
    import tensorflow as tf

    x = np.linspace(0, 1, 8)[:, None]
    y = landscape(x)
    model = gp.fit_gp(x, y)
    z = tf.constant(model.standardiser.forward(y))
    xt = tf.constant(x)
    fitted = kernel.neg_log_posterior(tf.constant(model.theta[None]), xt, z).numpy()[0]
    starts = kernel.neg_log_posterior(tf.constant(kernel.initial_theta(1)), xt, z).numpy()
    assert fitted <= starts.min() + 1e-9


def test_single_point_falls_back_to_the_prior() -> None:
    model = gp.fit_gp(np.array([[0.3]]), np.array([0.7]))
    mean, std = model.predict(np.array([[0.3], [0.95]]))
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert mean == pytest.approx([0.7, 0.7], abs=1e-9)  # prior mean = the one value
    assert std[1] > std[0] > 0


def test_constant_observations_do_not_divide_by_zero() -> None:
    model = gp.fit_gp(np.array([[0.1], [0.5], [0.9]]), np.full(3, 0.42))
    mean, std = model.predict(np.linspace(0, 1, 11)[:, None])
    assert model.standardiser.scale == 1.0
    np.testing.assert_allclose(mean, 0.42, atol=1e-9)
    assert np.all(np.isfinite(std))


def test_duplicate_inputs_with_different_outputs() -> None:
    x = np.array([[0.5], [0.5], [0.5], [0.1]])
    y = np.array([0.2, 0.8, 0.5, 0.1])
    model = gp.fit_gp(x, y)
    mean, std = model.predict(np.array([[0.5]]))
    assert np.isfinite(mean[0]) and np.isfinite(std[0])
    assert 0.2 < mean[0] < 0.8  # between the duplicates, not exploding


def test_hyperparameters_stay_in_bounds_for_hostile_data() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(20, 2))
    y = rng.normal(size=20) * 1e6  # pure noise, huge scale
    h = gp.fit_gp(x, y).hyperparameters
    assert math.exp(kernel.LOG_AMP_BOUNDS[0]) <= h.amplitude <= math.exp(kernel.LOG_AMP_BOUNDS[1])
    assert np.all(h.length_scale <= math.exp(kernel.LOG_LS_BOUNDS[1]) * (1 + 1e-9))
    assert h.noise_variance <= math.exp(kernel.LOG_NOISE_BOUNDS[1]) * (1 + 1e-9)
    low, high = (math.exp(b) for b in kernel.LOG_TREND_BOUNDS)
    assert low * (1 - 1e-9) <= h.trend_amplitude <= high * (1 + 1e-9)


def test_the_trend_is_off_in_one_dimension() -> None:
    """1-D searches keep the Matern GP alone (kernel.py): the trend's coordinate of
    theta gets no gradient from the data and stays at its start."""
    x = np.array([[0.05], [0.15], [0.25], [0.75], [0.85], [0.95]])
    model = gp.fit_gp(x, -((x[:, 0] - 0.45) ** 2))
    assert model.hyperparameters.trend_amplitude == 0.0
    assert model.theta[2] == kernel.initial_theta(1)[0, 2]
    two_d = gp.fit_gp(np.c_[x, x[::-1]], -((x[:, 0] - 0.45) ** 2))
    assert two_d.hyperparameters.trend_amplitude > 0.0


def test_the_noise_prior_depends_on_the_number_of_input_columns() -> None:
    """Log-normal in 1-D; a log s^2 - b s^2 (Optuna's form) from two columns (kernel.py)."""
    import tensorflow as tf

    log_noise = np.log([1e-6, 1e-3, 1e-2, 0.3])
    loc, scale = kernel.NOISE_PRIOR
    a, b = kernel.NOISE_PRIOR_MULTI
    for d, expected in (
        (1, -0.5 * ((log_noise - loc) / scale) ** 2),
        (2, a * log_noise - b * np.exp(log_noise)),
        (5, a * log_noise - b * np.exp(log_noise)),
    ):
        got = kernel.noise_log_prior(tf.constant(log_noise), tf.zeros((3, d), tf.float64))
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_two_columns_fit_the_noise_the_data_have() -> None:
    """Noise-free data in 2-D earn a near-interpolating model; noisy data their noise."""
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(20, 2))
    y = np.sin(3 * x[:, 0]) + np.cos(2 * x[:, 1])
    assert gp.fit_gp(x, y).hyperparameters.noise_variance < 1e-4
    noisy = y + rng.normal(0.0, 0.1, size=20)
    true_ratio = 0.1**2 / np.var(noisy)  # the noise variance on the standardised scale
    fitted = gp.fit_gp(x, noisy).hyperparameters.noise_variance
    assert true_ratio / 3 < fitted < 3 * true_ratio


@settings(max_examples=15, deadline=None)
@given(
    centre=st.tuples(st.floats(0.25, 0.75), st.floats(0.25, 0.75)),
    seed=st.integers(0, 10_000),
)
def test_a_bowl_seen_from_outside_its_top_peaks_near_it(
    centre: tuple[float, float], seed: int
) -> None:
    """Twelve random points of a concave quadratic in 2-D, none within 0.2 of its
    top: the model's best lies within 0.03 of the top (a grid step is 0.025) and
    above every observation. The Matern part alone: 0.01-0.09, 22 of 30 over 0.03."""
    rng = np.random.default_rng(seed)
    top = np.asarray(centre)
    points = rng.uniform(size=(400, 2))
    x = points[np.linalg.norm(points - top, axis=1) > 0.2][:12]
    y = -np.sum((x - top) ** 2, axis=1)
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41)), -1).reshape(-1, 2)
    mean, _ = gp.fit_gp(x, y).predict(grid)
    assert np.linalg.norm(grid[np.argmax(mean)] - top) < 0.03
    assert mean.max() > y.max()


def test_one_graph_serves_every_number_of_points_and_dimensions() -> None:
    gp.warm_up(d=1)
    runtime = gp._runtime()
    operations = len(runtime.graph.get_operations())
    rng = np.random.default_rng(2)
    for n, d in ((3, 1), (7, 1), (16, 3), (31, 6)):
        model = gp.fit_gp(rng.uniform(size=(n, d)), rng.normal(size=n))
        mean, std = model.predict(rng.uniform(size=(64, d)))
        assert mean.shape == std.shape == (64,)
    assert gp._runtime() is runtime and runtime.graph.finalized
    assert len(runtime.graph.get_operations()) == operations


def test_keras_global_resets_leave_the_gp_alone() -> None:
    """Keras Tuner calls clear_session() and set_random_seed() before every build."""
    import keras

    rng = np.random.default_rng(4)
    x, y, query = rng.uniform(size=(9, 2)), rng.normal(size=9), rng.uniform(size=(50, 2))
    before = gp.fit_gp(x, y).predict(query)
    runtime = gp._runtime()
    keras.utils.clear_session()
    keras.utils.set_random_seed(123)
    after = gp.fit_gp(x, y).predict(query)
    assert gp._runtime() is runtime  # the same session: nothing is rebuilt
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_warm_up_in_the_background_happens_once() -> None:
    first = gp.warm_up_in_background()
    assert gp.warm_up_in_background() is first
    first.join()
    assert first.daemon and threads.DEFAULT_THREADS in gp._RUNTIMES


def test_condition_on_fantasy_keeps_mean_and_shrinks_std() -> None:
    x = np.array([[0.1], [0.4], [0.9]])
    model = gp.fit_gp(x, np.array([0.2, 0.9, 0.4]))
    pending = np.array([[0.65]])
    fantasy, _ = model.predict(pending)
    believer = model.condition_on(pending, fantasy)
    m0, s0 = model.predict(pending)
    m1, s1 = believer.predict(pending)
    assert m1[0] == pytest.approx(m0[0], abs=1e-6)
    assert s1[0] < 0.5 * s0[0]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.zeros((0, 1)), np.zeros(0), "n >= 1"),
        (np.zeros((3, 1)), np.zeros(2), "shape"),
        (np.zeros(3), np.zeros(3), "shape"),
        (np.zeros((2, 1)), np.array([0.0, np.nan]), "finite"),
    ],
)
def test_rejects_bad_input(x: np.ndarray, y: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gp.fit_gp(x, y)


@settings(max_examples=15, deadline=None)
@given(
    xs=st.lists(st.floats(0, 1), min_size=1, max_size=8),
    seed=st.integers(0, 2**16),
)
def test_posterior_is_finite_for_any_data(xs: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.array(xs)[:, None]
    y = rng.normal(size=len(xs)) * rng.choice([1e-8, 1.0, 1e4])
    mean, std = gp.fit_gp(x, y).predict(np.linspace(0, 1, 33)[:, None])
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std >= 0)
