"""GPEIOracle: the Keras Tuner adapter of the GP-EI decision policy.

The decision itself lives in :mod:`kt_lrsearch.core.policy` (pure, no Keras Tuner);
:mod:`kt_lrsearch.tuning.observations` turns trials into its inputs and its decision
into a :class:`~kt_lrsearch.core.decision_view.DecisionView`. This module keeps
what is Keras Tuner's business: the ``populate_space`` protocol (RUNNING /
IDLE / STOPPED), duplicate checks and the random fallback, persistence and its
repairs, and the callbacks. Works with any search space and tuner, including
distributed tuning, where running trials are fantasised.

A decision is a pure function of (seed, options, trials), so a reloaded oracle
proposes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import keras_tuner
import numpy as np
from keras_tuner.engine import trial as trial_module

from kt_lrsearch.core import gp, policy, prior, trial_rules
from kt_lrsearch.core import threads as threads_module
from kt_lrsearch.core.decision_view import DecisionView
from kt_lrsearch.core.options import PolicyOptions, check_int
from kt_lrsearch.tuning import encoding, kt_private, observations, project_changes
from kt_lrsearch.tuning import warm_start as warm_start_module
from kt_lrsearch.tuning.encoding import SpaceEncoder
from kt_lrsearch.tuning.hooks import OracleCallback, notify
from kt_lrsearch.tuning.persistence import CrashSafeOracle

TrialStatus = trial_module.TrialStatus
_LOG = logging.getLogger(__name__)
# The option defaults, written once (kt_lrsearch.core.options.PolicyOptions).
_DEFAULTS = PolicyOptions()


class GPEIOracle(CrashSafeOracle):
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
            serves any objective), divided by the number of tuned
            hyperparameters d. Decays linearly to 0 at the last trial of the
            budget (see ``xi_decay``). None (the default): 2.0 (the 1-D sweep
            recorded in docs/benchmarks.md), and no margin in two or three
            dimensions, where it was measured to cost on issue 12's 2-D and 3-D
            tuning problems (``PolicyOptions.margin``). A number is used in every d.
        min_distance: Unit-cube distance within which a candidate counts as
            already evaluated or running, and is not proposed, for the first 50
            trials; later ones need only be distinct, and a filled space halves
            the radius (:meth:`~kt_lrsearch.core.options.PolicyOptions.distance`).
        failure_penalty: Failed or diverged trials enter the GP at
            ``worst - failure_penalty * spread`` of the completed scores.
        ei_stop_threshold: Stop the search once the best EI (objective units)
            falls below this value. None (the default) never stops early.
        xi_decay: Decay ``xi`` to 0 over ``max_trials`` (True), or keep it.
        refine: In more than one dimension, polish the best candidates by a
            local search on the acquisition (:mod:`kt_lrsearch.core.refine`).
        trust_region: In a space of two or more Floats and Ints without
            conditions, propose the last third of the model-based trials
            inside TuRBO's trust region (:mod:`kt_lrsearch.core.trust_region`).
        callbacks: Objects with ``on_trial_end(oracle, trial)``, called after
            each trial is recorded (see :mod:`kt_lrsearch.figures.callbacks`), and
            optionally ``on_trial_begin(oracle, trial)``, called when a trial
            is handed to a tuner. An exception in one is reported as a warning
            and never stops the search (in distributed tuning a raising oracle
            hangs the chief).
        warm_start: Earlier searches of a related task, each a kt_lrsearch run
            directory, a Keras Tuner project directory or a list of
            ``(values, score)`` pairs (:mod:`kt_lrsearch.tuning.warm_start`). They and
            the new trials form one two-task GP whose relatedness is averaged
            over what the new scores support (:mod:`kt_lrsearch.core.two_task`); the
            first trial is where the earlier search's GP has its highest mean
            (near its best trial, not always on it), and there is no initial design. Only
            new trials count towards ``max_trials``. Empty (the default): a
            cold search.
        threads: The decision's own thread bound, for BLAS (NumPy, SciPy) and the
            GP's TensorFlow session (:mod:`kt_lrsearch.core.threads`). 1 (the
            default) keeps suggestions fast beside a training model; None leaves
            the pools as wide as the machine. It changes speed, never a decision.

    Attributes:
        options: The oracle's own options, a :class:`~kt_lrsearch.core.options.PolicyOptions`.
        random_fallbacks: How many decisions found no untried candidate, so
            Keras Tuner's random sampler proposed the values (the first is
            logged at WARNING, ``kt_lrsearch.tuning.oracle``).

    Raises:
        ValueError: When an option is out of range, with the accepted range.
        kt_lrsearch.tuning.warm_start.WarmStartError: A warm-start source that cannot
            be used (missing, corrupt, another objective); a different search
            space is found at the first decision.
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
        grid_size: int = _DEFAULTS.grid_size,
        num_candidates: int = _DEFAULTS.num_candidates,
        xi: float | None = _DEFAULTS.xi,
        min_distance: float = _DEFAULTS.min_distance,
        failure_penalty: float = _DEFAULTS.failure_penalty,
        ei_stop_threshold: float | None = _DEFAULTS.ei_stop_threshold,
        xi_decay: bool = _DEFAULTS.xi_decay,
        refine: bool = _DEFAULTS.refine,
        trust_region: bool = _DEFAULTS.trust_region,
        callbacks: Sequence[OracleCallback] = (),
        warm_start: Sequence[warm_start_module.Source] = (),
        threads: int | None = threads_module.DEFAULT_THREADS,
    ) -> None:
        check_int("max_trials", max_trials, 1, allow_none=True)
        check_int("seed", seed, 0, allow_none=True)
        threads_module.check_threads(threads)
        self.options = PolicyOptions(
            num_initial_points=num_initial_points,
            grid_size=grid_size,
            num_candidates=num_candidates,
            xi=xi,
            xi_decay=xi_decay,
            refine=refine,
            trust_region=trust_region,
            min_distance=min_distance,
            failure_penalty=failure_penalty,
            ei_stop_threshold=ei_stop_threshold,
        )
        # A setting of this process, not of the search: not saved in oracle.json.
        self.threads = threads
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
            kt_private.keep_seed(self, seed)  # Keras Tuner replaces a seed of 0
        # (key, decision, the key of its finished trials alone)
        self._cache: tuple[Any, DecisionView, Any] | None = None
        # Decisions that left the proposal to Keras Tuner's random sampler.
        self.random_fallbacks = 0
        self.callbacks = list(callbacks)
        # Read now, so a bad source fails at construction, not mid-search.
        self.earlier = warm_start_module.load(
            list(warm_start), self.objective.name, self.objective.direction
        )
        self._prior: tuple[tuple[str, ...], prior.PriorMean | None] | None = None

    # ------------------------------------------------------------------ protocol

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """Proposes the next trial's values (Keras Tuner's oracle contract).

        RUNNING with the values; IDLE when every candidate is taken but some
        trial still runs (a small discrete space with several workers: the
        asking tuner waits, as Keras Tuner's contract says, rather than ending
        the search for everyone); STOPPED when the search is over.
        """
        with threads_module.limited(self.threads):  # the warm-up builds for this bound
            gp.warm_up_in_background()  # the first trial trains while the GP's graph builds
        decision = self.decision_view()  # which applies the bound itself, on a cache miss
        if decision.next_values is not None:
            return {"status": TrialStatus.RUNNING, "values": dict(decision.next_values)}
        if decision.exhausted and self.ongoing_trials:
            return {"status": TrialStatus.IDLE, "values": None}
        return {"status": TrialStatus.STOPPED, "values": None}

    @keras_tuner.synchronized
    def create_trial(self, tuner_id: str) -> trial_module.Trial:
        """Keras Tuner's ``create_trial``, then ``on_trial_begin`` for a trial handed out.

        A tuner that asks again while its trial runs gets the same trial and no
        second ``on_trial_begin``; a trial retried after a crash gets one.
        """
        asked_again = tuner_id in self.ongoing_trials
        trial = super().create_trial(tuner_id)
        if not asked_again and trial.status == TrialStatus.RUNNING:
            notify(self.callbacks, "on_trial_begin", self, trial)
        return trial

    @keras_tuner.synchronized
    def end_trial(self, trial: trial_module.Trial) -> None:
        """Ends and saves the trial (:class:`CrashSafeOracle`), then ``on_trial_end``."""
        super().end_trial(trial)
        notify(self.callbacks, "on_trial_end", self, self.trials[trial.trial_id])

    def _record_values(self, trial: trial_module.Trial) -> None:
        """Marks a trial's values as tried (Keras Tuner's bookkeeping), keeping them as proposed.

        Keras Tuner's own version first runs ``ensure_active_values``, which
        drops or re-draws a child whose name two branches share; see
        :func:`kt_lrsearch.tuning.encoding.keep_active_values`.
        """
        encoding.keep_active_values(trial.hyperparameters)
        kt_private.record_tried(self, trial.trial_id, trial.hyperparameters.values)

    def forget_decisions(self) -> None:
        """Drops the cached decision (after a reload or a new state)."""
        self._cache = None

    def get_best_trials(self, num_trials: int = 1) -> list[trial_module.Trial]:
        """Best trials first, in an order that a reload cannot change.

        In a search of one numeric hyperparameter (the learning rate), the trial
        the model recommends comes first: the best measured trial among those
        the GP cannot tell from its best (:mod:`kt_lrsearch.core.recommendation`),
        not the luckiest noisy score. Measured on 15 learning-rate landscapes:
        better on 8, worse by at most 0.0005 on 3 (docs/benchmarks.md). Then
        completed trials with finite scores, best score first, ties going to the
        earlier trial; then diverged ones (NaN/inf score), then the rest
        (:func:`kt_lrsearch.core.trial_rules.rank_key`). Keras Tuner sorts raw
        scores in dictionary order: an infinite accuracy would be "best", and a
        reload (which globs trial files) could pick another of two tied trials.
        """
        direction = self.objective.direction

        def rank(trial: trial_module.Trial) -> tuple[bool, bool, float]:
            return trial_rules.rank_key(trial.status, trial.score, direction)

        ranked = sorted(self._sorted_trials(), key=rank)
        # Other spaces keep the score order: there no model-based pick was measured better.
        if SpaceEncoder(self.hyperparameters).dim == 1:
            pick = self._recommended_trial_id()
            ranked.sort(key=lambda trial: trial.trial_id != pick)  # stable: the rest keep order
        return ranked[:num_trials]

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["gpei"] = dataclasses.asdict(self.options)
        state["objective"] = project_changes.objective_state(self.objective)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        # The scores on disk rank trials by the saved objective: another one
        # would be compared against them silently.
        change = project_changes.objective_change(state.get("objective"), self.objective)
        if change is not None:
            raise project_changes.refusal(self._project_dir, [change])
        super().set_state(state)
        self.options = PolicyOptions(**state["gpei"])
        self.forget_decisions()

    # --------------------------------------------------------------- decisions

    def decision_view(self) -> DecisionView:
        """The decision for the next trial given the trials so far, ready to plot.

        Pure: calling it changes nothing, and ``populate_space`` returns the
        same proposal for the same trials (the result is cached on them).
        """
        key = self._cache_key()
        if self._cache is None or self._cache[0] != key:
            with threads_module.limited(self.threads):
                self._cache = (key, self._decide(), self._cache_key(finished_only=True))
        return self._cache[1]

    def _recommended_trial_id(self) -> str | None:
        """The model's pick, from the last decision when it saw the same finished trials.

        Keras Tuner's display asks for the best trials while a trial runs; a
        running trial only adds a fantasy at the posterior mean, which leaves
        the mean, and so the pick, as it was (up to rounding that the ties'
        tolerance absorbs), so the decision is not made again for it.
        """
        if self._cache is None or self._cache[2] != self._cache_key(finished_only=True):
            return self.decision_view().recommended_trial_id()
        return self._cache[1].recommended_trial_id()

    def _cache_key(self, finished_only: bool = False) -> tuple[Any, ...]:
        rows = tuple(
            (t.trial_id, t.status, t.score, kt_private.values_hash(self, t.hyperparameters.values))
            for t in self._sorted_trials()
            if not (finished_only and t.status in (TrialStatus.RUNNING, TrialStatus.IDLE))
        )
        space_config = tuple(hp.name for hp in self.hyperparameters.space)
        return rows, tuple(sorted(kt_private.retry_queue(self))), space_config

    def _sorted_trials(self) -> list[trial_module.Trial]:
        # Trial files are globbed on reload: sort so a reloaded oracle feeds the
        # GP in the same order (float sums depend on it).
        return sorted(self.trials.values(), key=lambda t: trial_rules.order_key(t.trial_id))

    def _decide(self) -> DecisionView:
        encoder = SpaceEncoder(self.hyperparameters)
        trials = self._sorted_trials()
        direction = self.objective.direction
        finished = observations.finished_trials(
            trials, encoder, direction, kt_private.retry_queue(self)
        )
        pending = observations.pending_points(trials, encoder, kt_private.retry_queue(self))
        if encoder.dim == 0:  # Fixed values only: one point, which runs once
            tried = kt_private.is_duplicate(self, encoder.decode(np.empty(0)))
            decision = policy.nothing_to_tune(finished.observations, self.options, tried=tried)
        else:
            decision = policy.decide(
                finished.observations,
                pending,
                self.options,
                dim=encoder.dim,
                seed=self.seed,
                trials_so_far=len(self.trials),
                max_trials=self.max_trials,
                snap=encoder.snap,
                is_taken=lambda point: kt_private.is_taken(self, encoder.decode(point)),
                gp_features=observations.gp_features(encoder),
                prior_mean=self._prior_mean(encoder),
                boxable=encoder.is_box(),
            )
        values, unit, reason = self._proposal(decision, encoder)
        view = observations.view(
            decision,
            encoder,
            finished,
            pending,
            direction=direction,
            next_values=values,
            next_unit=unit,
            stop_reason=reason,
        )
        if self.earlier:  # drawn hollow in the figures
            view = warm_start_module.with_earlier(view, encoder.tuned[0], self.earlier)
        return view

    def _prior_mean(self, encoder: SpaceEncoder) -> prior.PriorMean | None:
        """The warm start's prior (kt_lrsearch.core.prior), fitted once per search space."""
        if not self.earlier:
            return None
        if self._prior is None or self._prior[0] != encoder.names:
            mean = observations.warm_prior(
                self.earlier,
                encoder,
                self.hyperparameters,
                self.objective.direction,
                options=self.options,
                seed=self.seed,
            )
            self._prior = (encoder.names, mean)
        return self._prior[1]

    def _proposal(
        self, decision: policy.Decision, encoder: SpaceEncoder
    ) -> tuple[dict[str, Any] | None, np.ndarray | None, str]:
        """(values, unit point, stop reason) the oracle proposes for a decision.

        When every candidate is taken (a small discrete space) Keras Tuner's
        own sampler gets a chance at an unseen point before the search stops.
        """
        if decision.outcome == policy.PROPOSE:
            return encoder.decode(decision.next_point), np.asarray(decision.next_point), ""
        if decision.outcome == policy.EXHAUSTED:
            values = kt_private.random_values(self)
            if values is not None:
                self._note_random_fallback(decision.reason)
                hps = self.hyperparameters.copy()
                hps.values = dict(values)
                return values, encoder.encode(hps), ""
        return None, None, decision.reason

    def _note_random_fallback(self, reason: str) -> None:
        """Counts a random proposal (``random_fallbacks``); the first is logged with its reason."""
        self.random_fallbacks += 1
        if self.random_fallbacks == 1:
            note = "Keras Tuner's random sampler proposed the values (logged once)"
            _LOG.warning("GPEIOracle: %s, so %s", reason, note)
