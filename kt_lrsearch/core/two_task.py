"""Warm start as a two-task GP whose correlation is averaged, not guessed.

The earlier task (t = 0) and the new one (t = 1) share the earlier GP's fitted
kernel ``k`` (:mod:`kt_lrsearch.core.kernel`: Matern-5/2, plus the quadratic trend
with two or more input columns) and its noise variance ``sigma^2``. On the
earlier task's standardised scale:

    z_t(x) = c_t + f_t(x) + eps,       cov(f_u(x), f_t(x')) = T[u, t] k(x, x'),
    T = [[1, s rho], [s rho, s^2]],    c_0 ~ N(0, C0^2),  c_1 ~ N(0, C1^2),
    eps ~ N(0, sigma^2) on the earlier task and N(0, s^2 sigma^2) on the new one,

with ``C0 = EARLIER_LEVEL_SD`` and ``C1 = NEW_LEVEL_SD``. It is the intrinsic
coregionalisation model with two tasks (Bonilla, Chai and Williams 2007): the new
landscape is ``s (rho f_0 + sqrt(1 - rho^2) g)`` with ``g`` an independent draw
of the same GP, at its own level ``c_1``. New scores enter centred on their own
mean, so ``c_1`` only has to absorb where the first few points happened to fall,
not a change of level between the tasks.

``rho`` (how related) and ``s`` (how much the scores move) are **averaged** over a
grid, with weights prior x evidence, instead of fitted: with two to four new
points their likelihood is flat or bimodal, and a maximum-a-posteriori ``rho``
traced on a batch pair jumped between 0 and 0.95 from one trial to the next. The
prior puts half its mass on ``rho = 0`` (no relation: the search runs as a cold
one with the earlier kernel), the rest evenly on 0.3 to 0.95, and ``log s ~
N(0, 1)`` on 1/4 to 4. An unrelated task earns ``rho`` near 0 once the new points
disagree with the earlier shape; a related one earns a high ``rho`` only as far
as the evidence, with the earlier noise level, says the agreement is not chance.
The policy sees the mixture's moment-matched mean and standard deviation.

Measured against the earlier rule ``y = a + b m0 + r`` in docs/benchmarks.md
("Warm start as a two-task GP"). NumPy and SciPy's Cholesky solves only; the
earlier GP comes in fitted.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt
from scipy import linalg

from kt_lrsearch.core import features, gp

FloatArray = npt.NDArray[np.float64]

# The relatedness grid and its prior: P(rho = 0) = NO_RELATION_MASS.
RHO_GRID = (0.0, 0.3, 0.5, 0.7, 0.85, 0.95)
NO_RELATION_MASS = 0.5
# The new task's scale relative to the earlier one, log-normal prior. A grid of
# 0.5 to 2 pinned s at 2 on the 800 vs 2,755 images pair, whose scores
# spread 2.4-3 times as far (range, SD over the 13 measured rates; docs/benchmarks.md).
SCALE_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0)
LOG_SCALE_SD = 1.0
# Level offsets, in earlier standard deviations: the earlier scores are already
# standardised (their level is ~0); the new ones are centred on their own mean.
EARLIER_LEVEL_SD = 0.3
NEW_LEVEL_SD = 2.0
# Mixture components lighter than this are dropped (they cannot move EI).
MIN_WEIGHT = 1e-3
_JITTER = 1e-8


@dataclasses.dataclass(frozen=True)
class Earlier:
    """The earlier task's fitted GP, as the two-task model needs it.

    Attributes:
        inputs: (n0, D) the earlier observations' GP inputs (features, if any).
        z: (n0,) their standardised scores.
        standardiser: The earlier scores' standardiser (the model's units).
        hyperparameters: The earlier GP's kernel and noise, on that scale.
        features: Unit points (k, d) -> GP inputs (k, D), or None (the unit points).
    """

    inputs: FloatArray
    z: FloatArray
    standardiser: gp.Standardiser
    hyperparameters: gp.GPHyperparameters
    features: features.Features | None

    @classmethod
    def from_model(cls, model: gp.GaussianProcess | features.FeatureGP) -> Earlier:
        """The summary of a GP fitted by :func:`kt_lrsearch.core.features.fit`."""
        fitted = model.model if isinstance(model, features.FeatureGP) else model
        feats = model.features if isinstance(model, features.FeatureGP) else None
        return cls(
            inputs=fitted.x_obs,
            z=fitted.standardiser.forward(fitted.y_obs),
            standardiser=fitted.standardiser,
            hyperparameters=fitted.hyperparameters,
            features=feats,
        )

    def gp_inputs(self, unit: FloatArray) -> FloatArray:
        return unit if self.features is None else self.features(unit)


class TwoTaskGP:
    """The module's model at one (rho, s), conditioned on both tasks' observations.

    Args:
        earlier: The earlier task.
        unit: (n, d) the new task's unit points, n >= 1.
        scores: (n,) its scores, maximisation frame.
        rho: Correlation between the tasks, in [0, 1).
        scale: s, the new task's scale over the earlier one's.
        level: What the new scores are centred on; None: their mean (fantasies
            keep the fitted model's, as gp.GaussianProcess keeps its standardiser).
        shared: ``shared_kernel(earlier, unit)`` when the caller has it (the
            grid's components all share it); None: computed here.
    """

    def __init__(
        self,
        earlier: Earlier,
        unit: FloatArray,
        scores: FloatArray,
        rho: float,
        scale: float,
        level: float | None = None,
        shared: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        self.earlier, self.rho, self.scale = earlier, rho, scale
        self.unit = np.asarray(unit, dtype=np.float64)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.level = float(np.mean(self.scores)) if level is None else level
        n0, n = earlier.inputs.shape[0], self.unit.shape[0]
        self.inputs, base = shared_kernel(earlier, self.unit) if shared is None else shared
        # Each observation's covariance factor with a new-task point: s rho or s^2.
        self._factor = np.r_[np.full(n0, scale * rho), np.full(n, scale**2)]
        cov = self.covariance(base)
        self._z = np.r_[earlier.z, (self.scores - self.level) / earlier.standardiser.scale]
        self._chol = linalg.cho_factor(cov, lower=True)
        self._alpha = linalg.cho_solve(self._chol, self._z)

    def covariance(self, base: FloatArray) -> FloatArray:
        """Both tasks' observation covariance (n0 + n, n0 + n) from the shared kernel's."""
        n0 = self.earlier.inputs.shape[0]
        new = np.arange(base.shape[0]) >= n0
        same = new[:, None] == new[None, :]
        task_factor = np.where(
            same, np.where(new, self.scale**2, 1.0)[:, None], self.scale * self.rho
        )
        level = np.where(new, NEW_LEVEL_SD**2, EARLIER_LEVEL_SD**2)
        noise = self.earlier.hyperparameters.noise_variance * np.where(new, self.scale**2, 1.0)
        return base * task_factor + same * level[:, None] + np.diag(noise + _JITTER)

    def log_evidence(self) -> float:
        """log p(z) of both tasks' standardised scores, up to a constant."""
        log_det = 2.0 * float(np.sum(np.log(np.diag(self._chol[0]))))
        return -0.5 * float(self._z @ self._alpha) - 0.5 * log_det

    def predict_from(
        self, base_cross: FloatArray, base_diag: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """New-task posterior (mean, std), (k,) each, in score units.

        Args:
            base_cross: (k, n0 + n) the shared kernel between queries and ``inputs``.
            base_diag: (k,) the shared kernel's variance at the queries.
        """
        cross = base_cross * self._factor
        cross[:, self.earlier.inputs.shape[0] :] += NEW_LEVEL_SD**2
        explained = np.einsum("ij,ji->i", cross, linalg.cho_solve(self._chol, cross.T))
        var = np.maximum(self.scale**2 * base_diag + NEW_LEVEL_SD**2 - explained, 1e-12)
        unit_scale = self.earlier.standardiser.scale
        return self.level + unit_scale * (cross @ self._alpha), unit_scale * np.sqrt(var)

    def condition_on(
        self,
        unit: FloatArray,
        scores: FloatArray,
        shared: tuple[FloatArray, FloatArray] | None = None,
    ) -> TwoTaskGP:
        """The model with extra new-task observations (fantasies); rho, s and level kept.

        ``shared``: ``shared_kernel`` of the extended points, when the caller has it.
        """
        return TwoTaskGP(
            self.earlier,
            np.concatenate([self.unit, unit]),
            np.concatenate([self.scores, scores]),
            self.rho,
            self.scale,
            self.level,
            shared,
        )


class AveragedGP:
    """The two-task GPs over the (rho, s) grid, weighted: what the policy queries.

    Has the interface the policy uses (``predict``, ``condition_on``,
    ``standardiser``, ``hyperparameters``). ``predict`` moment-matches the
    mixture: ``mean = sum w_k m_k``, ``var = sum w_k (s_k^2 + m_k^2) - mean^2``.
    The standardiser's scale, EI's margin unit, is the new scores' unexplained
    standard deviation ``sum w_k s_k sqrt(1 - rho_k^2)`` (in earlier standard
    deviations), so the margin shrinks as the relation explains more, and the
    noise variance is stated on that scale.
    """

    def __init__(self, parts: list[TwoTaskGP], weights: FloatArray) -> None:
        self.parts, self.weights = parts, np.asarray(weights, dtype=np.float64)
        earlier = parts[0].earlier
        rho = np.array([p.rho for p in parts])
        scale = np.array([p.scale for p in parts])
        unexplained = float(self.weights @ (scale * np.sqrt(1.0 - rho**2)))
        unit_scale = earlier.standardiser.scale
        self.standardiser = gp.Standardiser(mean=parts[0].level, scale=unit_scale * unexplained)
        noise = earlier.hyperparameters.noise_variance * float(self.weights @ scale) ** 2
        self.hyperparameters = dataclasses.replace(
            earlier.hyperparameters, noise_variance=noise / unexplained**2
        )

    @property
    def relatedness(self) -> float:
        """The posterior mean of rho."""
        return float(self.weights @ np.array([p.rho for p in self.parts]))

    @property
    def probability_related(self) -> float:
        """The posterior probability that rho > 0 (its prior: 1 - NO_RELATION_MASS)."""
        return float(sum(w for w, p in zip(self.weights, self.parts, strict=True) if p.rho > 0))

    def predict(self, unit: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior (mean, std), each (k,), at unit points (k, d)."""
        earlier = self.parts[0].earlier
        query = earlier.gp_inputs(np.asarray(unit, dtype=np.float64))
        base_cross = gp.kernel_matrix(earlier.hyperparameters, query, self.parts[0].inputs)
        base_diag = gp.kernel_diagonal(earlier.hyperparameters, query)
        means, stds = zip(*(p.predict_from(base_cross, base_diag) for p in self.parts), strict=True)
        means, stds = np.array(means), np.array(stds)
        mean = self.weights @ means
        var = self.weights @ (stds**2 + means**2) - mean**2
        return mean, np.sqrt(np.maximum(var, 0.0))

    def condition_on(self, unit: FloatArray, scores: FloatArray) -> AveragedGP:
        """Every component with extra observations (fantasies); weights kept."""
        first = self.parts[0]
        shared = shared_kernel(first.earlier, np.concatenate([first.unit, unit]))
        return AveragedGP([p.condition_on(unit, scores, shared) for p in self.parts], self.weights)


def grid_log_prior() -> FloatArray:
    """log prior of each (rho, s) grid point, shape (len(RHO_GRID) * len(SCALE_GRID),)."""
    related = (1.0 - NO_RELATION_MASS) / (len(RHO_GRID) - 1)
    rho = np.log([NO_RELATION_MASS if r == 0.0 else related for r in RHO_GRID])
    scale = -0.5 * (np.log(SCALE_GRID) / LOG_SCALE_SD) ** 2
    return (rho[:, None] + scale[None, :]).ravel()


def shared_kernel(earlier: Earlier, unit: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Both tasks' GP inputs (n0 + n, D) and the kernel among them (n0 + n, n0 + n).

    The same for every (rho, s): the grid's components take it from one call.
    """
    inputs = np.concatenate([earlier.inputs, earlier.gp_inputs(np.asarray(unit, np.float64))])
    return inputs, gp.kernel_matrix(earlier.hyperparameters, inputs, inputs)


def fit(unit: FloatArray, scores: FloatArray, earlier: Earlier) -> AveragedGP:
    """The averaged two-task model of the new ``scores`` (n,) at unit points (n, d), n >= 1."""
    shared = shared_kernel(earlier, unit)
    parts = [
        TwoTaskGP(earlier, unit, scores, rho, scale, shared=shared)
        for rho in RHO_GRID
        for scale in SCALE_GRID
    ]
    log_weight = np.array([p.log_evidence() for p in parts]) + grid_log_prior()
    weights = np.exp(log_weight - np.max(log_weight))
    weights /= np.sum(weights)
    keep = weights >= MIN_WEIGHT
    return AveragedGP(
        [p for p, k in zip(parts, keep, strict=True) if k], weights[keep] / np.sum(weights[keep])
    )
