"""Which trial a search should hand back: the luckiest score or the model's pick (issue 12).

Each GPEIOracle search of the suite's protocol (bench_suite.py: create_trial ->
update_trial -> end_trial, every option at its default, seeds 1000 apart) is
scored four ways, all on the problem's true (noise-free) values:

- ``best observed``: the trial with the best noisy score (Keras Tuner's rule);
- ``get_best_trials``: what ``GPEIOracle.get_best_trials(1)`` returns (in a 1-D
  numeric search the recommendation's trial, else the best score);
- ``best posterior mean``: the completed trial with the best GP posterior mean;
- ``contenders``: the best noisy score among completed trials whose posterior
  mean is within one noise SD of the best posterior mean at a trial;
- ``plausible``: the best posterior mean among completed trials whose noisy
  score is within 2 sqrt(2) noise SDs of the best noisy score (two scores'
  difference has SD sqrt(2) sigma: the trials the data cannot rule out).

Paired per seed (same searches), so the differences' standard errors are small.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/bench_best_trial.py --seeds 100 --problems ...
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bench_suite as suite
import keras_tuner as kt
import numpy as np

from kt_lrsearch import GPEIOracle
from kt_lrsearch.core import trial_rules

PROBLEMS = suite.NAMED
RULES = ("best observed", "get_best_trials", "best posterior mean", "contenders", "plausible")


def regrets(problem: suite.Problem, seed: int) -> list[float]:
    """Regret of each rule in ``RULES`` after one GPEIOracle search (as bench_suite runs it)."""
    with tempfile.TemporaryDirectory() as workdir:
        oracle = GPEIOracle(
            objective=kt.Objective("score", "max"),
            max_trials=problem.budget,
            seed=seed,
            hyperparameters=suite.kt_space(problem.specs),
        )
        truth_observed, _ = suite.run_kt(oracle, problem, seed, os.path.join(workdir, "gpei"))
        view = oracle.decision_view()
        kept = oracle.get_best_trials(1)[0].hyperparameters.values
    ok = np.asarray(view.obs_status) == trial_rules.OK
    frame = trial_rules.sign(view.direction) * view.obs_mean
    best_mean = np.flatnonzero(ok)[np.argmax(frame[ok])]
    close = np.flatnonzero(ok & (frame >= frame[best_mean] - view.noise_sd))
    scores = trial_rules.sign(view.direction) * view.obs_scores
    contender = close[np.argmax(scores[close])]
    near = np.flatnonzero(ok & (scores >= np.max(scores[ok]) - 2 * np.sqrt(2) * view.noise_sd))
    plausible = near[np.argmax(frame[near])]
    picks = [
        truth_observed,
        problem.score(kept),
        problem.score(view.obs_values[best_mean]),
        problem.score(view.obs_values[contender]),
        problem.score(view.obs_values[plausible]),
    ]
    return [problem.optimum - value for value in picks]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--problems", nargs="+", required=True, choices=sorted(PROBLEMS))
    args = parser.parse_args()
    print(
        f"\nmean regret over {args.seeds} seeds; the last column is get_best_trials minus "
        "best observed, paired: mean +- standard error\n"
    )
    print("| problem | " + " | ".join(RULES) + " | get_best_trials - best observed |")
    print("|---|" + "---:|" * (len(RULES) + 1))
    for name in args.problems:
        table = np.array([regrets(PROBLEMS[name], 1000 * k) for k in range(1, args.seeds + 1)])
        diff = table[:, 1] - table[:, 0]
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
        cells = " | ".join(f"{v:.4g}" for v in table.mean(axis=0))
        print(f"| {name} | {cells} | {diff.mean():+.2g} +- {se:.2g} |", flush=True)


if __name__ == "__main__":
    main()
