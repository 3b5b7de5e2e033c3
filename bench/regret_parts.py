"""Where a regret gap comes from: the search, the noisy choice, or the pick (issue 12).

For GPEIOracle and Keras Tuner's BayesianOptimizationOracle, each search of the
suite's protocol (bench_suite.py: same seeds, spaced 1000 apart, every option at
its default) is scored three ways on the problem's true (noise-free) values:

- ``searched``: the best true value among the evaluated points (what the search
  found, before any noisy choice);
- ``best observed``: the trial with the best noisy score;
- ``returned``: what ``get_best_trials(1)`` hands back (the suite's score).

``returned - searched`` is what choosing under noise cost; the paired differences
between the two oracles say which part of a gap is the search's.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/regret_parts.py --seeds 100 --problems lr-cliff-10
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

ORACLES = {"GPEIOracle": GPEIOracle, "KT Bayesian": kt.oracles.BayesianOptimizationOracle}
PARTS = ("searched", "best observed", "returned")


def parts(make: type, problem: suite.Problem, seed: int) -> tuple[float, float, float]:
    """(searched, best observed, returned) regrets of one search."""
    oracle = make(
        objective=kt.Objective("score", "max"),
        max_trials=problem.budget,
        seed=seed,
        hyperparameters=suite.kt_space(problem.specs),
    )
    with tempfile.TemporaryDirectory() as workdir:
        best_observed, _ = suite.run_kt(oracle, problem, seed, workdir)
        truths = [problem.score(t.hyperparameters.values) for t in oracle.trials.values()]
        returned = problem.score(oracle.get_best_trials(1)[0].hyperparameters.values)
    return tuple(problem.optimum - v for v in (max(truths), best_observed, returned))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--problems", nargs="+", required=True, choices=sorted(suite.NAMED))
    args = parser.parse_args()
    seeds = [1000 * (k + 1) for k in range(args.seeds)]
    print(f"| problem | part | {' | '.join(ORACLES)} | GPEIOracle - KT Bayesian |")
    print("|---|---|---:|---:|---:|")
    for name in args.problems:
        runs = {
            label: np.array([parts(make, suite.NAMED[name], s) for s in seeds])
            for label, make in ORACLES.items()
        }
        for i, part in enumerate(PARTS):
            a, b = (runs[label][:, i] for label in ORACLES)
            mean, se = suite.paired_difference(a.tolist(), b.tolist())
            print(
                f"| {name} | {part} | {a.mean():.4g} | {b.mean():.4g} | {mean:+.2g} +- {se:.2g} |"
            )


if __name__ == "__main__":
    main()
