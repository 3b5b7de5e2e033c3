"""Gaussian-process surrogate: fitted MAP hyperparameters and the posterior.

The GP lives on the unit cube (the hyperparameters' ``value_to_prob`` embedding)
and sees standardised observations; this module never sees Keras Tuner objects.
The model itself (Matern-5/2 plus a quadratic trend, the hyperparameters'
bounds and priors, the MAP loss) is :mod:`kt_lrsearch.core.kernel`; this module fits
it and answers queries.

Glossary of names and shapes:
    n: number of observations; d: input dimensions; m: query points;
    k: L-BFGS restarts; p = d + 3: number of GP hyperparameters.
    x_obs: (n, d) float64 in [0, 1]^d.        y_obs: (n,) float64, raw units.
    z_obs: (n,) standardised y_obs.            x_query: (m, d) float64.
    theta: (p,) or (k, p) unconstrained parameters (layout in kernel.py).

The hyperparameters are MAP estimates: the log marginal likelihood plus the
priors of kernel.py, maximised by L-BFGS (SciPy's, on TFP's loss and gradient)
from a few fixed starts.
"""

from __future__ import annotations

import collections
import contextvars
import dataclasses
import hashlib
import logging
import math
import threading

import numpy as np
import numpy.typing as npt
import tensorflow as tf
from scipy import optimize

from kt_lrsearch.core import kernel
from kt_lrsearch.core.threads import session_threads

FloatArray = npt.NDArray[np.float64]

_LBFGS_MAX_ITERATIONS = 60


@dataclasses.dataclass(frozen=True)
class GPHyperparameters:
    """Fitted kernel hyperparameters on the standardised scale.

    Attributes:
        amplitude: Signal standard deviation a of the Matern part (scalar).
        length_scale: Per-dimension length scales l, shape (d,).
        noise_variance: Observation noise variance s^2 (scalar).
        trend_amplitude: Scale q of the quadratic trend's coefficients (scalar;
            0 with one input column, where the trend is off).
    """

    amplitude: float
    length_scale: FloatArray
    noise_variance: float
    trend_amplitude: float


@dataclasses.dataclass(frozen=True)
class Standardiser:
    """Affine map y -> z = (y - mean) / scale with a floor on the scale.

    Attributes:
        mean: Sample mean of the observations.
        scale: Sample standard deviation, or 1.0 when the observations are
            (numerically) constant, so constant data never divides by zero.
    """

    mean: float
    scale: float

    @classmethod
    def fit(cls, y: FloatArray) -> Standardiser:
        """Builds the map from observations ``y`` of shape (n,), n >= 1."""
        mean = float(np.mean(y))
        scale = float(np.std(y))
        if not np.isfinite(scale) or scale <= 1e-12 * max(1.0, abs(mean)):
            scale = 1.0
        return cls(mean=mean, scale=scale)

    def forward(self, y: FloatArray) -> FloatArray:
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.scale

    def inverse(self, z: FloatArray) -> FloatArray:
        return np.asarray(z, dtype=np.float64) * self.scale + self.mean


