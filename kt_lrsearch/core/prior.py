"""Warm start: the earlier search, summarised for the new one.

:func:`prior_from` fits a GP on the earlier task's observations (the usual
model, :mod:`kt_lrsearch.core.features`) and keeps what the new search needs from it:
its best point (a warm search's first proposal), its posterior mean (the figures'
and tests' view of the earlier landscape) and the fitted GP itself, from which
:mod:`kt_lrsearch.core.two_task` builds the model of the new task.

Pure numpy apart from the one GP fit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import features, two_task

FloatArray = npt.NDArray[np.float64]
PriorFn = Callable[[FloatArray], FloatArray]


@dataclasses.dataclass(frozen=True)
class PriorMean:
    """The earlier task's fitted GP, in the maximisation frame.

    Attributes:
        mean: Unit points (k, d) -> (k,) posterior mean of the earlier GP.
        best: (d,) the unit point where the earlier posterior mean is highest:
            the first proposal of a warm-started search.
        count: How many earlier observations it was fitted on.
        earlier: The earlier GP's data and hyperparameters (the two-task model's
            shared kernel).
    """

    mean: PriorFn
    best: FloatArray
    count: int
    earlier: two_task.Earlier


def prior_from(
    unit: FloatArray,
    scores: FloatArray,
    gp_features: features.Features | None,
    reference: FloatArray,
) -> PriorMean:
    """Fits the earlier task's GP; its best point is the best of ``reference`` (k, d)."""
    model = features.fit(unit, scores, gp_features)

    def mean(points: FloatArray) -> FloatArray:
        return model.predict(points)[0]

    return PriorMean(
        mean=mean,
        best=reference[int(np.argmax(mean(reference)))],
        count=int(unit.shape[0]),
        earlier=two_task.Earlier.from_model(model),
    )
