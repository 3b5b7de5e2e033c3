"""GPEIOracle: a Keras Tuner oracle with a TFP GP surrogate and closed-form EI.

Composes the numerical core: :mod:`encoding` (trials -> unit cube),
:mod:`gp` (Matern-5/2 GP, MAP fit), :mod:`acquisition` (log-EI) and
:mod:`space` (grid and candidate sets). Works with any Keras Tuner search space
and tuner, including distributed tuning, where running trials are fantasised.

A decision is a pure function of (seed, options, trials), so a reloaded oracle
proposes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Sequence
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine import trial as trial_module

from kt_lrsearch import acquisition, gp, space
from kt_lrsearch.diagnostics import DIVERGED, FAILED, OK, Diagnostics
from kt_lrsearch.encoding import SpaceEncoder, is_continuous
from kt_lrsearch.files import is_local, save_json

FloatArray = np.ndarray
TrialStatus = trial_module.TrialStatus

# How many initial-design (Sobol) indices to try before giving up on finding an
# unseen point there, and how many EI-ranked candidates before random fallback.
_MAX_DESIGN_TRIES = 64
_MAX_CANDIDATE_TRIES = 256
# Local candidates in more than one dimension: around the best few points, at a
# scale that refines within one grid cell of a 2048-point Sobol set.
_LOCAL_CENTRES = 3
_LOCAL_SCALE = 0.05


@dataclasses.dataclass(frozen=True)
class _Observations:
    """Finished trials as the GP sees them, in trial-id order."""

    trial_ids: tuple[str, ...]
    values: tuple[dict[str, Any], ...]
    unit: FloatArray  # (n, d)
    scores: FloatArray  # (n,) raw objective, NaN where failed
    status: tuple[str, ...]  # OK / FAILED / DIVERGED
    model: FloatArray  # (n,) maximisation frame, failures penalised

    @property
    def ok(self) -> np.ndarray:
        return np.asarray(self.status) == OK


def _check_int(name: str, value: Any, minimum: int, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"GPEIOracle: `{name}` must be an integer >= {minimum}, got {value!r}")


def _check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, allow_none: bool = False
) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not (low <= float(value) < high):
        raise ValueError(f"GPEIOracle: `{name}` must be a number in [{low}, {high}), got {value!r}")


class GPEIOracle(keras_tuner.Oracle):
    """Bayesian optimisation with a Matern-5/2 GP and closed-form Expected Improvement.

    The constructor mirrors ``keras_tuner.oracles.BayesianOptimizationOracle``;
    the keyword-only options after ``*`` are this oracle's own.

    Args:
        objective: A string, ``keras_tuner.Objective`` or a list of them.
        max_trials: Total number of trials (the evaluation budget).
        num_initial_points: Trials drawn from a seeded scrambled-Sobol design
            before the GP takes over. Defaults to d + 1 for d tuned dimensions;
            the learning-rate task uses 1.
        seed: Random seed; every decision is a deterministic function of it.
        hyperparameters: Optional ``HyperParameters`` search space.
        allow_new_entries: As in ``keras_tuner.Oracle``.
        tune_new_entries: As in ``keras_tuner.Oracle``.
        max_retries_per_trial: As in ``keras_tuner.Oracle``.
        max_consecutive_failed_trials: As in ``keras_tuner.Oracle``.
        grid_size: Candidates in one dimension: a uniform grid of the unit
            embedding, i.e. a log-spaced grid of learning rates (>= 2048).
        num_candidates: Scrambled-Sobol candidates in more dimensions (>= 64).
        xi: EI's exploration margin at the first model-based trial, in units
            of the observations' standard deviation (scale-free, so one default
            serves any objective). Decays linearly to 0 at the last trial of
            the budget (see ``xi_decay``); the default 2.0 came from the sweep
            recorded in docs/benchmarks.md.
        min_distance: Unit-cube distance within which a candidate counts as
            already evaluated or running, and is never proposed.
        failure_penalty: Failed or diverged trials enter the GP at
            ``worst - failure_penalty * spread`` of the completed scores.
        ei_stop_threshold: Stop the search once the best EI (objective units)
            falls below this value. None (the default) never stops early.
        xi_decay: Decay ``xi`` to 0 over ``max_trials`` (True), or keep it.
        callbacks: Objects with ``on_trial_end(oracle, trial)``, called after
            each trial is recorded (see :mod:`kt_lrsearch.callbacks`), and
            optionally ``on_trial_begin(oracle, trial)``, called when a trial
            is handed to a tuner. An exception in one is reported as a warning
            and never stops the search (in distributed tuning a raising oracle
            hangs the chief).

    Raises:
        ValueError: When an option is out of range, with the accepted range.
    """

    def __init__(
        self,
        objective: Any = None,
        max_trials: int | None = 10,
        num_initial_points: int | None = None,
        seed: int | None = None,
        hyperparameters: keras_tuner.HyperParameters | None = None,
        allow_new_entries: bool = True,
        tune_new_entries: bool = True,
        max_retries_per_trial: int = 0,
        max_consecutive_failed_trials: int = 3,
        *,
        grid_size: int = 2048,
        num_candidates: int = 2048,
        xi: float = 2.0,
        min_distance: float = 0.01,
        failure_penalty: float = 0.5,
        ei_stop_threshold: float | None = None,
        xi_decay: bool = True,
        callbacks: Sequence[Any] = (),
    ) -> None:
        _check_int("max_trials", max_trials, 1, allow_none=True)
        _check_int("num_initial_points", num_initial_points, 1, allow_none=True)
        _check_int("seed", seed, 0, allow_none=True)
        _check_int("grid_size", grid_size, 2048)
        _check_int("num_candidates", num_candidates, 64)
        _check_float("xi", xi, 0.0)
        _check_float("min_distance", min_distance, 0.0, 0.5)
        _check_float("failure_penalty", failure_penalty, 0.0)
        _check_float("ei_stop_threshold", ei_stop_threshold, 0.0, allow_none=True)
        super().__init__(
            objective=objective,
            max_trials=max_trials,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        if seed is not None:
            # keras_tuner.Oracle replaces a seed of 0 with a random one.
            self.seed = self._seed_state = int(seed)
        self.num_initial_points = num_initial_points
        self.grid_size = int(grid_size)
        self.num_candidates = int(num_candidates)
        self.xi = float(xi)
        self.xi_decay = bool(xi_decay)
        self.min_distance = float(min_distance)
        self.failure_penalty = float(failure_penalty)
        self.ei_stop_threshold = None if ei_stop_threshold is None else float(ei_stop_threshold)
        self._cache: tuple[Any, Diagnostics] | None = None
        self.callbacks = list(callbacks)

    # ------------------------------------------------------------------ protocol

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Proposes the next trial's values (Keras Tuner's oracle contract)."""
        decision = self.diagnostics()
        if decision.next_values is None:
            return {"status": TrialStatus.STOPPED, "values": None}
        return {"status": TrialStatus.RUNNING, "values": dict(decision.next_values)}

    @keras_tuner.synchronized
    def create_trial(self, tuner_id: str) -> trial_module.Trial:
        """Keras Tuner's ``create_trial``, then ``on_trial_begin`` for a trial handed out.

        A tuner that asks again while its trial runs gets the same trial and no
        second ``on_trial_begin``; a trial retried after a crash gets one.
        """
        asked_again = tuner_id in self.ongoing_trials
        trial = super().create_trial(tuner_id)
        if not asked_again and trial.status == TrialStatus.RUNNING:
            self._notify("on_trial_begin", trial)
        return trial

    @keras_tuner.synchronized
    def end_trial(self, trial: trial_module.Trial) -> None:
        """Ends a trial as Keras Tuner does, then saves once more.

        Keras Tuner saves ``oracle.json`` before it removes the trial from
        ``ongoing_trials``, so a reload would queue the finished trial for a
        retry and run it again; the second save records the final state.
        """
        super().end_trial(trial)
        self.save()
        self._notify("on_trial_end", self.trials[trial.trial_id])

    def _notify(self, event: str, trial: trial_module.Trial) -> None:
        for callback in self.callbacks:
            method = getattr(callback, event, None)
            if method is None:
                continue
            try:
                method(self, trial)
            except Exception as error:  # a plot or a log must never end a search
                warnings.warn(
                    f"GPEIOracle callback {type(callback).__name__}.{event} failed for trial "
                    f"{trial.trial_id}: {error!r}",
                    RuntimeWarning,
                    stacklevel=3,
                )

    def save(self) -> None:
        """Saves ``oracle.json`` atomically: a kill mid-write must not lose the project."""
        fname = self._get_oracle_fname()
        if is_local(fname):
            save_json(fname, self.get_state())
        else:
            super().save()

    def _save_trial(self, trial: trial_module.Trial) -> None:
        fname = os.path.join(self._get_trial_dir(trial.trial_id), "trial.json")
        if is_local(fname):
            save_json(fname, trial.get_state())
        else:
            super()._save_trial(trial)

    def reload(self) -> None:
        """Reloads the project; every unfinished trial, and only those, runs again.

        Also repairs projects saved by the stock ``end_trial`` (see above),
        where the last finished trial still appears as ongoing.
        """
        super().reload()
        queued = [t for t in self._retry_queue if self.trials[t].status == TrialStatus.RUNNING]
        # Keras Tuner's create_trial writes trial.json, then oracle.json: a kill
        # between the two leaves a RUNNING trial that oracle.json does not list
        # as ongoing (seen in the SIGKILL test). Queue it too, or it would count
        # towards the budget without ever running. pop() takes from the end.
        orphans = [t for t, trial in self.trials.items()
                   if trial.status == TrialStatus.RUNNING and t not in queued]  # fmt: skip
        orphans.sort(key=lambda t: (len(t), t), reverse=True)
        self._retry_queue = orphans + queued
        self._cache = None

    def get_best_trials(self, num_trials: int = 1) -> list[trial_module.Trial]:
        """Best trials first, in an order that a reload cannot change.

        Completed trials with finite scores come first, best score first, ties
        going to the earlier trial; then diverged ones (NaN/inf score), then the
        rest. Keras Tuner sorts raw scores in dictionary order, so an infinite
        accuracy would be "best" and a reload (which globs the trial files)
        could pick another of two tied trials.
        """
        sign = -1.0 if self.objective.direction == "max" else 1.0

        def rank(trial: trial_module.Trial) -> tuple[bool, bool, float]:
            done = trial.status == TrialStatus.COMPLETED and trial.score is not None
            finite = done and math.isfinite(trial.score)
            return (not done, not finite, sign * trial.score if finite else 0.0)

        return sorted(self._sorted_trials(), key=rank)[:num_trials]

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["gpei"] = {
            "num_initial_points": self.num_initial_points,
            "grid_size": self.grid_size,
            "num_candidates": self.num_candidates,
            "xi": self.xi,
            "xi_decay": self.xi_decay,
            "min_distance": self.min_distance,
            "failure_penalty": self.failure_penalty,
            "ei_stop_threshold": self.ei_stop_threshold,
        }
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        options = state["gpei"]
        self.num_initial_points = options["num_initial_points"]
        self.grid_size = options["grid_size"]
        self.num_candidates = options["num_candidates"]
        self.xi = options["xi"]
        self.xi_decay = options["xi_decay"]
        self.min_distance = options["min_distance"]
        self.failure_penalty = options["failure_penalty"]
        self.ei_stop_threshold = options["ei_stop_threshold"]
        self._cache = None

    # --------------------------------------------------------------- decisions

    def diagnostics(self) -> Diagnostics:
        """The decision for the next trial given the trials so far.

        Pure: calling it changes nothing, and ``populate_space`` returns the
        same proposal for the same trials (the result is cached on them).
        """
        key = self._cache_key()
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._decide())
        return self._cache[1]

    def _cache_key(self) -> tuple[Any, ...]:
        rows = tuple(
            (t.trial_id, t.status, t.score, self._compute_values_hash(t.hyperparameters.values))
            for t in self._sorted_trials()
        )
        space_config = tuple(hp.name for hp in self.hyperparameters.space)
        return rows, tuple(sorted(self._retry_queue)), space_config

    def _sorted_trials(self) -> list[trial_module.Trial]:
        # Trial files are globbed on reload: sort so a reloaded oracle feeds the
        # GP in the same order (float sums depend on it).
        return sorted(self.trials.values(), key=lambda t: (len(t.trial_id), t.trial_id))

    def _decide(self) -> Diagnostics:
        encoder = SpaceEncoder(self.hyperparameters)
        obs = self._observations(encoder)
        pending = self._pending(encoder)
        if encoder.dim == 0:
            values = encoder.decode(np.empty(0))
            stop = "the search space has no tunable hyperparameter left untried"
            fresh = not self._duplicate(values)
            return self._snapshot(
                encoder, obs, pending, None, values if fresh else None, True, "" if fresh else stop
            )
        num_initial = self.num_initial_points or encoder.dim + 1
        model = gp.fit_gp(obs.unit, obs.model) if obs.unit.shape[0] else None
        posterior = self._posterior(encoder, obs, pending, model) if model else None
        if len(self.trials) < num_initial or model is None:
            point = self._initial_point(encoder, obs, pending)
            reason = "" if point is not None else "no untried point is left in the space"
            return self._snapshot(encoder, obs, pending, posterior, point, True, reason)
        return self._acquire(encoder, obs, pending, posterior)

    def _posterior(
        self,
        encoder: SpaceEncoder,
        obs: _Observations,
        pending: FloatArray,
        model: gp.GaussianProcess,
    ) -> dict[str, Any]:
        """GP posterior and log-EI over the candidates, with pending fantasies."""
        if pending.shape[0]:
            # Kriging believer: a running trial is assumed to return the current
            # posterior mean, which shrinks the uncertainty (and EI) around it.
            fantasy, _ = model.predict(pending)
            model = model.condition_on(pending, fantasy)
        candidates = self._candidates(encoder, obs)
        mean, std = model.predict(candidates)
        if obs.ok.any():
            incumbent = float(np.max(model.predict(obs.unit[obs.ok])[0]))
        else:
            incumbent = float(np.max(obs.model))
        xi = self._current_xi() * model.standardiser.scale
        log_ei = acquisition.log_expected_improvement(mean, std, incumbent, xi=xi)
        taken = np.concatenate([obs.unit, pending])
        allowed = space.min_distances(candidates, taken) >= self.min_distance
        return {
            "allowed": allowed,
            "candidates": candidates,
            "mean": mean,
            "std": std,
            "log_ei": log_ei,
            "incumbent": incumbent if obs.ok.any() else None,
        }

    def _current_xi(self) -> float:
        """EI's margin for this decision: ``xi`` decayed linearly to 0 over the budget.

        Early evaluations explore (a large margin stops EI from creeping up a
        slope in small steps); the last ones, which decide the best trial a
        user keeps, exploit. Without a budget, or with ``xi_decay=False``, the
        margin stays ``xi``.
        """
        if not self.xi_decay or not self.max_trials or self.max_trials < 2:
            return self.xi
        remaining = max(self.max_trials - len(self.trials) - 1, 0)
        return self.xi * remaining / (self.max_trials - 1)

    def _acquire(
        self,
        encoder: SpaceEncoder,
        obs: _Observations,
        pending: FloatArray,
        posterior: dict[str, Any],
    ) -> Diagnostics:
        log_ei = posterior["log_ei"]
        candidates = posterior["candidates"]
        if self.ei_stop_threshold is not None:
            best_ei = float(np.exp(np.max(log_ei)))
            if best_ei < self.ei_stop_threshold:
                reason = f"best EI {best_ei:.3g} fell below ei_stop_threshold"
                return self._snapshot(encoder, obs, pending, posterior, None, False, reason)
        allowed = posterior["allowed"]
        ranked = [i for i in np.argsort(-log_ei, kind="stable") if allowed[i]]
        for index in ranked[:_MAX_CANDIDATE_TRIES]:
            values = encoder.decode(candidates[index])
            if not self._duplicate(values) and not self._is_pending(values):
                return self._snapshot(
                    encoder, obs, pending, posterior, candidates[index], False, ""
                )
        # Every EI candidate is taken (a small discrete space): random unseen
        # values, or stop when Keras Tuner's own sampler finds none either.
        values = self._random_values()
        if values is None:
            reason = "every candidate has been evaluated or is running"
            return self._snapshot(encoder, obs, pending, posterior, None, False, reason)
        return self._snapshot(encoder, obs, pending, posterior, values, False, "")

    def _initial_point(
        self, encoder: SpaceEncoder, obs: _Observations, pending: FloatArray
    ) -> FloatArray | dict[str, Any] | None:
        """The next unseen point of the seeded scrambled-Sobol design."""
        taken = np.concatenate([obs.unit, pending])
        start = len(self.trials)
        points = space.sobol_points(_MAX_DESIGN_TRIES, encoder.dim, seed=self.seed, skip=start)
        points = encoder.snap(points)
        far = space.min_distances(points, taken) >= self.min_distance
        for point, ok in zip(points, far, strict=True):
            values = encoder.decode(point)
            if ok and not self._duplicate(values) and not self._is_pending(values):
                return point
        return self._random_values()

    def _candidates(self, encoder: SpaceEncoder, obs: _Observations) -> FloatArray:
        """Dense 1-D grid, or Sobol plus local candidates around the best points."""
        if encoder.dim == 1:
            return encoder.snap(space.unit_grid(self.grid_size))
        sobol = space.sobol_points(self.num_candidates, encoder.dim, seed=self.seed)
        order = np.argsort(-obs.model, kind="stable")[:_LOCAL_CENTRES]
        local = space.local_candidates(
            obs.unit[order],
            self.num_candidates // (4 * _LOCAL_CENTRES),
            scale=_LOCAL_SCALE,
            seed=self.seed * 7919 + len(self.trials),
        )
        return encoder.snap(np.concatenate([sobol, local]))

    # ------------------------------------------------------------ observations

    def _observations(self, encoder: SpaceEncoder) -> _Observations:
        """Finished trials, with failures mapped to a penalised score."""
        rows = []
        for trial in self._sorted_trials():
            status = self._status_of(trial)
            if status is not None:
                score = np.nan if status == FAILED else float(trial.score)
                rows.append((trial, status, score))
        unit = np.array([encoder.encode(t.hyperparameters) for t, _, _ in rows])
        scores = np.array([s for _, _, s in rows], dtype=np.float64)
        status = tuple(s for _, s, _ in rows)
        sign = 1.0 if self.objective.direction == "max" else -1.0
        return _Observations(
            trial_ids=tuple(t.trial_id for t, _, _ in rows),
            values=tuple(dict(t.hyperparameters.values) for t, _, _ in rows),
            unit=unit.reshape(len(rows), encoder.dim),
            scores=scores,
            status=status,
            model=self._penalised(sign * scores, np.asarray(status) == OK),
        )

    def _status_of(self, trial: trial_module.Trial) -> str | None:
        """OK / FAILED / DIVERGED for a finished trial; None if not finished."""
        if trial.trial_id in self._retry_queue:
            return None  # will run again with the same values: pending
        if trial.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED):
            if trial.score is None:
                return None
            return OK if math.isfinite(trial.score) else DIVERGED
        if trial.status in (TrialStatus.FAILED, TrialStatus.INVALID):
            return FAILED
        return None

    def _penalised(self, frame: FloatArray, ok: np.ndarray) -> FloatArray:
        """Maximisation-frame scores with failures set below the worst success.

        ``penalty = worst - failure_penalty * spread``, spread being the range of
        the completed scores (or |worst|, or 1, when that range is 0), so the GP
        sees failures as clearly bad without a scale-dependent constant.
        """
        out = np.array(frame, dtype=np.float64)
        if not ok.any():
            out[:] = 0.0
            return out
        worst = float(np.min(out[ok]))
        spread = float(np.ptp(out[ok])) or abs(worst) or 1.0
        out[~ok] = worst - self.failure_penalty * spread
        return out

    def _pending(self, encoder: SpaceEncoder) -> FloatArray:
        """Unit points of running trials and trials queued for retry, (r, d)."""
        running = [
            t
            for t in self._sorted_trials()
            if t.status == TrialStatus.RUNNING or t.trial_id in self._retry_queue
        ]
        points = [encoder.encode(t.hyperparameters) for t in running]
        return np.array(points, dtype=np.float64).reshape(len(points), encoder.dim)

    def _is_pending(self, values: dict[str, Any]) -> bool:
        key = self._compute_values_hash(values)
        return any(
            self._compute_values_hash(t.hyperparameters.values) == key
            for t in self.trials.values()
            if t.status == TrialStatus.RUNNING
        )

    # ---------------------------------------------------------------- snapshot

    def _snapshot(
        self,
        encoder: SpaceEncoder,
        obs: _Observations,
        pending: FloatArray,
        posterior: dict[str, Any] | None,
        proposal: FloatArray | dict[str, Any] | None,
        initial_design: bool,
        stop_reason: str,
    ) -> Diagnostics:
        """Packs a decision into plain arrays in objective units."""
        sign = 1.0 if self.objective.direction == "max" else -1.0
        d = encoder.dim
        empty = np.empty(0)
        post = posterior or {
            "candidates": np.empty((0, d)),
            "mean": empty,
            "std": empty,
            "log_ei": empty,
            "allowed": np.empty(0, dtype=bool),
            "incumbent": None,
        }
        if isinstance(proposal, dict):
            next_values: dict[str, Any] | None = proposal
            hps = self.hyperparameters.copy()
            hps.values = dict(proposal)
            next_unit: FloatArray | None = encoder.encode(hps)
        elif proposal is None:
            next_values, next_unit = None, None
        else:
            next_values, next_unit = encoder.decode(proposal), np.asarray(proposal)
        numeric = d == 1 and _is_numeric(encoder.tuned[0])
        name = encoder.names[0] if d == 1 else ""
        incumbent = post["incumbent"]
        return Diagnostics(
            names=encoder.names,
            direction=self.objective.direction,
            grid_unit=post["candidates"],
            grid=_column_values(encoder, post["candidates"]) if numeric else None,
            mean=sign * post["mean"],
            std=post["std"],
            ei=np.exp(post["log_ei"]),
            log_ei=post["log_ei"],
            grid_allowed=post["allowed"],
            obs_unit=obs.unit,
            obs_x=np.array([v.get(name, np.nan) for v in obs.values], float) if numeric else None,
            obs_values=obs.values,
            obs_scores=obs.scores,
            obs_model_scores=sign * obs.model,
            obs_status=obs.status,
            obs_trial_ids=obs.trial_ids,
            pending_unit=pending,
            incumbent=None if incumbent is None else sign * incumbent,
            next_unit=next_unit,
            next_x=float(next_values[name]) if numeric and next_values else None,
            next_values=next_values,
            initial_design=initial_design,
            stop_reason=stop_reason,
        )


def _is_numeric(hp: keras_tuner.engine.hyperparameters.HyperParameter) -> bool:
    return isinstance(
        hp, (keras_tuner.engine.hyperparameters.Float, keras_tuner.engine.hyperparameters.Int)
    )


def _column_values(encoder: SpaceEncoder, unit: FloatArray) -> FloatArray:
    """Hyperparameter values of 1-D unit candidates (m, 1) -> (m,)."""
    hp = encoder.tuned[0]
    u = unit[:, 0]
    if is_continuous(hp):
        # Vectorised Float.prob_to_value (2048 Python calls cost ~2 ms).
        if hp.sampling == "log":
            return space.from_unit_log(u, hp.min_value, hp.max_value)
        return hp.min_value + u * (hp.max_value - hp.min_value)
    top = math.nextafter(1.0, 0.0)
    return np.array([hp.prob_to_value(min(float(p), top)) for p in u], float)
