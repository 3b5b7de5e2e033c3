"""A trust region for the last third of a search in two or more dimensions.

TuRBO-1's rule (Eriksson et al., 2019, "Scalable global optimization via local
Bayesian optimization", at batch size 1 and with the paper's constants): a box
centred at the best observed point, whose side ``L`` starts at 0.8 of the unit
cube, doubles after 3 improvements in a row and halves after ``max(4, d)``
trials in a row without one (an improvement beats the best so far by more than
``1e-3 |best|``), within ``[0.5^7, 1.6]``; below the minimum it starts again at
0.8. Side ``i`` is ``L w_i`` with ``w_i = l_i / (prod_j l_j)^(1/d)``, the GP's
length scales over their geometric mean, so the box is long where the
landscape is smooth.

Unlike TuRBO, the box applies only to the **last third of the model-based
trials** (the first two thirds search the whole space, as the decaying EI margin
does: early trials explore, the last ones exploit), the GP is fitted on every
observation, and EI stays the acquisition. Chosen on issue 12's tuning half
against the box from the first model-based trial on, on every other trial and
in the second half (docs/design.md). ``L`` is replayed from the finished
trials in trial order, so a decision stays a pure function of the seed, the
options and the trials.
Only in spaces of Float and Int hyperparameters without conditions: on the
tuning half's mixed space (a Choice beside Floats and an Int) every box tried
cost (docs/benchmarks.md), so spaces with a Choice or a condition keep the
global search throughout.

Pure numpy, free of Keras Tuner.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import ties

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SIDE_START, SIDE_MIN, SIDE_MAX = 0.8, 0.5**7, 1.6
SUCCESSES_TO_GROW = 3
RELATIVE_IMPROVEMENT = 1e-3


def failures_to_shrink(dim: int) -> int:
    """Trials in a row without an improvement that halve the side: ``max(4, d)``."""
    return max(4, dim)


def side(frame: FloatArray, ok: BoolArray, n_initial: int, dim: int) -> float:
    """The box's side ``L`` after replaying the model-based trials' scores.

    Args:
        frame: (n,) scores in the maximisation frame, in trial order.
        ok: (n,) True where the trial completed with a finite score; a failed
            trial counts as no improvement.
        n_initial: Size of the initial design: the best of its scores is the
            first reference, and the replay starts after it.
        dim: d, the number of tuned dimensions.
    """
    scores = np.where(ok, frame, -np.inf)
    best = float(np.max(scores[:n_initial], initial=-np.inf))
    length, successes, failures = SIDE_START, 0, 0
    for score in scores[n_initial:]:
        improved = bool(np.isfinite(score)) and (
            not math.isfinite(best) or score > best + RELATIVE_IMPROVEMENT * abs(best)
        )
        successes, failures = (successes + 1, 0) if improved else (0, failures + 1)
        best = max(best, float(score))
        if successes == SUCCESSES_TO_GROW:
            length, successes = min(2.0 * length, SIDE_MAX), 0
        if failures == failures_to_shrink(dim):
            length, failures = length / 2.0, 0
        if length < SIDE_MIN:
            length = SIDE_START
    return length


def in_last_third(trials_so_far: int, n_initial: int, max_trials: int | None) -> bool:
    """Whether the next trial is in the last third of the model-based trials.

    ``3 (trials_so_far - n_initial) >= 2 (max_trials - n_initial)``, in integers
    so that a budget divisible by three splits exactly; never without a budget.
    """
    return bool(max_trials) and 3 * (trials_so_far - n_initial) >= 2 * (max_trials - n_initial)


@dataclasses.dataclass(frozen=True)
class Box:
    """An axis-aligned box in the unit cube, (d,) bounds each."""

    lower: FloatArray
    upper: FloatArray

    def contains(self, points: FloatArray) -> BoolArray:
        """(m,) True where a point (m, d) lies in the box (to rounding)."""
        inside = (points >= self.lower - 1e-12) & (points <= self.upper + 1e-12)
        return np.all(inside, axis=1)

    def spread(self, unit: FloatArray) -> FloatArray:
        """Points (m, d) of the unit cube mapped affinely onto the box."""
        return self.lower + (self.upper - self.lower) * unit

    def clip(self, points: FloatArray) -> FloatArray:
        """Points (m, d) clipped into the box."""
        return np.clip(points, self.lower, self.upper)


def inside(region: Box | None, points: FloatArray) -> BoolArray:
    """(m,) True where a point (m, d) lies in ``region``; all True without one."""
    return np.ones(points.shape[0], dtype=bool) if region is None else region.contains(points)


def box(centre: FloatArray, length: float, length_scale: FloatArray) -> Box:
    """The box of side ``length`` around ``centre`` (d,), clipped to the unit cube.

    Side ``i`` is ``length * w_i``, ``w_i = l_i / (prod_j l_j)^(1/d)`` for the
    GP's length scales ``length_scale`` (d,).
    """
    scales = np.asarray(length_scale, dtype=np.float64)
    half = scales / math.exp(float(np.mean(np.log(scales)))) * length / 2.0
    return Box(np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0))


def region(
    unit: FloatArray,
    frame: FloatArray,
    ok: BoolArray,
    length_scale: FloatArray,
    *,
    n_initial: int,
    trials_so_far: int,
    max_trials: int | None,
) -> Box | None:
    """The trust region for the next trial, or None when it searches everywhere.

    Args:
        unit: (n, d) finished trials' unit points, in trial order (d < 2: None).
        frame: (n,) their scores, maximisation frame (NaN where failed).
        ok: (n,) True where the trial completed.
        length_scale: (d,) the fitted GP's length scales.
        n_initial: Size of the initial design.
        trials_so_far: Trials created so far.
        max_trials: The budget, or None (no last third: None).
    """
    if unit.shape[1] < 2 or not ok.any():
        return None
    if not in_last_third(trials_so_far, n_initial, max_trials):
        return None
    centre = unit[ok][ties.first_max(frame[ok])]
    length = side(frame, ok, n_initial, unit.shape[1])
    return box(centre, length, length_scale)
