"""The plot view of one oracle decision, as plain arrays (no Keras Tuner objects).

:mod:`kt_lrsearch.core.policy` decides in the unit cube and the maximisation frame;
this view restates that decision in the objective's units and the
hyperparameters' values, with the observations it was made from. Plotting
reads this record only, so it shows exactly what the decision was made with
and never imports TensorFlow or Keras Tuner.

Shapes: m candidates, n observations, r pending (running) trials, d tuned
dimensions. "Objective units" means the units and direction of the tuner's
objective (accuracy stays accuracy, a loss stays a loss).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import recommendation, trial_rules

FloatArray = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class AxisSlice:
    """The posterior along one tuned hyperparameter, through the incumbent.

    The other hyperparameters stay at the incumbent's values (the completed
    point with the best posterior mean). k positions, n observations.

    Attributes:
        name: The hyperparameter.
        discrete: Choice, Boolean or an Int/stepped Float with few values:
            drawn as points with error bars, not a line.
        x: Positions on the axis, (k,): values for numbers, 0..k-1 for choices.
        labels: Tick labels for choices, (k,); () for numbers.
        log_scale: The hyperparameter is sampled on a log scale.
        mean: Posterior mean along the slice, objective units, (k,).
        std: Posterior standard deviation, objective units, (k,).
        ei: Expected Improvement along the slice, (k,).
        obs_x: Each observation's position on this axis, (n,); NaN where the
            hyperparameter was inactive.
        centre_x: The incumbent's position on this axis (NaN if inactive).
        next_x: The proposal's position on this axis, or None.
        earlier_x: A warm start's earlier observations on this axis, (k,),
            scores in the view's ``earlier_scores``; NaN where the value is
            not on the axis. Empty without a warm start.
    """

    name: str
    discrete: bool
    x: FloatArray
    labels: tuple[str, ...]
    log_scale: bool
    mean: FloatArray
    std: FloatArray
    ei: FloatArray
    obs_x: FloatArray
    centre_x: float
    next_x: float | None
    earlier_x: FloatArray = dataclasses.field(default_factory=lambda: np.empty(0))


@dataclasses.dataclass(frozen=True)
class Relation:
    """How much a warm start's earlier search counts, as the new scores judge it.

    :mod:`kt_lrsearch.core.two_task` averages the tasks' correlation ``rho`` over a
    grid; before any new score its prior (``NO_RELATION_MASS``, ``RHO_GRID``)
    gives ``P(rho > 0) = 0.5`` and a mean ``rho`` of 0.33. ``verdict`` reads the
    probability at 0.8 and 0.2, round numbers chosen for wording only: no
    decision depends on them. It speaks of the model now, which makes the
    recommendation; earlier decisions were made with what the model thought then.

    Attributes:
        correlation: The posterior mean of ``rho`` in [0, 1).
        probability: The posterior probability that the tasks are related (``rho > 0``).
    """

    correlation: float
    probability: float

    @property
    def verdict(self) -> str:
        """One line for people: the probability, the correlation, and what followed."""
        if self.probability >= 0.8:
            outcome = "related: the earlier search shapes the model"
        elif self.probability <= 0.2:
            outcome = "unrelated: the earlier search hardly counts"
        else:
            outcome = "undecided: the earlier search counts in part"
        return (
            f"{outcome} (probability related {self.probability:.2f}, "
            f"mean correlation {self.correlation:.2f})"
        )

    def as_dict(self) -> dict[str, float | str]:
        """results.json's ``warm_start_relation``."""
        return {
            "probability_related": round(self.probability, 4),
            "correlation": round(self.correlation, 4),
            "verdict": self.verdict,
        }


