"""Keras Tuner trials as the policy's plain inputs, and a decision as its plot view.

The adapter layer between :class:`~kt_lrsearch.tuning.oracle.GPEIOracle` (Keras Tuner
objects) and :mod:`kt_lrsearch.core.policy` (arrays in the unit cube and the
maximisation frame): it encodes finished and pending trials, and restates a
:class:`~kt_lrsearch.core.policy.Decision` in objective units and hyperparameter
values as a :class:`~kt_lrsearch.core.decision_view.DecisionView`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine import trial as trial_module

from kt_lrsearch.core import (
    candidates,
    decision_types,
    features,
    policy,
    prior,
    space,
    trial_rules,
    two_task,
)
from kt_lrsearch.core.decision_view import DecisionView, Relation
from kt_lrsearch.core.options import PolicyOptions
from kt_lrsearch.core.policy import Decision, Observations
from kt_lrsearch.tuning import encoding
from kt_lrsearch.tuning.encoding import SpaceEncoder, is_continuous, is_numeric
from kt_lrsearch.tuning.slices import axis_slices
from kt_lrsearch.tuning.warm_start import EarlierTrial, WarmStartError

FloatArray = npt.NDArray[np.float64]
Trial = trial_module.Trial


@dataclasses.dataclass(frozen=True)
class FinishedTrials:
    """Finished trials in trial order: what the policy sees, and what the view shows."""

    trial_ids: tuple[str, ...]
    values: tuple[dict[str, Any], ...]
    scores: FloatArray  # (n,) raw objective, NaN where failed
    observations: Observations


def finished_trials(
    trials: Sequence[Trial], encoder: SpaceEncoder, direction: str, retry_queue: Collection[str]
) -> FinishedTrials:
    """Encodes the finished trials of ``trials`` (already in trial order).

    A trial queued for a retry will run again with the same values, so it is
    pending, not finished, whatever its saved status.
    """
    rows = []
    for trial in trials:
        if trial.trial_id in retry_queue:
            continue
        status = trial_rules.outcome(trial.status, trial.score)
        if status is not None:
            score = np.nan if status == trial_rules.FAILED else float(trial.score)
            rows.append((trial, status, score))
    unit = np.array([encoder.encode(t.hyperparameters) for t, _, _ in rows])
    scores = np.array([s for _, _, s in rows], dtype=np.float64)
    policy_view = Observations(
        unit=unit.reshape(len(rows), encoder.dim),
        status=tuple(s for _, s, _ in rows),
        frame=trial_rules.sign(direction) * scores,
    )
    return FinishedTrials(
        trial_ids=tuple(t.trial_id for t, _, _ in rows),
        values=tuple(dict(t.hyperparameters.values) for t, _, _ in rows),
        scores=scores,
        observations=policy_view,
    )


def earlier_points(
    earlier: Sequence[EarlierTrial],
    encoder: SpaceEncoder,
    space: hp_module.HyperParameters,
    direction: str,
) -> tuple[Observations, int]:
    """A warm start's earlier trials as policy observations, and how many were left out.

    Trials whose values lie outside this search's space (another range, a
    Choice value it does not offer) are left out; a space with other
    hyperparameters raises WarmStartError.
    """
    rows = []
    for trial in earlier:
        hps = space.copy()
        hps.values = {**hps.values, **trial.values}
        # A conditional child the trial's own values switch off is not missing.
        missing = sorted(
            {hp.name for hp in encoder.tuned if hp.name not in trial.values and hps.is_active(hp)}
        )
        if missing:
            raise WarmStartError(
                f"warm start {trial.source}: a different search space (no {', '.join(missing)}"
                f" in its trials, which have {', '.join(sorted(trial.values)) or 'nothing'})"
            )
        try:
            point = encoder.encode(hps)
        except (ValueError, TypeError):  # a Choice value this space does not offer
            continue
        if np.all((point >= 0.0) & (point <= 1.0)):
            ok = trial.score is not None
            rows.append(
                (point, trial_rules.OK if ok else trial_rules.FAILED, trial.score if ok else np.nan)
            )
    unit = np.array([r[0] for r in rows], dtype=np.float64).reshape(len(rows), encoder.dim)
    frame = trial_rules.sign(direction) * np.array([r[2] for r in rows], dtype=np.float64)
    return Observations(unit, tuple(r[1] for r in rows), frame), len(earlier) - len(rows)


def pending_points(
    trials: Sequence[Trial], encoder: SpaceEncoder, retry_queue: Collection[str]
) -> FloatArray:
    """Unit points (r, d) of running trials and of trials queued for a retry."""
    running = trial_module.TrialStatus.RUNNING
    points = [
        encoder.encode(t.hyperparameters)
        for t in trials
        if t.status == running or t.trial_id in retry_queue
    ]
    return np.array(points, dtype=np.float64).reshape(len(points), encoder.dim)


def view(
    decision: Decision,
    encoder: SpaceEncoder,
    finished: FinishedTrials,
    pending: FloatArray,
    *,
    direction: str,
    next_values: dict[str, Any] | None,
    next_unit: FloatArray | None,
    stop_reason: str,
) -> DecisionView:
    """The decision in objective units and hyperparameter values (see DecisionView).

    ``next_values``/``next_unit`` are the proposal the oracle makes (the
    policy's point, or a random fallback), None when it makes none.
    """
    sign = trial_rules.sign(direction)
    d = encoder.dim
    post = decision.posterior
    candidates = post.candidates if post else np.empty((0, d))
    numeric = d == 1 and is_numeric(encoder.tuned[0])
    name = encoder.names[0] if d == 1 else ""
    empty = np.empty(0)
    log_ei = post.log_ei if post else empty
    incumbent = post.incumbent if post else None
    return DecisionView(
        names=encoder.names,
        direction=direction,
        grid_unit=candidates,
        grid=_column_values(encoder, candidates) if numeric else None,
        mean=sign * (post.mean if post else empty),
        std=post.std if post else empty,
        ei=np.exp(log_ei),
        log_ei=log_ei,
        grid_allowed=post.allowed if post else np.empty(0, dtype=bool),
        obs_unit=finished.observations.unit,
        obs_x=_observed_x(finished, name) if numeric else None,
        obs_values=finished.values,
        obs_scores=finished.scores,
        obs_model_scores=sign * decision.model_scores,
        obs_mean=sign * post.obs_mean if post else empty,
        obs_status=finished.observations.status,
        obs_trial_ids=finished.trial_ids,
        pending_unit=pending,
        incumbent=None if incumbent is None else sign * incumbent,
        next_unit=next_unit,
        next_x=float(next_values[name]) if numeric and next_values else None,
        next_values=next_values,
        initial_design=decision.initial_design,
        stop_reason=stop_reason,
        exhausted=decision.outcome == policy.EXHAUSTED,
        slice_maker=(
            functools.partial(axis_slices, post, encoder, sign, finished.values, next_values)
            if post is not None and not numeric
            else None
        ),
        noise_sd=_noise_sd(post.model) if post else float("nan"),
        relation=_relation(post.model) if post else None,
    )


def _relation(model: decision_types.Model) -> Relation | None:
    """A warm-started model's judgement of the two searches; None for a cold model."""
    if not isinstance(model, two_task.AveragedGP):
        return None
    return Relation(correlation=model.relatedness, probability=model.probability_related)


def _noise_sd(model: decision_types.Model) -> float:
    """The GP's observation-noise standard deviation in objective units."""
    return float(np.sqrt(model.hyperparameters.noise_variance) * model.standardiser.scale)


def _observed_x(finished: FinishedTrials, name: str) -> FloatArray:
    return np.array([v.get(name, np.nan) for v in finished.values], float)


def _column_values(encoder: SpaceEncoder, unit: FloatArray) -> FloatArray:
    """Hyperparameter values of 1-D unit candidates (m, 1) -> (m,)."""
    hp = encoder.tuned[0]
    u = unit[:, 0]
    if is_continuous(hp):
        # Vectorised Float.prob_to_value (2048 Python calls cost ~2 ms).
        if hp.sampling == "log":
            return space.from_unit_log(u, hp.min_value, hp.max_value)
        return hp.min_value + u * (hp.max_value - hp.min_value)
    cells = encoding.cells_of(hp)
    return np.array(cells.values, dtype=np.float64)[cells.index(u)]


def gp_features(encoder: SpaceEncoder) -> features.Features | None:
    """The GP's input map: one-hot unordered choices, inactive children set apart."""
    return features.feature_map(
        encoder.categorical_axes(), encoder.conditional_axes(), encoder.inactive_mask
    )


def warm_prior(
    earlier: Sequence[EarlierTrial],
    encoder: SpaceEncoder,
    hyperparameters: hp_module.HyperParameters,
    direction: str,
    *,
    options: PolicyOptions,
    seed: int | None,
) -> prior.PriorMean | None:
    """The warm start's prior mean (:func:`kt_lrsearch.core.prior.prior_from`).

    Fitted to the earlier trials that lie in the current space, with failed ones
    penalised as in a decision, over the space's global candidates. None when
    no earlier trial completed there.
    """
    obs, _ = earlier_points(earlier, encoder, hyperparameters, direction)
    if not obs.ok.any():
        return None
    reference = candidates.global_candidates(options, dim=encoder.dim, seed=seed, snap=encoder.snap)
    scores = policy.penalise(obs.frame, obs.ok, options.failure_penalty)
    return prior.prior_from(obs.unit, scores, gp_features(encoder), reference)
