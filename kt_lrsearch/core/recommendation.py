"""The recommended learning rate, with the range the model cannot tell apart from it.

A search's best *noisy* score is a lucky draw as often as a good rate: on the
sample, neighbouring rates score out of order by more than their difference
(issue 13). The recommendation therefore comes from the GP's posterior mean,
which pools every evaluation:

- ``value``: by ``rule``, the rate with the best posterior mean over the dense
  grid (``"grid"``), the tried rate with the best posterior mean (``"tried"``),
  or the tried rate with the best *measured* score among those inside the range
  below (``"measured"``, the default: the model decides which rates are
  contenders, the measurements decide among them; the grid's best when no trial
  lies in the range). Which serves better was measured (docs/benchmarks.md,
  bench/bench_recommend.py and bench/bench_oracle.py).
- ``low`` / ``high``: the contiguous stretch of the grid around the model's best
  where the posterior mean lies within one noise standard deviation of that
  best: rates whose true scores the search could not tell apart from it with one
  more evaluation each.
- ``at_bound``: "lower" or "upper" when the model's best sits at that end of the
  searched range (within ``BOUND_FRACTION`` of it, in the grid's own spacing),
  so the optimum may lie beyond it.

Pure numpy, in the objective's units; the direction decides what "best" means.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import ties

FloatArray = npt.NDArray[np.float64]

GRID = "grid"
TRIED = "tried"
MEASURED = "measured"
RULES = (GRID, TRIED, MEASURED)
# Chosen by measurement: lowest mean regret on all five measured tables
# (docs/benchmarks.md, "The recommendation").
DEFAULT_RULE = MEASURED
# The model's best "sits at a bound" within this fraction of the grid's extent
# (2% of three decades is 0.06 decade, one step of a 50-point grid).
BOUND_FRACTION = 0.02


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """A recommended value with its range; see the module docstring."""

    value: float
    low: float
    high: float
    mean: float
    noise_sd: float
    rule: str
    at_bound: str | None
    searched: tuple[float, float]

    def as_dict(self) -> dict[str, object]:
        """Plain types for results.json; rates at 2 significant digits under ``shown``."""
        return {
            "learning_rate": self.value,
            "range": [self.low, self.high],
            "posterior_mean": self.mean,
            "noise_sd": self.noise_sd,
            "rule": self.rule,
            "at_bound": self.at_bound,
            "searched": list(self.searched),
            "shown": f"{self.value:.2g} (range {self.low:.2g} to {self.high:.2g})",
        }


def indistinct_range(frame: FloatArray, best: int, tolerance: float) -> tuple[int, int]:
    """(first, last) grid indices of the run around ``best`` within ``tolerance`` of it.

    Args:
        frame: (m,) posterior mean in the maximisation frame.
        best: Index of the stretch's anchor (normally the argmax).
        tolerance: Allowed shortfall from ``frame[best]`` (>= 0).
    """
    close = frame >= frame[best] - tolerance
    first = best
    while first > 0 and close[first - 1]:
        first -= 1
    last = best
    while last < frame.size - 1 and close[last + 1]:
        last += 1
    return first, last


def recommend(
    grid: FloatArray,
    mean: FloatArray,
    noise_sd: float,
    obs_x: FloatArray,
    obs_mean: FloatArray,
    ok: npt.NDArray[np.bool_],
    *,
    direction: str,
    rule: str = DEFAULT_RULE,
    within_tried: bool = True,
    obs_scores: FloatArray | None = None,
) -> Recommendation | None:
    """The recommendation from a fitted 1-D posterior.

    Args:
        grid: (m,) candidate values, ascending (the decision's dense grid).
        mean: (m,) posterior mean on the grid, objective units.
        noise_sd: The GP's observation-noise standard deviation, objective units.
        obs_x: (n,) evaluated values.
        obs_mean: (n,) posterior mean at them.
        ok: (n,) which evaluations completed (only those can be recommended
            under ``rule="tried"``).
        direction: "max" or "min".
        rule: ``GRID``, ``TRIED`` or ``MEASURED``.
        within_tried: Consider only grid values between the lowest and the
            highest completed trial (the bound warning still follows the whole
            grid's best).
        obs_scores: (n,) measured scores, objective units; needed by ``MEASURED``.

    Returns:
        None before the GP exists or before any trial completed (a model of
        failures alone recommends nothing).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == MEASURED and obs_scores is None:
        raise ValueError(f"rule {MEASURED!r} needs obs_scores")
    grid, mean = np.asarray(grid, dtype=np.float64), np.asarray(mean, dtype=np.float64)
    ok = np.asarray(ok, dtype=bool)
    if mean.size == 0 or mean.size != grid.size or not ok.any():
        return None
    sign = 1.0 if direction == "max" else -1.0
    frame = sign * mean
    obs_x = np.asarray(obs_x, dtype=np.float64)
    # The model's belief about where the best lies decides the bound warning.
    belief = ties.first_max(frame)
    edge = max(1, round(BOUND_FRACTION * (grid.size - 1)))
    at_bound = "lower" if belief < edge else "upper" if belief > grid.size - 1 - edge else None
    # A trial stored a rounding error inside a bound (9.999999999999998 for 10)
    # still counts as at that bound's grid point.
    slack = 1e-9 * float(grid[-1] - grid[0])
    if within_tried:
        # Beyond the outermost tried rates the mean is extrapolation: not recommended.
        span = (grid >= obs_x[ok].min() - slack) & (grid <= obs_x[ok].max() + slack)
        if span.any():
            frame = np.where(span, frame, -np.inf)
    top = ties.first_max(frame)
    first, last = indistinct_range(frame, top, max(float(noise_sd), 0.0))
    value, at_value = float(grid[top]), float(mean[top])
    if rule == TRIED:
        pick = np.flatnonzero(ok)[ties.first_max(sign * np.asarray(obs_mean)[ok])]
        value, at_value = float(obs_x[pick]), float(obs_mean[pick])
    elif rule == MEASURED:
        inside = np.flatnonzero(ok & (obs_x >= grid[first] - slack) & (obs_x <= grid[last] + slack))
        if inside.size:
            pick = inside[ties.first_max(sign * np.asarray(obs_scores, dtype=float)[inside])]
            value, at_value = float(obs_x[pick]), float(obs_mean[pick])
    return Recommendation(
        value=value,
        low=float(grid[first]),
        high=float(grid[last]),
        mean=at_value,
        noise_sd=float(noise_sd),
        rule=rule,
        at_bound=at_bound,
        searched=(float(grid[0]), float(grid[-1])),
    )


def bound_warning(
    rec: Recommendation, name: str = "learning rate", option: str = "--lr"
) -> str | None:
    """A one-line warning when the model's best sits at a bound, with how to widen it."""
    low, high = rec.searched
    if rec.at_bound == "upper":
        return (
            f"the best {name} may lie above the searched range: the model's best is "
            f"at its upper end ({high:.2g}); widen it, e.g. "
            f"{option}-max {high * 10:.2g}"
        )
    if rec.at_bound == "lower":
        return (
            f"the best {name} may lie below the searched range: the model's best is "
            f"at its lower end ({low:.2g}); widen it, e.g. "
            f"{option}-min {low / 10:.2g}"
        )
    return None
