"""The oracle at the edges of its space: optima on a bound, long searches."""

from __future__ import annotations

import logging
import math

import keras_tuner as kt
import numpy as np
import pytest

from kt_lrsearch import GPEIOracle
from tests.oracle_helpers import finish, lr_space, make_oracle, peaked, run_loop


def _linear_space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("a", 0.0, 10.0)
    return hps


@pytest.mark.parametrize("seed", [1000, 2000, 3000, 4000, 5000, 6000])
@pytest.mark.parametrize("direction", ["max", "min"])
def test_a_noiseless_monotone_search_keeps_its_best_trial(tmp_path, seed, direction) -> None:
    """Keras Tuner's base-tuner test: score = a on [0, 10], the best score comes first."""
    oracle = make_oracle(
        str(tmp_path),
        _linear_space(),
        seed=seed,
        max_trials=6,
        objective=kt.Objective("score", direction),
    )
    trials = run_loop(oracle, lambda values: values["a"], 6)
    scores = [oracle.trials[t.trial_id].score for t in trials]
    best = max(scores) if direction == "max" else min(scores)
    assert oracle.get_best_trials(1)[0].score == best


def test_the_upper_bound_is_a_value_a_trial_can_take(tmp_path) -> None:
    """A model-based proposal at u = 1 decodes to the bound itself, not the float below it."""
    oracle = make_oracle(str(tmp_path), _linear_space(), max_trials=8, seed=1000)
    trials = run_loop(oracle, lambda values: values["a"], 8)
    values = [t.hyperparameters.values["a"] for t in trials]
    assert 10.0 in values
    assert all(0.0 <= v <= 10.0 for v in values)


def test_a_random_fallback_is_counted_and_logged_once(tmp_path, caplog) -> None:
    oracle = make_oracle(str(tmp_path), _linear_space())
    with caplog.at_level(logging.WARNING, logger="kt_lrsearch.tuning.oracle"):
        oracle._note_random_fallback("every candidate has been evaluated or is running")
        oracle._note_random_fallback("every candidate has been evaluated or is running")
    assert oracle.random_fallbacks == 2
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "every candidate has been evaluated" in messages[0] and "random" in messages[0]


@pytest.mark.slow
def test_a_160_trial_noisy_search_stays_model_based_and_ends_near_its_optimum(tmp_path) -> None:
    """The learning-rate bump of bench_scaling --long: peak at 5e-3, noise SD 0.01."""
    rng = np.random.default_rng(1000)

    def noisy_bump(values: dict[str, float]) -> float:
        g = math.log10(values["learning_rate"])
        return 0.1 + 0.8 * math.exp(-0.5 * ((g + 2.3) / 0.6) ** 2) + 0.01 * rng.normal()

    oracle = make_oracle(str(tmp_path), lr_space(), max_trials=160, seed=1000)
    trials = run_loop(oracle, noisy_bump, 160)
    assert len(trials) == 160 and oracle.random_fallbacks == 0
    unit = np.array(
        [(math.log10(t.hyperparameters.values["learning_rate"]) + 4) / 3 for t in trials]
    )
    optimum = (math.log10(5e-3) + 4) / 3
    last_quarter = np.abs(unit[120:] - optimum)
    assert np.median(last_quarter) < 0.05
    assert np.median(last_quarter) < np.median(np.abs(unit[:40] - optimum))


class _CountingOracle(GPEIOracle):
    """Counts the decisions it makes (each one is a GP fit and a candidate search)."""

    decisions = 0

    def _decide(self):
        self.decisions += 1
        return super()._decide()


def test_asking_for_the_best_trial_while_one_runs_makes_no_second_decision(tmp_path) -> None:
    """Keras Tuner's display (verbose=1) calls get_best_trials at every trial's start."""
    oracle = _CountingOracle(
        objective=kt.Objective("score", "max"), max_trials=12, seed=1000, hyperparameters=lr_space()
    )
    oracle._set_project_dir(str(tmp_path), "project")
    picks = []
    for _ in range(12):
        trial = oracle.create_trial("tuner0")
        picks.append(oracle.get_best_trials(1))  # what the display does while it runs
        finish(oracle, trial, peaked(trial.hyperparameters.values))
    # One per trial, and one for the best trial after the last (the display at its end).
    assert oracle.decisions == 13
    fresh = make_oracle(str(tmp_path / "other"), lr_space(), seed=1000, max_trials=12)
    for trial_id, trial in oracle.trials.items():
        fresh.trials[trial_id] = trial
    assert fresh.get_best_trials(1)[0].trial_id == oracle.get_best_trials(1)[0].trial_id


def _one_value_space(kind: str) -> kt.HyperParameters:
    hps = kt.HyperParameters()
    if kind == "log-float":
        hps.Float("learning_rate", 1e-3, 1e-3, sampling="log")
    elif kind == "int":
        hps.Int("units", 32, 32)
    else:
        hps.Choice("optimizer", ["sgd"])
    return hps


@pytest.mark.parametrize("kind", ["log-float", "int", "choice"])
def test_a_one_value_space_runs_once_then_stops_as_keras_tuner_does(tmp_path, kind) -> None:
    """A range of one value is no axis to tune: one trial at that value, then STOPPED."""
    space = _one_value_space(kind)
    ours = make_oracle(str(tmp_path / "ours"), space.copy(), max_trials=4)
    stock = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("score", "max"), max_trials=4, seed=1, hyperparameters=space.copy()
    )
    stock._set_project_dir(str(tmp_path / "stock"), "p")
    ran = [run_loop(oracle, lambda values: 1.0, 4) for oracle in (ours, stock)]
    assert [len(trials) for trials in ran] == [1, 1]
    assert ran[0][0].hyperparameters.values == ran[1][0].hyperparameters.values


def test_a_one_value_hyperparameter_beside_a_range_holds_its_value(tmp_path) -> None:
    """Only the rate is tuned; the one-value Int is proposed at its value in every trial."""
    space = lr_space()
    space.Int("units", 32, 32)
    oracle = make_oracle(str(tmp_path), space, max_trials=5)
    trials = run_loop(oracle, peaked, 5)
    assert len(trials) == 5
    assert {t.hyperparameters.values["units"] for t in trials} == {32}
    assert len({t.hyperparameters.values["learning_rate"] for t in trials}) == 5
