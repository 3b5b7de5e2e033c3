"""The unit cube the GP works in: log-scale maps, the dense grid, candidate sets.

Every tuned hyperparameter is embedded in [0, 1] (Keras Tuner's
``value_to_prob``); for a log-sampled learning rate in [lo, hi] that embedding is

    u = log(lr / lo) / log(hi / lo),      lr = lo * (hi / lo) ** u,

so a uniform grid in u is a log-spaced grid of learning rates. Pure numpy
functions; the Sobol base sequence comes from SciPy.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy.stats import qmc

FloatArray = npt.NDArray[np.float64]

_SOBOL_BITS = 32
_DISTANCE_BLOCK = 256


def _check_log_range(lo: float, hi: float) -> None:
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ValueError(f"need 0 < lo < hi (finite) for a log scale, got [{lo}, {hi}]")


def to_unit_log(value: FloatArray, lo: float, hi: float) -> FloatArray:
    """Maps values in [lo, hi] to the unit interval on a log scale (shape kept)."""
    _check_log_range(lo, hi)
    return np.log(np.asarray(value, dtype=np.float64) / lo) / np.log(hi / lo)


def from_unit_log(u: FloatArray, lo: float, hi: float) -> FloatArray:
    """Inverse of :func:`to_unit_log`: lo * (hi / lo) ** u (shape kept)."""
    _check_log_range(lo, hi)
    return lo * np.power(hi / lo, np.asarray(u, dtype=np.float64))


def unit_grid(size: int) -> FloatArray:
    """A uniform grid over [0, 1] with both ends included, shape (size, 1).

    Including the ends matters: the best learning rate may sit on a bound.
    """
    if size < 2:
        raise ValueError(f"grid size must be at least 2, got {size}")
    return np.linspace(0.0, 1.0, size)[:, None]


def log_grid(lo: float, hi: float, size: int) -> FloatArray:
    """A log-spaced grid of ``size`` values from lo to hi, shape (size,)."""
    return from_unit_log(unit_grid(size)[:, 0], lo, hi)


def sobol_points(count: int, dim: int, *, seed: int, skip: int = 0) -> FloatArray:
    """Scrambled Sobol points in [0, 1)^dim, shape (count, dim).

    The base sequence is SciPy's unscrambled ``qmc.Sobol``, zero point included
    (point for point what TensorFlow's Sobol op gave); the scrambling is a random
    digital shift (each coordinate's 32-bit expansion XOR-ed with a per-dimension
    key drawn from ``seed``), which keeps the net's stratification while
    making the points seed-dependent. Points ``skip .. skip + count - 1`` of the
    same seed are always the same, so an initial design can be drawn one point at
    a time.
    """
    if count < 0 or dim < 1 or skip < 0:
        raise ValueError(f"need count >= 0, dim >= 1, skip >= 0; got {count}, {dim}, {skip}")
    if count == 0:
        return np.empty((0, dim))
    engine = qmc.Sobol(dim, scramble=False)  # Joe and Kuo's directions, from the zero point
    if skip:  # SciPy's fast_forward(0) overflows
        engine.fast_forward(skip)
    with warnings.catch_warnings():
        # SciPy warns when count is not a power of 2; the scrambling keeps any prefix useful.
        warnings.simplefilter("ignore", UserWarning)
        base = engine.random(count)
    scale = float(2**_SOBOL_BITS)
    bits = np.floor(base * scale).astype(np.uint64)
    keys = np.random.default_rng(seed).integers(0, 2**_SOBOL_BITS, size=dim, dtype=np.uint64)
    # Centre each point in its 2^-32 cell so no coordinate is exactly 0.
    return ((bits ^ keys).astype(np.float64) + 0.5) / scale


def local_candidates(centres: FloatArray, count: int, *, scale: float, seed: int) -> FloatArray:
    """Gaussian perturbations around ``centres`` (c, d), clipped to the cube.

    Returns:
        ``count`` points per centre, shape (c * count, d).
    """
    centres = np.atleast_2d(np.asarray(centres, dtype=np.float64))
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=scale, size=(centres.shape[0], count, centres.shape[1]))
    return np.clip(centres[:, None, :] + noise, 0.0, 1.0).reshape(-1, centres.shape[1])


def min_distances(points: FloatArray, references: FloatArray) -> FloatArray:
    """Euclidean distance from each of ``points`` (m, d) to its nearest reference.

    Args:
        points: Candidate points, shape (m, d).
        references: Points to keep away from, shape (r, d); r may be 0.

    Returns:
        Shape (m,); +inf everywhere when there are no references.
    """
    points = np.asarray(points, dtype=np.float64)
    references = np.asarray(references, dtype=np.float64).reshape(-1, points.shape[1])
    if references.shape[0] == 0:
        return np.full(points.shape[0], np.inf)
    # In blocks of rows: the (rows, r, d) differences of 2560 candidates and
    # 500 trials in 6-D would take 61 MB at once.
    out = np.empty(points.shape[0])
    for start in range(0, points.shape[0], _DISTANCE_BLOCK):
        diff = points[start : start + _DISTANCE_BLOCK, None, :] - references[None, :, :]
        out[start : start + _DISTANCE_BLOCK] = np.sqrt(np.min(np.sum(diff * diff, axis=-1), axis=1))
    return out