@dataclasses.dataclass(frozen=True)
class DecisionView:
    """What the oracle knew and decided at one step, ready to plot.

    Attributes:
        names: Tuned hyperparameter names, one per unit-cube coordinate, (d,).
        direction: "max" or "min", the objective's direction.
        grid_unit: Candidates in the unit cube, (m, d).
        grid: Candidate values in hyperparameter units when d == 1 and the
            hyperparameter is numeric (the log-spaced learning rates), (m,);
            else None.
        mean: GP posterior mean at the candidates, objective units, (m,).
        std: GP posterior standard deviation, objective units, (m,).
        ei: Expected Improvement, objective units, (m,); may underflow to 0.
        log_ei: log EI, (m,); finite wherever the posterior std is positive.
        grid_allowed: False where a candidate lies within ``min_distance`` of an
            evaluated or running point and so cannot be proposed, (m,).
        obs_unit: Observed points in the unit cube, (n, d).
        obs_x: Observed values when d == 1 and numeric, (n,); else None.
        obs_values: Each observation's hyperparameter values, (n,) dicts.
        obs_scores: Raw scores (NaN for failed trials), objective units, (n,).
        obs_model_scores: Scores as the GP saw them (failures penalised), (n,).
        obs_mean: GP posterior mean at each observation, objective units, (n,);
            empty before any observation.
        obs_status: Per observation: "COMPLETED", "FAILED" or "DIVERGED", (n,).
        obs_trial_ids: Trial ids of the observations, (n,).
        pending_unit: Running trials, fantasised at the posterior mean, (r, d).
        incumbent: Best posterior mean at a completed observation, objective
            units (the EI reference), or None before any completed trial.
        next_unit: The proposed point, (d,), or None when the oracle stops.
        next_x: The proposed value when d == 1 and numeric, else None.
        next_values: The proposed hyperparameter values, or None.
        initial_design: True when the proposal comes from the initial design.
        stop_reason: Why the oracle stops ("" when it does not).
        exhausted: No free point was found: every candidate has been evaluated
            or is running. While trials run, the oracle then answers IDLE.
        slices: One :class:`AxisSlice` per tuned hyperparameter when the space
            is not a single numeric one (then ``grid`` is None); () otherwise
            or before any observation. Computed on first read, from
            ``slice_maker``: only figures read them, and a search without a
            figure callback would pay for them on every decision.
        slice_maker: Returns ``slices``; None when there are none.
        noise_sd: The GP's observation-noise SD in objective units (NaN before any).
        earlier_x: A warm start's earlier observations (1-D numeric
            searches), values (k,); None without a warm start (in more
            dimensions each slice has its own ``earlier_x``).
        earlier_scores: Their scores, objective units (k,); NaN where failed.
        earlier_factors: The distinct factors the earlier values were
            multiplied by (``warm_start.Rescaled``); () when used as they were.
        relation: How related a warm start's model judges the two searches,
            from the new scores so far; None without a warm start or a model.
    """

    names: tuple[str, ...]
    direction: str
    grid_unit: FloatArray
    grid: FloatArray | None
    mean: FloatArray
    std: FloatArray
    ei: FloatArray
    log_ei: FloatArray
    grid_allowed: npt.NDArray[np.bool_]
    obs_unit: FloatArray
    obs_x: FloatArray | None
    obs_values: tuple[dict[str, Any], ...]
    obs_scores: FloatArray
    obs_model_scores: FloatArray
    obs_mean: FloatArray
    obs_status: tuple[str, ...]
    obs_trial_ids: tuple[str, ...]
    pending_unit: FloatArray
    incumbent: float | None
    next_unit: FloatArray | None
    next_x: float | None
    next_values: dict[str, Any] | None
    initial_design: bool
    stop_reason: str
    exhausted: bool = False
    slice_maker: Callable[[], tuple[AxisSlice, ...]] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )
    noise_sd: float = float("nan")
    earlier_x: FloatArray | None = None
    earlier_scores: FloatArray | None = None
    earlier_factors: tuple[float, ...] = ()
    relation: Relation | None = None

    def recommend(
        self,
        rule: str = recommendation.DEFAULT_RULE,
    ) -> recommendation.Recommendation | None:
        """The recommended value and its range (1-D numeric searches; else None)."""
        if self.grid is None or self.obs_x is None or not self.has_model:
            return None
        ok = np.asarray(self.obs_status) == trial_rules.OK
        return recommendation.recommend(
            self.grid,
            self.mean,
            self.noise_sd,
            self.obs_x,
            self.obs_mean,
            ok,
            direction=self.direction,
            rule=rule,
            obs_scores=self.obs_scores,
        )

    def recommended_trial_id(self) -> str | None:
        """The trial the recommendation names, or None when it names no tried value.

        None also where there is no recommendation (not a 1-D numeric search,
        or no model yet). The default rule picks the best measured trial inside
        the model's range, so this is that trial when one lies there.
        """
        advice = self.recommend()
        if advice is None:
            return None
        name = self.names[0]
        for trial_id, values, status in zip(
            self.obs_trial_ids, self.obs_values, self.obs_status, strict=True
        ):
            if status == trial_rules.OK and values.get(name) == advice.value:
                return trial_id
        return None

    @functools.cached_property
    def slices(self) -> tuple[AxisSlice, ...]:
        """The per-axis slices (see the class docstring), computed once."""
        return self.slice_maker() if self.slice_maker is not None else ()

    @property
    def has_model(self) -> bool:
        """Whether a GP posterior is present (False before any observation)."""
        return self.mean.shape[0] > 0

    @property
    def best_index(self) -> int | None:
        """Index of the best completed observation, or None if none completed."""
        # obs_status already holds outcomes, which are their own Keras Tuner status.
        scores = [float(s) for s in self.obs_scores]
        return trial_rules.best_index(self.obs_status, scores, self.direction)

    @property
    def trial_numbers(self) -> list[int]:
        """The 1-based trial number of each observation, (n,)."""
        return [trial_rules.trial_number(t) for t in self.obs_trial_ids]
