"""What the decision policy takes and returns: observations, the posterior, the decision.

Plain frozen dataclasses of arrays (shapes in the glossary of
:mod:`kt_lrsearch.core.policy`), shared by the candidate sets, the acquisition
surface and the policy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import features, gp, two_task
from kt_lrsearch.core.trial_rules import OK

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Snap = Callable[[FloatArray], FloatArray]
IsTaken = Callable[[FloatArray], bool]
Model = gp.GaussianProcess | features.FeatureGP | two_task.AveragedGP


# What a decision asks of its caller.
PROPOSE = "propose"  # next_point is the proposal
EXHAUSTED = "exhausted"  # no candidate is free: fall back to random values, else stop
STOP = "stop"  # end the search (reason says why)


@dataclasses.dataclass(frozen=True)
class Observations:
    """Finished trials as the policy sees them (see the module glossary)."""

    unit: FloatArray  # (n, d)
    status: tuple[str, ...]  # (n,)
    frame: FloatArray  # (n,), maximisation frame, NaN where failed

    @property
    def ok(self) -> BoolArray:
        return np.asarray(self.status) == OK


@dataclasses.dataclass(frozen=True)
class Posterior:
    """The GP over the candidates, in the maximisation frame.

    Attributes:
        candidates: (m, d) unit points.
        mean: (m,) posterior mean, with running points fantasised.
        std: (m,) posterior standard deviation.
        log_ei: (m,) log Expected Improvement over ``incumbent`` with margin ``xi``.
        allowed: (m,) False within ``min_distance`` of an observed or pending point.
        incumbent: Best posterior mean at a completed point; None if none completed.
        model: The fantasised GP the arrays come from (for slices through it).
        reference: EI's reference value (the incumbent, else the best penalised score).
        margin: EI's margin in score units (``xi * scale``).
        centre: (d,) the completed point with the best posterior mean (else the
            best penalised one): where figures slice the space.
        obs_mean: (n,) posterior mean at every observation.
    """

    candidates: FloatArray
    mean: FloatArray
    std: FloatArray
    log_ei: FloatArray
    allowed: BoolArray
    incumbent: float | None
    model: Model
    reference: float
    margin: float
    centre: FloatArray
    obs_mean: FloatArray


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the policy decided.

    Attributes:
        outcome: ``PROPOSE``, ``EXHAUSTED`` or ``STOP``.
        next_point: (d,) the proposal when ``outcome == PROPOSE``, else None.
        reason: Why it stops; for ``EXHAUSTED``, what to say if the caller's
            random fallback finds nothing either. "" when proposing.
        initial_design: The proposal belongs to the initial design.
        model_scores: (n,) the scores the GP was fitted on (failures penalised).
        posterior: The GP over the candidates; None before any observation.
    """

    outcome: str
    next_point: FloatArray | None
    reason: str
    initial_design: bool
    model_scores: FloatArray
    posterior: Posterior | None
