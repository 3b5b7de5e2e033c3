"""Warm start: an earlier search's posterior as the prior mean of a related task.

A learning-rate landscape measured after 1 epoch and after 3, at batch 32 and
128, on 800 images and on 2,755, has roughly the same shape at a different level
and height (issue 15). The new task is modelled as

    y(x) = a + b * m0(x) + r(x),      r ~ GP (kernel.py's model, fitted as usual),

where ``m0`` is the posterior mean of a GP fitted on the earlier observations,
and the offset ``a`` and scale ``b`` are fitted to the new observations by least
squares with ``b`` shrunk towards 0 ("no relation assumed") and kept >= 0:

    b = max(0, S_my / (S_mm + lam)),    a = mean(y) - b * mean(m0(x_i)),

with ``S_mm = sum (m_i - m_bar)^2``, ``S_my = sum (m_i - m_bar)(y_i - y_bar)`` and
``lam = PRIOR_POINTS * var(m0)`` over the candidates. The earlier search decides
where to look first (its best point is the first proposal); after that the earlier
shape counts only as far as the new scores follow it: a related task earns a
``b`` near its least-squares value within a few points, an unrelated one keeps
``b`` near 0 (a cold search). A negative fit also means "no relation", not "the
earlier landscape upside down": related learning-rate landscapes are not
anti-correlated, and with a few noisy points a negative slope read as a reversed
prior sent the search where the earlier task was worst (as RGPE's ensemble
weights, Feurer, Letham and Bakshy 2018, are non-negative). Measured on the two
mirrored pairs of bench_warm_start.py, 40 seeds: regret with 5 evaluations 0.0181
-> 0.0147 and (held out) 0.0693 -> 0.0335, every related pair unchanged.

Measured (docs/benchmarks.md, bench/bench_warm_start.py) against shrinking towards
1 ("the same landscape"): that gains more on closely related pairs but traps the
search when the landscapes differ (its second point stays by the first, where the
prior says the optimum is, so the data never contradict it): 0.056 against 0.017
regret on a mirrored landscape. Shrinking towards 0 with ``PRIOR_POINTS = 2`` was
the least harmful where the relation fails. Pure numpy; the GPs come in fitted
(:mod:`kt_lrsearch.features`), so nothing here imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from kt_lrsearch import features, gp

FloatArray = npt.NDArray[np.float64]
PriorFn = Callable[[FloatArray], FloatArray]
# How many new points' worth of evidence the earlier shape counts for.
PRIOR_POINTS = 2.0
# The scale b is shrunk towards (0: no relation assumed; see the docstring).
PRIOR_SCALE = 0.0


@dataclasses.dataclass(frozen=True)
class PriorMean:
    """The earlier task's posterior mean, in the maximisation frame.

    Attributes:
        mean: Unit points (k, d) -> (k,) posterior mean of the earlier GP.
        spread: Standard deviation of ``mean`` over a reference set of points
            (the candidates): the prior's own scale, for the shrinkage.
        best: (d,) the unit point where the earlier posterior mean is highest:
            the first proposal of a warm-started search.
        count: How many earlier observations it was fitted on.
    """

    mean: PriorFn
    spread: float
    best: FloatArray
    count: int


def offset_and_scale(prior_at_obs: FloatArray, scores: FloatArray,
                     spread: float) -> tuple[float, float]:  # fmt: skip
    """(a, b) of ``y ~ a + b * m0`` by least squares, b shrunk towards PRIOR_SCALE, b >= 0.

    Args:
        prior_at_obs: (n,) ``m0`` at the new observations.
        scores: (n,) the new scores, maximisation frame (failures penalised).
        spread: The prior's standard deviation over the candidates.
    """
    m = np.asarray(prior_at_obs, dtype=np.float64)
    y = np.asarray(scores, dtype=np.float64)
    lam = PRIOR_POINTS * max(spread, 1e-12) ** 2
    dm, dy = m - m.mean(), y - y.mean()
    b = max(0.0, float((dm @ dy + lam * PRIOR_SCALE) / (dm @ dm + lam)))
    return float(y.mean() - b * m.mean()), b


class PriorGP:
    """The GP on residuals ``y - a - b * m0(x)``, queried as the full model.

    Has the interface the policy uses (``predict``, ``condition_on``,
    ``standardiser``, ``hyperparameters``); the standardiser is the residual
    GP's, so EI's margin shrinks as the prior explains more.
    """

    def __init__(self, residual: gp.GaussianProcess | features.FeatureGP, prior: PriorFn,
                 offset: float, scale: float) -> None:  # fmt: skip
        self.residual = residual
        self.prior = prior
        self.offset = offset
        self.scale = scale

    @property
    def standardiser(self) -> gp.Standardiser:
        return self.residual.standardiser

    @property
    def hyperparameters(self) -> gp.GPHyperparameters:
        return self.residual.hyperparameters

    def _trend(self, points: FloatArray) -> FloatArray:
        return self.offset + self.scale * self.prior(points)

    def predict(self, x_query: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior (mean, std), each (k,), at unit points (k, d)."""
        mean, std = self.residual.predict(x_query)
        return mean + self._trend(x_query), std

    def condition_on(self, x_new: FloatArray, y_new: FloatArray) -> PriorGP:
        """The model with extra observations (fantasies) at unit points (r, d)."""
        residual = self.residual.condition_on(x_new, y_new - self._trend(x_new))
        return PriorGP(residual, self.prior, self.offset, self.scale)


def fit(unit: FloatArray, scores: FloatArray, gp_features: features.Features | None,
        prior: PriorMean) -> PriorGP:  # fmt: skip
    """The warm-started model of ``scores`` (n,) at unit points (n, d)."""
    at_obs = prior.mean(unit)
    offset, scale = offset_and_scale(at_obs, scores, prior.spread)
    residual = features.fit(unit, scores - offset - scale * at_obs, gp_features)
    return PriorGP(residual, prior.mean, offset, scale)


def prior_from(unit: FloatArray, scores: FloatArray, gp_features: features.Features | None,
               reference: FloatArray) -> PriorMean:  # fmt: skip
    """Fits the earlier task's GP and summarises it over ``reference`` points (k, d)."""
    model = features.fit(unit, scores, gp_features)

    def mean(points: FloatArray) -> FloatArray:
        return model.predict(points)[0]

    at_reference = mean(reference)
    return PriorMean(
        mean=mean,
        spread=float(np.std(at_reference)),
        best=reference[int(np.argmax(at_reference))],
        count=int(unit.shape[0]),
    )
