"""Which learning rate to recommend after a search, and how often its range holds the truth.

Issue 13's measurement. Searches of the task's shape (10 evaluations, 1 initial
point, learning rate in [1e-4, 1e-1], GPEIOracle at its defaults) are replayed on
measured landscapes (bench/lr_tables.json): an evaluation sees one training seed's
curve, drawn at random; the truth is the mean over seeds. After each search six
rules pick a rate: the best noisy trial (Keras Tuner's rule); the best posterior
mean over the dense grid, and within the tried span; the tried rate with the best
posterior mean; the tried rate with the best noisy score inside the model's range
(the recommendation's rule); the best noisy trial if inside the range. Reported
per rule: mean and median regret (true best minus the truth at the pick), and for
the spread of the picks across searches (SD of log10 rate), and for
the range (posterior mean within one noise SD of the model's best) how often it
holds the true best rate and how wide it is.

Run: .venv/bin/python bench/bench_recommend.py [--seeds 20] [--tables default-r16 ...]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_tuner as kt
import numpy as np
from bench_suite import kt_space, run_kt
from problems import Problem, lr_table, measured

from kt_lrsearch import GPEIOracle
from kt_lrsearch.core import recommendation

RULES = (
    "best noisy trial",
    "best posterior mean, grid",
    "grid within the tried rates",
    "best posterior mean, tried",
    "best noisy trial in range (kept)",
    "best noisy trial if in range",
)


def one_search(problem: Problem, seed: int, workdir: str) -> dict[str, object]:
    """Runs one search; returns each rule's pick and the grid rule's range."""
    oracle = GPEIOracle(
        objective=kt.Objective("score", "max"),
        max_trials=problem.budget,
        num_initial_points=1,
        seed=seed,
        hyperparameters=kt_space(problem.specs),
    )
    run_kt(oracle, problem, seed, workdir)  # the suite's protocol loop and observations
    view = oracle.decision_view()
    # The best observed score (get_best_trials now hands back the kept rule's pick).
    noisy = view.obs_values[view.best_index]["lr"]
    ok = np.asarray(view.obs_status) == "COMPLETED"

    def pick(rule: str, within: bool) -> recommendation.Recommendation:
        return recommendation.recommend(
            view.grid,
            view.mean,
            view.noise_sd,
            view.obs_x,
            view.obs_mean,
            ok,
            direction="max",
            rule=rule,
            within_tried=within,
        )

    grid, inside = pick(recommendation.GRID, False), pick(recommendation.GRID, True)
    tried = pick(recommendation.TRIED, True)
    measured = view.recommend(recommendation.MEASURED)
    # A variant not kept: the best noisy trial when it lies in the range, else the grid's.
    trusted = noisy if inside.low <= noisy <= inside.high else inside.value
    return {
        "picks": [noisy, grid.value, inside.value, tried.value, measured.value, trusted],
        "range": (inside.low, inside.high),
        "at_bound": inside.at_bound,
    }


def table_row(name: str, seeds: int) -> str:
    problem = lr_table(name)
    table = measured()
    grid = np.asarray(table[name].get("grid", table["grid"]))
    true_best = float(grid[int(np.argmax(np.mean(table[name]["val_accuracy"], axis=0)))])
    regrets: list[list[float]] = [[] for _ in RULES]
    picks: list[list[float]] = [[] for _ in RULES]
    covered, widths, bounds = 0, [], 0
    for k in range(1, seeds + 1):
        with tempfile.TemporaryDirectory() as workdir:
            out = one_search(problem, 1000 * k, workdir)
        for r, pick in enumerate(out["picks"]):
            regrets[r].append(problem.optimum - problem.score({"lr": pick}))
            picks[r].append(math.log10(pick))
        low, high = out["range"]
        covered += low * (1 - 1e-9) <= true_best <= high * (1 + 1e-9)
        widths.append(math.log10(high / low))
        bounds += out["at_bound"] is not None
    cells = [
        f"{statistics.mean(r):.4f} ({statistics.median(r):.4f}) ±{statistics.stdev(p):.2f}"
        for r, p in zip(regrets, picks, strict=True)
    ]
    return (
        f"| {name} | " + " | ".join(cells) + f" | {covered}/{seeds} | "
        f"{statistics.mean(widths):.2f} | {bounds}/{seeds} |"
    )


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--tables",
        nargs="*",
        default=[
            "default-r16",
            "resnet-e1-b128",
            "resnet-e1-b32",
            "resnet-e3-b128",
            "small-e1-b64",
        ],
    )
    args = parser.parse_args()
    print(
        f"\nmean (median) regret of each rule's pick, and the SD of log10(pick) across "
        f"searches, {args.seeds} searches per table\n"
    )
    print(
        "| table | " + " | ".join(RULES) + " | range holds the true best | "
        "range width (decades) | at a bound |"
    )
    print("|---|" + "---:|" * (len(RULES) + 3))
    for name in args.tables:
        print(table_row(name, args.seeds), flush=True)


if __name__ == "__main__":
    main()
