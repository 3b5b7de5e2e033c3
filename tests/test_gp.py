"""The TFP GP against a NumPy reference, and its guards for awkward data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch import gp


def matern52(x1: np.ndarray, x2: np.ndarray, amp: float, ls: np.ndarray) -> np.ndarray:
    """Three-line NumPy Matern-5/2 reference, as in TFP's own kernel tests."""
    r = np.sqrt(np.sum(((x1[:, None, :] - x2[None, :, :]) / ls) ** 2, axis=-1))
    return amp**2 * (1 + math.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-math.sqrt(5) * r)


def reference_posterior(model: gp.GaussianProcess, xq: np.ndarray) -> tuple[np.ndarray, ...]:
    """Textbook GP regression with the model's fitted hyperparameters."""
    h = model.hyperparameters
    z = model.standardiser.forward(model.y_obs)
    k = matern52(model.x_obs, model.x_obs, h.amplitude, h.length_scale)
    k += (h.noise_variance + gp._JITTER) * np.eye(len(z))
    ks = matern52(xq, model.x_obs, h.amplitude, h.length_scale)
    mean = ks @ np.linalg.solve(k, z)
    var = h.amplitude**2 - np.sum(ks * np.linalg.solve(k, ks.T).T, axis=1)
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
    fitted = gp._neg_log_posterior(tf.constant(model.theta[None]), xt, z).numpy()[0]
    starts = gp._neg_log_posterior(tf.constant(gp._initial_theta(1)), xt, z).numpy()
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
    assert math.exp(gp._LOG_AMP_BOUNDS[0]) <= h.amplitude <= math.exp(gp._LOG_AMP_BOUNDS[1])
    assert np.all(h.length_scale <= math.exp(gp._LOG_LS_BOUNDS[1]) * (1 + 1e-9))
    assert h.noise_variance <= math.exp(gp._LOG_NOISE_BOUNDS[1]) * (1 + 1e-9)


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
    assert gp._RUNTIME is not None


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
