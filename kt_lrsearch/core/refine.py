"""Local refinement of the acquisition from its best candidates.

A few thousand scrambled-Sobol candidates leave the acquisition's maximiser up
to a cell width away (about 0.1 of the range per axis in 6-D), which costs the
last digits of precision on smooth objectives. BoTorch's ``optimize_acqf`` and
Optuna's GP sampler polish their best raw candidates with a gradient-based
optimiser; here a derivative-free (1 + lambda) search does it, because points
are snapped onto discrete values (Int, Choice), where gradients do not exist,
and one batched posterior of a few hundred points costs about a millisecond.

First every point sweeps each axis alone over ``SWEEP`` evenly spaced
positions (snapped, so an Int or a Choice of up to that many values is
enumerated exactly: small steps rarely leave a Choice's cell, and its values'
order in the embedding means nothing). Then each round draws ``samples``
Gaussian steps around every current point, snaps
them and moves to the best if it beats the point; a point that did not move
halves its step (a move keeps it, so a start far from the maximum still
travels). Pure: the acquisition and the snapping come in as callables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# The first step matches the local candidates' spread (candidates.LOCAL_SCALE);
# 8 rounds of 64 steps cost 8 posterior calls of 64 points per start.
ROUNDS = 8
SAMPLES = 64
SCALE = 0.05
SWEEP = 17


def refine(
    score: Callable[[FloatArray], FloatArray],
    starts: FloatArray,
    *,
    snap: Callable[[FloatArray], FloatArray],
    seed: int | Sequence[int],
    rounds: int = ROUNDS,
    samples: int = SAMPLES,
    scale: float = SCALE,
) -> tuple[FloatArray, FloatArray]:
    """Improves each start point's score by shrinking random local steps.

    Args:
        score: Maps points (k, d) in the unit cube to scores (k,), higher is
            better (log EI).
        starts: (s, d) starting points, already snapped.
        snap: Moves points (k, d) onto the values they decode to.
        seed: Seed of the steps; the result is a function of it and the inputs.
        rounds: Rounds of steps.
        samples: Steps drawn around each point per round.
        scale: First round's step (standard deviation), in unit-cube coordinates.

    Returns:
        (points (s, d), scores (s,)): each start's best point found and its
        score; a point never scores below its start.
    """
    points = np.array(starts, dtype=np.float64, copy=True)
    best = np.asarray(score(points), dtype=np.float64)
    if points.size == 0:
        return points, best
    s, d = points.shape
    rng = np.random.default_rng(seed)
    rows = np.arange(s)
    points, best = _sweep(score, points, best, snap)
    step = np.full(s, scale)
    for _ in range(rounds):
        steps = rng.normal(size=(s, samples, d)) * step[:, None, None]
        moved = snap(np.clip(points[:, None, :] + steps, 0.0, 1.0).reshape(-1, d))
        values = np.asarray(score(moved), dtype=np.float64).reshape(s, samples)
        pick = np.argmax(values, axis=1)
        better = values[rows, pick] > best
        points[better] = moved.reshape(s, samples, d)[rows[better], pick[better]]
        best[better] = values[rows[better], pick[better]]
        step[~better] /= 2
    return points, best


def _sweep(
    score: Callable[[FloatArray], FloatArray],
    points: FloatArray,
    best: FloatArray,
    snap: Callable[[FloatArray], FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Moves each point (s, d) to its best one-axis change among ``SWEEP`` positions.

    Tries s * d * SWEEP points in one call of ``score``; keeps a point whose
    every change scores lower.
    """
    s, d = points.shape
    positions = np.linspace(0.0, 1.0, SWEEP)
    # (s, d, SWEEP, d): point i with axis a set to position k.
    moved = np.repeat(points[:, None, None, :], d, axis=1).repeat(SWEEP, axis=2)
    moved[:, np.arange(d), :, np.arange(d)] = positions
    moved = snap(moved.reshape(-1, d)).reshape(s, d * SWEEP, d)
    values = np.asarray(score(moved.reshape(-1, d)), dtype=np.float64).reshape(s, -1)
    pick = np.argmax(values, axis=1)
    rows = np.arange(s)
    better = values[rows, pick] > best
    points, best = points.copy(), best.copy()
    points[better] = moved[rows[better], pick[better]]
    best[better] = values[rows[better], pick[better]]
    return points, best
