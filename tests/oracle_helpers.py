"""Drives an oracle through Keras Tuner's protocol without training anything."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras_tuner as kt

from kt_lrsearch import GPEIOracle

Objective = Callable[[dict[str, Any]], float]


def lr_space(lo: float = 1e-4, hi: float = 1e-1) -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", lo, hi, sampling="log")
    return hps


def shared_name_space(lr: str = "learning_rate") -> kt.HyperParameters:
    """A child name under two branches, with its own range in each (a common pattern)."""
    hps = kt.HyperParameters()
    hps.Float(lr, 1e-4, 1e-1, sampling="log")
    hps.Choice("model", ["mlp", "cnn"])
    with hps.conditional_scope("model", ["mlp"]):
        hps.Int("units", 16, 512, step=16)
    with hps.conditional_scope("model", ["cnn"]):
        hps.Int("units", 8, 128, step=8)
    return hps


def make_oracle(directory: str, hps: kt.HyperParameters | None = None, **kwargs: Any) -> GPEIOracle:
    kwargs.setdefault("objective", kt.Objective("score", "max"))
    kwargs.setdefault("seed", 11)
    oracle = GPEIOracle(hyperparameters=hps or lr_space(), **kwargs)
    oracle._set_project_dir(directory, "project")
    oracle.verbose = 0
    return oracle


def finish(oracle: GPEIOracle, trial: kt.engine.trial.Trial, score: float | None) -> None:
    """Ends a trial: a score completes it, None fails it (as a crashed fit does)."""
    if score is None:
        trial.status = "FAILED"
        trial.message = "simulated crash"
    else:
        oracle.update_trial(trial.trial_id, {"score": score})
        trial.status = "COMPLETED"
    oracle.end_trial(trial)


def run_loop(oracle: GPEIOracle, objective: Objective, budget: int) -> list[kt.engine.trial.Trial]:
    """create_trial -> update_trial -> end_trial until the oracle stops."""
    trials = []
    for _ in range(budget):
        trial = oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            break
        trials.append(trial)
        finish(oracle, trial, objective(trial.hyperparameters.values))
    return trials


def peaked(values: dict[str, Any]) -> float:
    """Accuracy-like landscape over log10(lr) with its peak at lr = 1e-2."""
    return 0.9 - 0.1 * (math.log10(values["learning_rate"]) + 2.0) ** 2
