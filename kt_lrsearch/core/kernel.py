"""The GP's prior: kernel, hyperparameters, their bounds and priors, the MAP loss.

TensorFlow Probability ops only; :mod:`kt_lrsearch.core.gp` builds them once into its
own graph and runs them. Shapes as in :mod:`kt_lrsearch.core.gp`, with
p = d + 3 hyperparameters:

    theta (..., p), unconstrained, squashed into bounds:
        [log amplitude a, log noise variance s^2, log trend amplitude q,
         log length_scale_1 .. log length_scale_d].

Model on standardised observations z and unit inputs x in [0, 1]^d:

    z_i = g(x_i) + h(x_i) + eps_i,       eps_i ~ N(0, s^2),
    g ~ GP(0, a^2 Matern52(r)),          r^2 = sum_j ((x_j - x'_j) / l_j)^2,
    Matern52(r) = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r),
    h ~ GP(0, q^2 (u . u' + (u . u')^2)), u = 2 x - 1 in [-1, 1]^d.

``h`` is a quadratic trend with Gaussian coefficients: its covariance spans
every linear term u_j and every product u_j u_k (Rasmussen and Williams 2006,
section 2.7, explicit basis functions with a Gaussian prior). The Matern part
alone reverts to the mean away from the data, so with few points it sees a
bowl as a slope and its optimum as an edge; the trend lets the model carry
curvature from the points it has into the gaps between them, and its fitted
amplitude q goes small when the data are not bowl-shaped (issue 12). With one
input column (a single numeric hyperparameter, as the learning-rate search) the
trend is off (q multiplied by 0): on learning-rate curves it was measured worse
as often as better (docs/design.md), and a 1-D search keeps its decisions.

The noise variance's prior also depends on the number of input columns. In 1-D
(the learning-rate search, whose 1-epoch scores are noisy) it is log-normal with
median 1e-2. With two or more columns it is ``log p(s^2) = 0.1 log s^2 - 30 s^2``
over log s^2, the form Optuna's GPSampler optimises (a Gamma(1.1, 30) density of
s^2): nearly flat below 1e-3, falling fast above 0.1, so a noise-free objective
can earn a near-interpolating model while a noisy one still fits its noise. The
log-normal prior kept the fitted noise near its median whatever the data: on the
noise-free Rosenbrock (values 0 to 3,609) a noise SD of 16-21 hid a valley floor
of 0-10, and on the mixed space a noise SD of 0.004-0.006 hid dropout's effect of
0.0045 (docs/benchmarks.md).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import special

tfd = tfp.distributions
psd = tfp.math.psd_kernels

FloatArray = npt.NDArray[np.float64]
F64 = tf.float64

# Bounds (log space) keep L-BFGS out of the degenerate corners the PITFALLS note
# measured: without them length scale and amplitude drift to huge values.
LOG_AMP_BOUNDS = (math.log(0.05), math.log(20.0))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
LOG_TREND_BOUNDS = (math.log(1e-3), math.log(10.0))
LOG_LS_BOUNDS = (math.log(0.01), math.log(20.0))

# Priors on the standardised scale, (mean, sd) of the log. Amplitude ~1 because z
# has unit variance; noise variance (one input column; more: NOISE_PRIOR_MULTI)
# centred on 1e-2 (a 1-epoch accuracy jitters by ~1% of its range) but wide;
# length scale centred on 0.3 of the unit interval, widened by sqrt(d) because
# distances in the unit cube grow like sqrt(d). The trend's median 0.3 was chosen
# among 0.1, 0.3 and 1 on the tuning half of the issue-12 suite (docs/benchmarks.md).
AMP_PRIOR = (0.0, 1.0)
NOISE_PRIOR = (math.log(1e-2), 1.5)
TREND_PRIOR = (math.log(0.3), 1.5)
LS_PRIOR = (math.log(0.3), 1.0)

# TFP's GaussianProcess adds this jitter to the kernel diagonal by default (its
# `jitter` argument is deprecated): with the noise floor it keeps the Cholesky
# factor finite for duplicate inputs. Named here for the reference tests.
JITTER = 1e-6
# Restart grid (length scale, noise variance): short/clean, medium, long/noisy.
RESTARTS = ((0.1, 1e-3), (0.3, 1e-2), (1.0, 1e-1))


def squash(u: tf.Tensor, bounds: tuple[float, float]) -> tf.Tensor:
    """Maps an unconstrained value into ``bounds`` (log space) with a sigmoid."""
    lo, hi = bounds
    # NumPy stays NumPy: reading a fitted model runs no TF op (~5 ms after clear_session()).
    return lo + (hi - lo) * (tf.math.sigmoid(u) if tf.is_tensor(u) else special.expit(u))


def unsquash(v: float, bounds: tuple[float, float]) -> float:
    """The inverse of :func:`squash` for a value strictly inside ``bounds``."""
    lo, hi = bounds
    t = (v - lo) / (hi - lo)
    return math.log(t / (1.0 - t))


def unpack(theta: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """Splits theta (..., p) into bounded (log a, log s^2, log q, log l (..., d))."""
    return (
        squash(theta[..., 0], LOG_AMP_BOUNDS),
        squash(theta[..., 1], LOG_NOISE_BOUNDS),
        squash(theta[..., 2], LOG_TREND_BOUNDS),
        squash(theta[..., 3:], LOG_LS_BOUNDS),
    )


# The trend is on from this many input dimensions (off in 1-D: docs/design.md).
# Read once, when kt_lrsearch.core.gp builds its graph; bench/bench_suite.py --no-trend
# raises it to compare.
TREND_MIN_DIMENSIONS = 2
# The multi-column noise prior from this many input dimensions (the module docstring).
# Read once, when kt_lrsearch.core.gp builds its graph; bench/bench_suite.py
# --lognormal-noise raises it to compare.
NOISE_PRIOR_MIN_DIMENSIONS = 2
# log p(s^2) = a log s^2 - b s^2 in more columns: (a, b) = (concentration - 1, rate).
NOISE_PRIOR_MULTI = (0.1, 30.0)


def trend_active(d: int) -> bool:
    """Whether a GP on d input columns has the trend (numpy side of ``trend_switch``)."""
    return d >= TREND_MIN_DIMENSIONS


def _switch(x: tf.Tensor, minimum: int) -> tf.Tensor:
    """1.0 when the inputs (..., d) have d >= minimum, else 0.0 (d is open in the graph)."""
    return tf.cast(tf.shape(x)[-1] >= minimum, F64)


def trend_switch(x: tf.Tensor) -> tf.Tensor:
    """``trend_active(d)`` in the graph: 1.0 or 0.0 for inputs (..., d)."""
    return _switch(x, TREND_MIN_DIMENSIONS)


def noise_log_prior(log_noise: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
    """The noise variance's log prior (up to a constant) for inputs x (..., d).

    Log-normal ``NOISE_PRIOR`` in log s^2 below ``NOISE_PRIOR_MIN_DIMENSIONS``,
    ``a log s^2 - b s^2`` (``NOISE_PRIOR_MULTI``) from there on.
    """
    multi = _switch(x, NOISE_PRIOR_MIN_DIMENSIONS)
    a, b = NOISE_PRIOR_MULTI
    return (1.0 - multi) * _normal_log_prob(log_noise, *NOISE_PRIOR) + multi * (
        a * log_noise - b * tf.exp(log_noise)
    )


def kernel(
    log_amp: tf.Tensor, log_trend: tf.Tensor, log_ls: tf.Tensor, switch: tf.Tensor
) -> psd.PositiveSemidefiniteKernel:
    """ARD Matern-5/2 plus the quadratic trend of the module docstring.

    With x - 1/2 = u / 2, TFP's Linear and Polynomial kernels (shift 1/2, slopes
    2q and 4q) give q^2 u . u' and q^2 (u . u')^2. ``switch`` (0 or 1, from
    :func:`trend_switch`) multiplies q: the graph leaves d open, so the 1-D case
    is a factor, not a second graph.
    """
    matern = psd.FeatureScaled(
        psd.MaternFiveHalves(amplitude=tf.exp(log_amp), length_scale=None),
        scale_diag=tf.exp(log_ls),
    )
    trend, half = switch * tf.exp(log_trend), tf.constant(0.5, F64)
    linear = psd.Linear(slope_amplitude=2.0 * trend, shift=half)
    square = psd.Polynomial(slope_amplitude=4.0 * trend, shift=half, exponent=tf.constant(2.0, F64))
    return matern + linear + square


def _normal_log_prob(v: tf.Tensor, loc: float, scale: float) -> tf.Tensor:
    return -0.5 * tf.square((v - loc) / scale)


def neg_log_posterior(theta: tf.Tensor, x_obs: tf.Tensor, z_obs: tf.Tensor) -> tf.Tensor:
    """-(log p(z | theta) + log p(theta)) for theta of shape (k, p); returns (k,)."""
    log_amp, log_noise, log_trend, log_ls = unpack(theta)
    d = tf.cast(tf.shape(x_obs)[-1], F64)
    switch = trend_switch(x_obs)
    model = tfd.GaussianProcess(
        kernel=kernel(log_amp, log_trend, log_ls, switch),
        index_points=x_obs,
        observation_noise_variance=tf.exp(log_noise),
    )
    log_prior = (
        _normal_log_prob(log_amp, *AMP_PRIOR)
        + noise_log_prior(log_noise, x_obs)
        # Off in 1-D: no gradient at all, so the fit there is the Matern GP's, exactly.
        + switch * _normal_log_prob(log_trend, *TREND_PRIOR)
        + tf.reduce_sum(
            _normal_log_prob(log_ls - 0.5 * tf.math.log(d)[..., None], *LS_PRIOR),
            axis=-1,
        )
    )
    return -(model.log_prob(z_obs) + log_prior)


def loss_and_gradient(
    theta: tf.Tensor, x_obs: tf.Tensor, z_obs: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """The MAP loss (k,) at each row of theta (k, p) and its gradient (k, p)."""
    loss = neg_log_posterior(theta, x_obs, z_obs)
    return loss, tf.gradients(tf.reduce_sum(loss), theta)[0]


def posterior(
    x_obs: tf.Tensor, z_obs: tf.Tensor, theta: tf.Tensor, x_query: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Posterior mean and std of g + h (no observation noise) at x_query, (m,) each."""
    log_amp, log_noise, log_trend, log_ls = unpack(theta)
    model = tfd.GaussianProcessRegressionModel(
        kernel=kernel(log_amp, log_trend, log_ls, trend_switch(x_obs)),
        index_points=x_query,
        observation_index_points=x_obs,
        observations=z_obs,
        observation_noise_variance=tf.exp(log_noise),
        predictive_noise_variance=tf.constant(0.0, F64),
    )
    return model.mean(), model.stddev()


def initial_theta(d: int) -> FloatArray:
    """Deterministic L-BFGS starts, shape (len(RESTARTS), d + 3)."""
    rows = []
    for ls, noise in RESTARTS:
        rows.append(
            [
                unsquash(0.0, LOG_AMP_BOUNDS),
                unsquash(math.log(noise), LOG_NOISE_BOUNDS),
                unsquash(TREND_PRIOR[0], LOG_TREND_BOUNDS),
            ]
            + [unsquash(math.log(ls * math.sqrt(d)), LOG_LS_BOUNDS)] * d
        )
    return np.asarray(rows, dtype=np.float64)
