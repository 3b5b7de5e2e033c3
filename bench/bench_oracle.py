"""GPEIOracle vs Keras Tuner's own oracles on noisy 1-D learning-rate landscapes.

Every oracle runs the same protocol loop (create_trial -> update_trial ->
end_trial, no training) with a budget of 10 evaluations, on the same landscapes,
seeds and noise, in one process, one after the other. Reported per landscape:
mean and median simple regret (true optimum minus the true value at the point
the user would pick: the best *observed* score), and the median milliseconds per
model-based suggestion (after each oracle's initial design; both GP oracles
are warmed up first, so TensorFlow's one-time tracing is reported apart).

Run: .venv/bin/python bench/bench_oracle.py [--seeds 25] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_tuner as kt
import numpy as np

from kt_lrsearch import GPEIOracle

LR_MIN, LR_MAX, BUDGET, NOISE = 1e-4, 1e-1, 10, 0.01


def _bump(log_lr: float, centre: float, width: float) -> float:
    return math.exp(-0.5 * ((log_lr - centre) / width) ** 2)


def _skewed(log_lr: float) -> float:
    """Slow rise while the rate is too small, faster fall once it is too large."""
    width = 0.8 if log_lr < -1.8 else 0.3
    return 0.1 + 0.8 * _bump(log_lr, -1.8, width)


# Accuracy-like landscapes over log10(lr) in [-4, -1]; 1-epoch noise sd 0.01.
LANDSCAPES: dict[str, Callable[[float], float]] = {
    # One smooth peak in the middle of the range.
    "peak": lambda g: 0.1 + 0.8 * _bump(g, -2.3, 0.6),
    # Underfitting on the left, instability on the right.
    "skewed": _skewed,
    # SGD's usual shape: better with larger rates until training diverges to
    # chance just above 0.03; the optimum sits on the cliff's edge.
    "cliff": lambda g: (0.1 + 0.8 / (1 + math.exp(-3.0 * (g + 2.8)))) if g < -1.5 else 0.1,
    # Two local optima: a wide one at small rates, the best one narrower and higher.
    "bimodal": lambda g: 0.1 + 0.6 * _bump(g, -3.4, 0.35) + 0.75 * _bump(g, -1.9, 0.25),
}

# A stress case outside the targets: a needle (a 0.12-decade ridge worth +0.02)
# beside a broad plateau. Learning-rate curves do not look like this; it shows
# what model-based search gives up against random search on a needle.
STRESS: dict[str, Callable[[float], float]] = {
    "needle (stress)": lambda g: 0.1 + 0.6 * _bump(g, -2.5, 0.9) + 0.25 * _bump(g, -1.6, 0.12),
}


def true_optimum(f: Callable[[float], float]) -> float:
    grid = np.linspace(math.log10(LR_MIN), math.log10(LR_MAX), 200_001)
    return max(f(g) for g in grid)


def make_oracles(seed: int) -> dict[str, Callable[[], kt.Oracle]]:
    objective = kt.Objective("score", "max")
    common = {"objective": objective, "max_trials": BUDGET, "seed": seed}
    return {
        "GPEIOracle (1 initial)": lambda: GPEIOracle(num_initial_points=1, **common),
        "KT Bayesian (default, 3 initial)": lambda: kt.oracles.BayesianOptimizationOracle(**common),
        "KT Bayesian (1 initial)": lambda: kt.oracles.BayesianOptimizationOracle(
            num_initial_points=1, **common
        ),
        "KT RandomSearch": lambda: kt.oracles.RandomSearchOracle(**common),
    }


def initial_points(oracle: kt.Oracle) -> int:
    if isinstance(oracle, GPEIOracle):
        return oracle.options.num_initial_points or 2
    if isinstance(oracle, kt.oracles.BayesianOptimizationOracle):
        return oracle.num_initial_points or 3
    return BUDGET  # random search: every suggestion is "initial"


RULE_NAMES = {"posterior": "best posterior mean", "recommendation": "recommendation"}


def run_search(oracle: kt.Oracle, f: Callable[[float], float], seed: int, workdir: str):
    """One search; returns ({rule: true value of the trial it keeps}, seconds per suggestion).

    Rules: "observed", the trial with the best noisy score (what Keras Tuner's
    get_best_trials keeps); for GPEIOracle also "posterior", the completed trial
    with the best GP posterior mean after the last evaluation, and
    "recommendation", the rate `DecisionView.recommend()` names (issue 13).
    """
    hps = kt.HyperParameters()
    hps.Float("learning_rate", LR_MIN, LR_MAX, sampling="log")
    oracle.hyperparameters = hps
    oracle._set_project_dir(workdir, "bench")
    oracle.verbose = 0
    noise = np.random.default_rng(seed + 1).normal(scale=NOISE, size=BUDGET)
    observed, truth, seconds = [], [], []
    for i in range(BUDGET):
        start = time.perf_counter()
        trial = oracle.create_trial("bench")
        elapsed = time.perf_counter() - start
        if trial.status != "RUNNING":
            break
        if i >= initial_points(oracle):
            seconds.append(elapsed)
        g = math.log10(trial.hyperparameters.values["learning_rate"])
        truth.append(f(g))
        observed.append(truth[-1] + noise[i])
        oracle.update_trial(trial.trial_id, {"score": observed[-1]})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    kept = {"observed": truth[int(np.argmax(observed))]}
    if isinstance(oracle, GPEIOracle):
        view = oracle.decision_view()
        kept["posterior"] = truth[int(np.argmax(view.obs_mean))]
        kept["recommendation"] = f(math.log10(view.recommend().value))
    return kept, seconds


def warm_up(workdir: str) -> float:
    """Runs one short GPEI search so TensorFlow traces its graphs; returns seconds."""
    start = time.perf_counter()
    run_search(
        GPEIOracle(
            objective=kt.Objective("score", "max"), max_trials=3, num_initial_points=1, seed=0
        ),
        LANDSCAPES["peak"],
        0,
        os.path.join(workdir, "warm"),
    )
    kt_bo = kt.oracles.BayesianOptimizationOracle(
        objective=kt.Objective("score", "max"), max_trials=4, num_initial_points=1, seed=0
    )
    run_search(kt_bo, LANDSCAPES["peak"], 0, os.path.join(workdir, "warm_kt"))
    return time.perf_counter() - start


def main() -> None:
    # scikit-learn warns on every fit whose length scale reaches its bound.
    warnings.filterwarnings("ignore", module="sklearn")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=25, help="searches per landscape")
    parser.add_argument("--out", help="also write the raw results as JSON here")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        warm = warm_up(workdir)
        print(f"warm-up (TensorFlow tracing + first fits): {warm:.1f} s", file=sys.stderr)
        for name, f in {**LANDSCAPES, **STRESS}.items():
            best = true_optimum(f)
            for index in range(1, args.seeds + 1):
                # Keras Tuner's RandomSearch draws sample i with seed `seed + i`,
                # so consecutive seeds would replay one sequence: space them out.
                seed = 1000 * index
                for label, factory in make_oracles(seed).items():
                    workdir_run = os.path.join(workdir, f"{name}-{seed}-{len(results)}-{label}")
                    kept, seconds = run_search(factory(), f, seed, workdir_run)
                    for rule, value in kept.items():
                        key = label if rule == "observed" else f"{label}, {RULE_NAMES[rule]}"
                        row = results.setdefault(name, {}).setdefault(key, {"regret": [], "s": []})
                        row["regret"].append(best - value)
                        row["s"].extend(seconds)
            print(f"done: {name}", file=sys.stderr)
    print_table(results, args.seeds)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle)


def print_table(results: dict, seeds: int) -> None:
    print(f"Budget {BUDGET} evaluations, {seeds} seeds per landscape, noise sd {NOISE}.\n")
    print("| landscape | oracle | mean regret | median regret | median ms / suggestion |")
    print("|---|---|---:|---:|---:|")
    for name, rows in results.items():
        for label, row in rows.items():
            ms = f"{1000 * statistics.median(row['s']):.1f}" if row["s"] else "n/a"
            print(
                f"| {name} | {label} | {statistics.mean(row['regret']):.4f} "
                f"| {statistics.median(row['regret']):.4f} | {ms} |"
            )
    print("\nThe four target landscapes together (the stress case left out):\n")
    print("| oracle | mean regret | median ms / suggestion |")
    print("|---|---:|---:|")
    targets = [rows for name, rows in results.items() if name in LANDSCAPES]
    for label in targets[0]:
        regrets = [r for rows in targets for r in rows[label]["regret"]]
        times = [s for rows in targets for s in rows[label]["s"]]
        ms = f"{1000 * statistics.median(times):.1f}" if times else "n/a"
        print(f"| {label} | {statistics.mean(regrets):.4f} | {ms} |")


if __name__ == "__main__":
    main()
