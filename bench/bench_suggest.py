"""Milliseconds per model-based suggestion of GPEIOracle in the spaces of issue 12.

Each space is driven through Keras Tuner's protocol (create_trial -> update_trial ->
end_trial, no training) for 20 trials on a cheap deterministic objective; the time
of every populate_space after the initial design is recorded (median and max).
The GP's one-time graph build happens before the clock starts.

    .venv/bin/python bench/bench_suggest.py
    .venv/bin/python bench/bench_suggest.py --warm-start   # warm-started from a cold search
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/bench_suggest.py  # another tree
"""

from __future__ import annotations

import math
import os
import pathlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# With PYTHONPATH set, its package comes first: the same script times another checkout.
sys.path.insert(
    len(sys.path) if os.environ.get("PYTHONPATH") else 0,
    str(pathlib.Path(__file__).resolve().parents[1]),
)

import keras_tuner as kt

from kt_lrsearch import GPEIOracle
from kt_lrsearch.core import gp

TRIALS = 20


def lr_space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    return hps


def box(dim: int) -> kt.HyperParameters:
    hps = kt.HyperParameters()
    for i in range(dim):
        hps.Float(f"x{i}", 0.0, 1.0)
    return hps


def mixed() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    hps.Int("depth", 1, 8)
    hps.Choice("optimizer", ["sgd", "adam", "rmsprop"])
    hps.Float("dropout", 0.0, 0.5)
    return hps


def conditional() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    model = hps.Choice("model", ["mlp", "cnn", "rnn"])
    with hps.conditional_scope("model", ["mlp"]):
        hps.Int("units", 16, 512, step=16)
    with hps.conditional_scope("model", ["cnn"]):
        hps.Int("filters", 8, 128, step=8)
    with hps.conditional_scope("model", ["rnn"]):
        hps.Choice("cell", ["lstm", "gru"])
    del model
    return hps


def shared_name() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    hps.Choice("model", ["mlp", "cnn"])
    with hps.conditional_scope("model", ["mlp"]):
        hps.Int("units", 16, 512, step=16)
    with hps.conditional_scope("model", ["cnn"]):
        hps.Int("units", 8, 128, step=8)  # the same name, its own range
    return hps


def smooth(values: dict[str, Any]) -> float:
    """Any space: a smooth function of every numeric value, plus a bonus per choice."""
    total = 0.0
    for name, value in sorted(values.items()):
        if isinstance(value, bool):
            total += 0.1 * value
        elif isinstance(value, (int, float)):
            scaled = math.log10(value) if name == "learning_rate" else float(value)
            total -= (scaled - 0.3 * len(name)) ** 2 / (1 + abs(scaled))
        else:
            total += 0.05 * len(str(value))
    return total


SPACES: dict[str, Callable[[], kt.HyperParameters]] = {
    "1-D learning rate": lr_space,
    "2-D box (Branin's shape)": lambda: box(2),
    "6-D box (Hartmann-6's shape)": lambda: box(6),
    "10-D box": lambda: box(10),
    "mixed 4-D": mixed,
    "conditional": conditional,
    "conditional, one child name in two branches": shared_name,
}


def measure(
    space: Callable[[], kt.HyperParameters], directory: str, warm: list | None = None
) -> tuple[list[float], list]:
    """(seconds per model-based suggestion, the search's (values, score) pairs)."""
    oracle = GPEIOracle(
        objective=kt.Objective("score", "max"),
        max_trials=TRIALS,
        seed=1000,
        hyperparameters=space(),
        warm_start=[warm] if warm else (),
    )
    oracle._set_project_dir(directory, "p")
    oracle.verbose = 0  # Keras Tuner's per-trial table is not the oracle's time
    # A warm start has no initial design: its first trial is the earlier best.
    initial = 1 if warm else oracle.options.initial_points(len(oracle.hyperparameters.space))
    times = []
    for step in range(TRIALS):
        start = time.perf_counter()
        trial = oracle.create_trial("t")
        if step >= initial:
            times.append(time.perf_counter() - start)
        oracle.update_trial(trial.trial_id, {"score": smooth(trial.hyperparameters.values)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return times, [(dict(t.hyperparameters.values), t.score) for t in oracle.trials.values()]


def earlier_search(space: Callable[[], kt.HyperParameters]) -> list:
    """(values, score) pairs of a cold search of TRIALS trials: a warm start's source."""
    with tempfile.TemporaryDirectory() as directory:
        return measure(space, directory)[1]


def main() -> None:
    warm = "--warm-start" in sys.argv[1:]
    print(f"kt_lrsearch from {pathlib.Path(gp.__file__).parent}")
    gp.warm_up()
    print(
        f"{TRIALS} trials per space; model-based suggestions only (after the initial design)"
        + (f"; warm-started from a cold search of {TRIALS} trials" if warm else "")
    )
    print("\n| space | median ms / suggestion | max ms |")
    print("|---|---:|---:|")
    for name, space in SPACES.items():
        earlier = earlier_search(space) if warm else None
        with tempfile.TemporaryDirectory() as directory:
            times, _ = measure(space, directory, earlier)
        print(f"| {name} | {1000 * statistics.median(times):.0f} | {1000 * max(times):.0f} |")


if __name__ == "__main__":
    main()