class _Runtime:
    """The MAP loss and the posterior as one private graph, run by its own session.

    Why not ``tf.function``: a traced function runs from TensorFlow's global
    kernel cache, which ``keras.utils.clear_session()`` and
    ``keras.utils.set_random_seed()`` empty. Keras Tuner calls both before every
    model it builds, and each time TFP's L-BFGS graph was instantiated again
    (4-10 s per fit instead of ~30 ms). A graph and session owned by this module
    keep their kernels whatever a tuner or the user does to Keras, on any Keras
    backend. Placeholders leave n, d and k open: the graph is built once per
    process. ``Session.run`` is thread-safe.

    Why SciPy's L-BFGS-B drives the fit instead of TFP's ``lbfgs_minimize``
    inside the graph: that graph took ~10 s per process to build and run once,
    the loss-and-gradient graph about 1 s; fits reach the same optimum (same
    loss to 4 decimals at 5, 20 and 50 points), at 50 points 2-3x faster
    (bench/bench_gp.py, docs/benchmarks.md). The model, kernel and likelihood
    stay TFP's.
    """

    def __init__(self, threads: int | None) -> None:
        self.graph = tf.Graph()
        with self.graph.as_default():
            placeholder = tf.compat.v1.placeholder
            self.x_obs = placeholder(kernel.F64, [None, None], name="x_obs")
            self.z_obs = placeholder(kernel.F64, [None], name="z_obs")
            self.thetas = placeholder(kernel.F64, [None, None], name="thetas")
            self.theta = placeholder(kernel.F64, [None], name="theta")
            self.x_query = placeholder(kernel.F64, [None, None], name="x_query")
            self.loss, self.gradient = kernel.loss_and_gradient(self.thetas, self.x_obs, self.z_obs)
            self.mean, self.std = kernel.posterior(self.x_obs, self.z_obs, self.theta, self.x_query)
            # The same kernel, evaluated alone (the warm start's two-task model).
            self.log_amp = placeholder(kernel.F64, [], name="log_amp")
            self.log_trend = placeholder(kernel.F64, [], name="log_trend")
            self.log_ls = placeholder(kernel.F64, [None], name="log_ls")
            self.trend_on = placeholder(kernel.F64, [], name="trend_on")
            k = kernel.kernel(self.log_amp, self.log_trend, self.log_ls, self.trend_on)
            self.x_a = placeholder(kernel.F64, [None, None], name="x_a")
            self.x_b = placeholder(kernel.F64, [None, None], name="x_b")
            self.matrix = k.matrix(self.x_a, self.x_b)
            self.diagonal = k.apply(self.x_a, self.x_a)
        self.graph.finalize()
        # The decision's bound (kt_lrsearch.core.threads, one by default): each
        # L-BFGS step is a small graph run, and hand-offs to a wide pool cost
        # more than they save. 0 is TensorFlow's "as many as the machine has".
        # Grappler stays on.
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=threads or 0, inter_op_parallelism_threads=threads or 0
        )
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)

    def fit_theta(self, x_obs: FloatArray, z_obs: FloatArray, theta0: FloatArray) -> FloatArray:
        """L-BFGS from each start (k, p); the best finite optimum (p,), else theta0[0].

        L-BFGS fails silently (NaN loss, or its start back): a non-finite loss
        counts as +inf to the optimiser, and non-finite results are ranked last.
        """

        def loss_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
            feed = {self.x_obs: x_obs, self.z_obs: z_obs, self.thetas: theta[None, :]}
            loss, gradient = self.session.run([self.loss, self.gradient], feed_dict=feed)
            if not (np.isfinite(loss[0]) and np.all(np.isfinite(gradient))):
                return math.inf, np.zeros_like(theta)
            return float(loss[0]), gradient[0]

        best, best_loss = theta0[0], math.inf
        for start in theta0:
            result = optimize.minimize(
                loss_and_gradient,
                start,
                jac=True,
                method="L-BFGS-B",
                options={"maxiter": _LBFGS_MAX_ITERATIONS, "gtol": 1e-6},
            )
            if np.isfinite(result.fun) and result.fun < best_loss:
                best, best_loss = result.x, float(result.fun)
        return np.asarray(best, dtype=np.float64)

    def posterior(
        self, x_obs: FloatArray, z_obs: FloatArray, theta: FloatArray, x_query: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        feed = {self.x_obs: x_obs, self.z_obs: z_obs, self.theta: theta, self.x_query: x_query}
        return tuple(self.session.run([self.mean, self.std], feed_dict=feed))

    def kernel_values(
        self, hyper: GPHyperparameters, x_a: FloatArray, x_b: FloatArray | None
    ) -> FloatArray:
        """k(x_a, x_b) (na, nb), or the diagonal k(x_a_i, x_a_i) (na,) when x_b is None."""
        trend = hyper.trend_amplitude
        feed = {
            self.log_amp: math.log(hyper.amplitude),
            self.log_trend: math.log(trend) if trend > 0.0 else 0.0,
            self.log_ls: np.log(hyper.length_scale),
            self.trend_on: 1.0 if trend > 0.0 else 0.0,
            self.x_a: x_a,
        }
        if x_b is None:
            return self.session.run(self.diagonal, feed_dict=feed)
        return self.session.run(self.matrix, feed_dict={**feed, self.x_b: x_b})


_RUNTIMES: dict[int | None, _Runtime] = {}
# Guards the build only: a thread that needs the runtime waits for it anyway.
_BUILD_LOCK = threading.Lock()


def _runtime() -> _Runtime:
    """The runtime for the current thread bound, built on first use (others wait)."""
    threads = session_threads()
    runtime = _RUNTIMES.get(threads)
    if runtime is None:
        with _BUILD_LOCK:
            runtime = _RUNTIMES.get(threads) or _RUNTIMES.setdefault(threads, _Runtime(threads))
    return runtime


def _check_inputs(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0] or x.shape[0] < 1:
        raise ValueError(
            f"expected x of shape (n, d) and y of shape (n,) with n >= 1, "
            f"got x {x.shape} and y {y.shape}"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("GP inputs must be finite; map failures to a penalty first")
    return x, y


@dataclasses.dataclass(frozen=True)
class GaussianProcess:
    """A fitted GP: observations, standardiser and MAP hyperparameters.

    Build it with :func:`fit_gp`; query it with :meth:`predict`.
    """

    x_obs: FloatArray
    y_obs: FloatArray
    standardiser: Standardiser
    theta: FloatArray

    @property
    def hyperparameters(self) -> GPHyperparameters:
        """The fitted (amplitude, length scales, noise variance, trend amplitude)."""
        log_amp, log_noise, log_trend, log_ls = kernel.unpack(np.asarray(self.theta))
        trend_on = kernel.trend_active(self.x_obs.shape[1])
        return GPHyperparameters(
            amplitude=float(np.exp(log_amp)),
            length_scale=np.exp(log_ls),
            noise_variance=float(np.exp(log_noise)),
            trend_amplitude=float(np.exp(log_trend)) if trend_on else 0.0,
        )

    def predict(self, x_query: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior of the latent function in the units of y.

        Args:
            x_query: Query points, shape (m, d), in the unit cube.

        Returns:
            (mean, std), each of shape (m,), in the units of ``y_obs``.
        """
        x_query = np.asarray(x_query, dtype=np.float64)
        z_mean, z_std = _runtime().posterior(
            self.x_obs, self.standardiser.forward(self.y_obs), self.theta, x_query
        )
        scale = self.standardiser.scale
        return self.standardiser.inverse(z_mean), z_std * scale

    def condition_on(self, x_new: FloatArray, y_new: FloatArray) -> GaussianProcess:
        """Adds observations without refitting the kernel (used for fantasies).

        The standardiser and hyperparameters stay those of the fitted model, so
        a fantasy equal to the posterior mean leaves the mean unchanged and only
        shrinks the uncertainty around ``x_new``.
        """
        x_new, y_new = _check_inputs(x_new, y_new)
        return dataclasses.replace(
            self,
            x_obs=np.concatenate([self.x_obs, x_new]),
            y_obs=np.concatenate([self.y_obs, y_new]),
        )


def fit_gp(x_obs: FloatArray, y_obs: FloatArray, *, fit_rows: int | None = None) -> GaussianProcess:
    """Fits a Matern-5/2 GP by MAP on the standardised observations.

    Args:
        x_obs: Observation inputs, shape (n, d), in the unit cube; n >= 1.
            Duplicate rows are allowed (the noise term absorbs them).
        y_obs: Observed values, shape (n,), finite; constant values are fine.
        fit_rows: Fit the hyperparameters on the first ``fit_rows`` observations
            only (standardised by their own mean and SD), and condition on all
            n; None: on all. A fit of the same rows is remembered
            (:func:`_map_theta`), so a schedule of refits
            (:func:`kt_lrsearch.core.refit.hyperparameter_rows`) pays one fit
            per step.

    Returns:
        The fitted :class:`GaussianProcess`.

    Raises:
        ValueError: On mismatched shapes, an empty set or non-finite values.
    """
    x_obs, y_obs = _check_inputs(x_obs, y_obs)
    standardiser = Standardiser.fit(y_obs)
    rows = x_obs.shape[0] if fit_rows is None else max(1, min(fit_rows, x_obs.shape[0]))
    y_fit = y_obs[:rows]
    theta = _map_theta(x_obs[:rows], Standardiser.fit(y_fit).forward(y_fit))
    return GaussianProcess(x_obs=x_obs, y_obs=y_obs, standardiser=standardiser, theta=theta)


_THETA_CACHE: collections.OrderedDict[bytes, FloatArray] = collections.OrderedDict()
_THETA_CACHE_SIZE = 16
_THETA_LOCK = threading.Lock()


def _map_theta(x_obs: FloatArray, z_obs: FloatArray) -> FloatArray:
    """The MAP hyperparameters (p,) for these inputs, remembered for the last few inputs.

    Keyed on the inputs' bytes: the same observations give the same
    hyperparameters bit for bit, as a fresh fit would.
    """
    key = hashlib.sha256(
        np.asarray(x_obs.shape, dtype=np.int64).tobytes() + x_obs.tobytes() + z_obs.tobytes()
    ).digest()
    with _THETA_LOCK:
        if key in _THETA_CACHE:
            _THETA_CACHE.move_to_end(key)
            return _THETA_CACHE[key].copy()
    theta = _runtime().fit_theta(x_obs, z_obs, kernel.initial_theta(x_obs.shape[1]))
    with _THETA_LOCK:
        _THETA_CACHE[key] = theta.copy()
        while len(_THETA_CACHE) > _THETA_CACHE_SIZE:
            _THETA_CACHE.popitem(last=False)
    return theta


def kernel_matrix(hyper: GPHyperparameters, x_a: FloatArray, x_b: FloatArray) -> FloatArray:
    """The GP's kernel (:func:`kt_lrsearch.core.kernel.kernel`) between two sets, (na, nb).

    ``a^2 M52(r) + q^2 (u.u' + (u.u')^2)``, ``r^2 = sum_j ((x_j - x'_j) / l_j)^2``,
    ``u = 2x - 1``, with ``hyper``'s values (``q = 0``: no trend).

    Args:
        hyper: Kernel hyperparameters (the noise variance is not used).
        x_a: (na, D) points.
        x_b: (nb, D) points.
    """
    x_a, x_b = np.asarray(x_a, dtype=np.float64), np.asarray(x_b, dtype=np.float64)
    return _runtime().kernel_values(hyper, x_a, x_b)


def kernel_diagonal(hyper: GPHyperparameters, x: FloatArray) -> FloatArray:
    """k(x_i, x_i) for each row of x (k, D), shape (k,), without the (k, k) matrix."""
    return _runtime().kernel_values(hyper, np.asarray(x, dtype=np.float64), None)


def warm_up(d: int = 1) -> None:
    """Builds the graph and runs the fit and the posterior once, on three points.

    The graph leaves n and d open, so any ``d`` warms up every later call. The
    first call costs seconds (~5 s to build the L-BFGS graph, ~5 s for its first
    run here); later calls with any number of points take milliseconds.
    """
    x_obs = np.linspace(0.1, 0.9, 3)[:, None] * np.ones((1, d))
    fit_gp(x_obs, np.array([0.0, 1.0, 0.5])).predict(x_obs)


_WARM_UP_THREAD: threading.Thread | None = None
_WARM_UP_LOCK = threading.Lock()
_LOG = logging.getLogger(__name__)


def warm_up_in_background() -> threading.Thread:
    """Starts :func:`warm_up` in a daemon thread, once per process; returns that thread.

    The oracle calls this when it hands out its first trial, so the ~10 s cost
    overlaps that trial's training instead of stalling the first model-based
    decision. A daemon, so a program that ends early never waits for it; the
    build runs for the thread bound of the block that started it. A failure
    only loses the head start: it is logged (``kt_lrsearch.core.gp``, at
    WARNING), and the first fit builds the graph again and raises as usual.
    """
    global _WARM_UP_THREAD
    with _WARM_UP_LOCK:
        if _WARM_UP_THREAD is None:
            context = contextvars.copy_context()
            _WARM_UP_THREAD = threading.Thread(
                target=context.run, args=(_warm_up_logged,), name="gp-warm-up", daemon=True
            )
            _WARM_UP_THREAD.start()
        return _WARM_UP_THREAD


def _warm_up_logged() -> None:
    try:
        warm_up()
    except Exception as error:  # reported here, and raised again by the first fit
        _LOG.warning("the GP's background warm-up failed (the first fit will retry): %r", error)
