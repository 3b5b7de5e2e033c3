"""Ties that noise in the last bits cannot flip: a maximum and a ranking with a tolerance.

The GP's outputs come from an L-BFGS fit and BLAS sums whose order depends on the
CPU's instruction set and on threads, so two values that are equal in exact
arithmetic can differ in the last few bits from one machine to another. A plain
``argmax`` then picks a different index on each. Here values within
``TIE_RTOL * max(1, |best|)`` of each other count as tied, and a tie goes to the
lowest index, on every machine.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Reassociation moves a float64 sum of n terms by about n * 1e-16 of its size; the
# GP's outputs on two CPUs (AVX-512 against AVX2) differed by under 1e-12. 1e-10
# leaves a margin of 100 and is the widest that keeps every decision recorded in
# tests/fixtures/decisions.json.gz (1e-9 already regrouped 4 of 216 refinements'
# starts, ties no noise could have flipped).
TIE_RTOL = 1e-10


def tolerance(value: float) -> float:
    """The tie width around ``value``: ``TIE_RTOL * max(1, |value|)``."""
    return TIE_RTOL * max(1.0, abs(value)) if np.isfinite(value) else 0.0


def first_max(values: FloatArray) -> int:
    """Index of the first value within :func:`tolerance` of the largest.

    Args:
        values: (n,) with n >= 1; -inf allowed, NaN not.
    """
    values = np.asarray(values, dtype=np.float64)
    best = float(np.max(values))
    return int(np.flatnonzero(values >= best - tolerance(best))[0])


def rank_descending(values: FloatArray) -> IntArray:
    """(n,) indices, largest value first; near-ties (as :func:`tolerance`) in index order.

    Values are walked in descending order and cut into runs whose members lie
    within the tolerance of the run's first value; each run is then put in index
    order. Only a value on a run's edge can still move, which takes a gap of the
    tolerance itself rather than one last bit.
    """
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(-values, kind="stable")
    ranked, start = [], 0
    for end in range(1, order.size + 1):
        if end == order.size or values[order[end]] < values[order[start]] - tolerance(
            float(values[order[start]])
        ):
            ranked.append(np.sort(order[start:end]))
            start = end
    return np.concatenate(ranked) if ranked else order
