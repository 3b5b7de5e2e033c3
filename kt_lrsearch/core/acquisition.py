"""Closed-form Expected Improvement (maximisation) on plain arrays.

For a Gaussian posterior f(x) ~ N(mu, sigma^2), incumbent ``best`` and margin
``xi >= 0``, the improvement I = max(f - best - xi, 0) has expectation

    EI = sigma * h(z),   z = (mu - best - xi) / sigma,   h(z) = phi(z) + z Phi(z),

with phi / Phi the standard normal pdf / cdf, and EI = max(mu - best - xi, 0)
when sigma = 0. Far below the incumbent h(z) underflows to 0 in float64 for
z < -38, so the whole region would tie and the argmax would fall on the first
grid point. :func:`log_expected_improvement` evaluates log h(z) without
underflow (after Ament et al., "Unexpected Improvements to Expected Improvement
for Bayesian Optimization", NeurIPS 2023), keeping a strict ordering everywhere.

Only numpy, SciPy's ``erfc`` and the standard library are used: no TensorFlow,
no Keras Tuner.
Minimisation is the caller's job: negate the objective.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)

# Below this z the ratio Phi(z) / phi(z) is taken from its asymptotic series:
# erfc(-z / sqrt 2) underflows near z = -38, and at z = -25 six terms of the
# series are exact to float64 precision (the first omitted term is ~1e-16).
_ASYMPTOTIC_Z = -25.0
_ASYMPTOTIC_TERMS = 8


def normal_pdf(z: FloatArray) -> FloatArray:
    """Standard normal density phi(z), elementwise."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-0.5 * z * z - _LOG_SQRT_2PI)


def normal_cdf(z: FloatArray) -> FloatArray:
    """Standard normal distribution function Phi(z) = erfc(-z / sqrt 2) / 2."""
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * special.erfc(-z / math.sqrt(2.0))


def _log_h_asymptotic(z: FloatArray) -> FloatArray:
    """log h(z) for z << 0 from the Mills-ratio series.

    h(z) / phi(z) = 1 + z Phi(z) / phi(z) = sum_{k>=1} (-1)^(k+1) (2k-1)!! / z^(2k),
    so log h = log phi(z) + log(that sum); the series is asymptotic, accurate
    for |z| >= 25 with a handful of terms.
    """
    inv_z2 = 1.0 / (z * z)
    term = inv_z2
    total = term.copy()
    for k in range(2, _ASYMPTOTIC_TERMS + 1):
        term = term * (2 * k - 1) * inv_z2
        total += term if k % 2 == 1 else -term
    return -0.5 * z * z - _LOG_SQRT_2PI + np.log(total)


def log_h(z: FloatArray) -> FloatArray:
    """log(phi(z) + z Phi(z)), finite and accurate for every finite z.

    Three regimes: direct evaluation for z > -1 (h >= 0.083, no cancellation);
    log phi(z) + log1p(z Phi(z) / phi(z)) for -25 < z <= -1 (relative error
    about eps * z^2 from the cancellation, < 1e-12); the asymptotic series below.

    Args:
        z: Standardised improvements, any shape.

    Returns:
        log h(z), same shape as ``z``.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    upper = z > -1.0
    middle = (~upper) & (z > _ASYMPTOTIC_Z)
    lower = ~(upper | middle)
    zu = z[upper]
    out[upper] = np.log(normal_pdf(zu) + zu * normal_cdf(zu))
    zm = z[middle]
    ratio = normal_cdf(zm) / normal_pdf(zm)
    out[middle] = -0.5 * zm * zm - _LOG_SQRT_2PI + np.log1p(zm * ratio)
    out[lower] = _log_h_asymptotic(z[lower])
    return out


def _validated(
    mean: FloatArray, std: FloatArray, best: float, xi: float
) -> tuple[FloatArray, FloatArray]:
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    if mean.shape != std.shape:
        raise ValueError(f"mean {mean.shape} and std {std.shape} must have one shape")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        raise ValueError("mean and std must be finite")
    if np.any(std < 0):
        raise ValueError("std must be non-negative")
    if not math.isfinite(best):
        raise ValueError(f"best must be finite, got {best}")
    if not (math.isfinite(xi) and xi >= 0):
        raise ValueError(f"xi must be a finite number >= 0, got {xi}")
    return mean, std


def log_expected_improvement(
    mean: FloatArray, std: FloatArray, best: float, *, xi: float = 0.0
) -> FloatArray:
    """log EI for maximisation: log(sigma) + log h((mu - best - xi) / sigma).

    Args:
        mean: Posterior means mu, shape (m,) (any shape works elementwise).
        std: Posterior standard deviations sigma >= 0, same shape.
        best: Incumbent value (the best observed or best posterior mean).
        xi: Exploration margin >= 0 in the units of ``mean``.

    Returns:
        log EI, same shape; -inf exactly where sigma = 0 and mu <= best + xi.

    Raises:
        ValueError: On shape mismatch, non-finite inputs, negative std or xi.
    """
    mean, std = _validated(mean, std, best, xi)
    gap = mean - best - xi
    out = np.empty_like(mean)
    certain = std == 0.0
    with np.errstate(divide="ignore"):
        out[certain] = np.log(np.maximum(gap[certain], 0.0))
    s = std[~certain]
    out[~certain] = np.log(s) + log_h(gap[~certain] / s)
    return out


def expected_improvement(
    mean: FloatArray, std: FloatArray, best: float, *, xi: float = 0.0
) -> FloatArray:
    """EI for maximisation, sigma * h((mu - best - xi) / sigma); see module doc.

    Args:
        mean: Posterior means mu, shape (m,).
        std: Posterior standard deviations sigma >= 0, same shape.
        best: Incumbent value.
        xi: Exploration margin >= 0.

    Returns:
        EI >= 0, same shape as ``mean``; may underflow to 0 where
        :func:`log_expected_improvement` still ranks the points.
    """
    return np.exp(log_expected_improvement(mean, std, best, xi=xi))
