"""One home for the rules about trials: order, numbering, outcome, best, direction.

The oracle, the report, the progress line and the figures all use these, so a
trial is "diverged", "best" or "trial 3" in the same sense everywhere. Plain
strings and numbers in, no Keras Tuner import (its status strings are used as
they are).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Outcome of a finished trial.
OK = "COMPLETED"
FAILED = "FAILED"  # the trial raised, or Keras Tuner marked it invalid/failed
DIVERGED = "DIVERGED"  # completed with a NaN or infinite score

_SCORED = ("COMPLETED", "STOPPED")
_BROKEN = ("FAILED", "INVALID")


def order_key(trial_id: str) -> tuple[int, str]:
    """Sort key for Keras Tuner trial ids in creation order ("9" before "10")."""
    return len(trial_id), trial_id


def trial_number(trial_id: str) -> int:
    """The 1-based number a user sees for a trial (Keras Tuner's ids start at "0")."""
    return int(trial_id) + 1


def outcome(status: str, score: float | None) -> str | None:
    """``OK``, ``FAILED`` or ``DIVERGED`` for a finished trial; None if unfinished.

    A COMPLETED or STOPPED trial with a finite score is OK, with a NaN or
    infinite score DIVERGED, without a score unfinished; FAILED and INVALID
    trials are FAILED.
    """
    if status in _SCORED:
        if score is None:
            return None
        return OK if math.isfinite(score) else DIVERGED
    if status in _BROKEN:
        return FAILED
    return None


def sign(direction: str) -> float:
    """+1 for a maximised objective, -1 for a minimised one: ``sign * score`` is maximised."""
    if direction not in ("max", "min"):
        raise ValueError(f"an objective's direction is 'max' or 'min', got {direction!r}")
    return 1.0 if direction == "max" else -1.0


def rank_key(status: str, score: float | None, direction: str) -> tuple[bool, bool, float]:
    """Sort key, best first: OK trials by score, then diverged ones, then the rest.

    Sorting a list already in trial order with this key (Python sorts stably)
    sends ties to the earlier trial, whatever order a reload read them in.
    """
    result = outcome(status, score)
    if result != OK:
        return True, result != DIVERGED, 0.0
    return False, False, -sign(direction) * float(score)  # type: ignore[arg-type]


def best_index(
    statuses: Sequence[str], scores: Sequence[float | None], direction: str
) -> int | None:
    """Index of the best OK trial (the earlier one on a tie), or None if none is OK."""
    keys = [rank_key(s, v, direction) for s, v in zip(statuses, scores, strict=True)]
    if not keys:
        return None
    best = min(range(len(keys)), key=keys.__getitem__)
    return None if keys[best][0] else best
