"""The oracle's own options, validated, and the checks the oracle shares.

Kept apart from :mod:`kt_lrsearch.core.policy` so the decision module holds only
the decision; ``policy`` re-exports ``PolicyOptions``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np


def check_int(name: str, value: Any, minimum: int, *, allow_none: bool = False) -> None:
    """Raises ValueError naming the option unless ``value`` is an integer >= minimum."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"GPEIOracle: `{name}` must be an integer >= {minimum}, got {value!r}")


def check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, allow_none: bool = False
) -> None:
    """Raises ValueError naming the option unless ``value`` is a number in [low, high)."""
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not (low <= float(value) < high):
        raise ValueError(f"GPEIOracle: `{name}` must be a number in [{low}, {high}), got {value!r}")


# EI's margin at the first model-based trial, in observation SDs, before the
# division by d: the 1-D sweep of docs/benchmarks.md (issue 3).
DEFAULT_XI = 2.0
# Dimensions where the default margin is 0: measured better on the tuning half's
# 2-D and 3-D problems, a trade in 4 and 6 (docs/design.md, issue 12).
NO_MARGIN_DIMENSIONS = (2, 3)
# The exploring phase of a search: EI's margin decays to 0 over at most this
# many trials, and the distance filter keeps its full radius (policy.current_xi,
# PolicyOptions.distance). Later trials exploit.
EXPLORING_TRIALS = 50
# After the exploring phase the filter only keeps proposals distinct: far
# below a 2048-point grid's spacing (4.9e-4), closer points are one trial to
# any model.
LATE_RADIUS = 1e-6


@dataclasses.dataclass(frozen=True)
class PolicyOptions:
    """The oracle's own options (see :class:`~kt_lrsearch.tuning.oracle.GPEIOracle`).

    Raises:
        ValueError: When an option is out of range, naming it and the range.
    """

    num_initial_points: int | None = None
    grid_size: int = 2048
    num_candidates: int = 2048
    xi: float | None = None
    xi_decay: bool = True
    refine: bool = True
    trust_region: bool = True
    min_distance: float = 0.01
    failure_penalty: float = 0.5
    ei_stop_threshold: float | None = None

    def __post_init__(self) -> None:
        check_int("num_initial_points", self.num_initial_points, 1, allow_none=True)
        check_int("grid_size", self.grid_size, 2048)
        check_int("num_candidates", self.num_candidates, 64)
        check_float("xi", self.xi, 0.0, allow_none=True)
        check_float("min_distance", self.min_distance, 0.0, 0.5)
        check_float("failure_penalty", self.failure_penalty, 0.0)
        check_float("ei_stop_threshold", self.ei_stop_threshold, 0.0, allow_none=True)
        # Plain Python types: the options go into oracle.json.
        for name, kind in (
            ("grid_size", int),
            ("num_candidates", int),
            ("xi_decay", bool),
            ("refine", bool),
            ("trust_region", bool),
            ("min_distance", float),
            ("failure_penalty", float),
        ):
            object.__setattr__(self, name, kind(getattr(self, name)))
        for name in ("xi", "ei_stop_threshold"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))

    def margin(self, dim: int) -> float:
        """EI's margin at the first model-based trial, in observation SDs: ``xi / d``.

        It shrinks with the dimension: a few points in d dimensions leave the
        posterior's uncertainty large almost everywhere, so EI explores by itself
        and a margin only pushes proposals out to the corners (issue 12's trace).
        Without ``xi`` (the default): ``DEFAULT_XI / d``, except none in two and
        three dimensions. There, on the suite's 2-D and 3-D tuning problems
        (Branin, six-hump camel, Goldstein-Price, Himmelblau; Hartmann-3, Levy-3;
        budgets 20-30), EI without a margin found better points: that many trials
        cover a square or a cube well enough that the posterior already knows
        where it is unsure, and a margin sent proposals to the edges
        (docs/design.md). An explicit ``xi`` gives ``xi / d`` in every d, 2 and 3
        included.
        """
        if self.xi is not None:
            return self.xi / dim
        return 0.0 if dim in NO_MARGIN_DIMENSIONS else DEFAULT_XI / dim

    def distance(self, trials_so_far: int) -> float:
        """The distance filter's radius: ``min_distance``, then ``LATE_RADIUS``.

        For the first ``EXPLORING_TRIALS`` trials the filter keeps proposals
        ``min_distance`` apart; later ones, which exploit, need only be distinct
        (and the 1-D grid's points are 4.9e-4 apart). Measured on a noisy
        160-trial 1-D search (bench/bench_scaling.py --long): at the full radius
        the whole grid was ruled out by trial ~80, and Keras Tuner's random
        sampler proposed the rest; radii of 0.5 and 0.25 B^(-1/d) and
        min_distance / 10 kept it model-based but packed the optimum's
        neighbourhood, and the last quarter drifted away from it (median 0.08 to
        0.25 of the range); with distinct points only, all of the last quarter
        lay within 0.05 of the optimum (docs/benchmarks.md).
        """
        return self.min_distance if trials_so_far < EXPLORING_TRIALS else LATE_RADIUS

    def initial_points(self, dim: int) -> int:
        """Size of the initial design: the option, or d + 1 by default."""
        return self.num_initial_points or dim + 1


__all__ = ["PolicyOptions", "check_float", "check_int"]
