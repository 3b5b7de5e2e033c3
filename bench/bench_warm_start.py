"""Warm start (issue 15): does an earlier, related search make the next one cheaper?

Pairs of measured learning-rate landscapes (bench/lr_tables.json, 3 training
seeds each): the earlier task and the new one differ in epochs, batch size,
training images or network width; an unrelated pair mirrors the new landscape in
log10(lr). Per pair and seed: a cold GPEIOracle search of 10 evaluations on the
earlier landscape (its trials are what a user would pass as --warm-start), then
on the new landscape a warm-started search of 5 evaluations and cold searches of
5 and 10. Regret: the new landscape's true best (mean over seeds) minus the truth
at the search's answer, scored twice: the best observed trial (Keras Tuner's
rule) and the recommendation ``cli.py search`` reports (issue 13's rule: the best
measured trial inside the model's range, from the same GP the warm start
informs), which ``GPEIOracle.get_best_trials`` now hands back when it is a
tried rate. Seeds 1000 apart; the earlier search uses seed + 500.

When the two tables were measured at different batch sizes the earlier rates are
multiplied by new / earlier batch size (``warm_start.Rescaled``, the linear
scaling rule), as ``cli.py search --warm-start`` does; ``--no-scaling`` measures
without. The second table's pairs (the first's reversed, and a batch pair of the
smaller network) are held out: choices were made on the first, and the held-out
pairs only checked them (several times over the sessions, so they are no longer
blind). ``--half fresh``: pairs with tables measured after every choice was made
(``FRESH``). They chose nothing, but the two-task model was run on them twice (once
per scale grid), so they are no longer blind either. ``--half blind``: a second
fresh set (``BLIND``), its pairs written down before its four new tables were
measured; run once, on the kept two-task model (with and without the scaling
rule), and used to choose nothing. ``--half blind-3``: a third set (``BLIND_3``),
written down the same way, on the wider network.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/bench_warm_start.py [--seeds 20] [--half issue]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_tuner as kt
from bench_suite import kt_space, paired_difference, run_kt
from problems import Problem, lr_table, measured

from kt_lrsearch import GPEIOracle
from kt_lrsearch.tuning.warm_start import Rescaled

# (label, earlier table, new table, mirror the earlier one)
PAIRS = [
    ("1 vs 3 epochs", "resnet-e1-b128", "resnet-e3-b128", False),
    ("batch 32 vs 128", "resnet-e1-b32", "resnet-e1-b128", False),
    ("800 vs 2,755 images", "resnet-e1-b128-n800", "resnet-e1-b128", False),
    ("narrower vs wider", "small-e1-b128", "resnet-e1-b128", False),
    ("unrelated: mirrored", "resnet-e1-b128", "resnet-e1-b128", True),
]
HELD_OUT = [
    ("3 vs 1 epochs", "resnet-e3-b128", "resnet-e1-b128", False),
    ("batch 128 vs 32", "resnet-e1-b128", "resnet-e1-b32", False),
    ("2,755 vs 800 images", "resnet-e1-b128", "resnet-e1-b128-n800", False),
    ("wider vs narrower", "resnet-e1-b128", "small-e1-b128", False),
    ("batch 64 vs 128, narrower", "small-e1-b64", "small-e1-b128", False),
    ("unrelated: mirrored, batch 32", "resnet-e1-b32", "resnet-e1-b32", True),
]
# Tables measured after every warm-start choice was made (the narrower network at
# batch 64 and partners); they chose nothing, but have been seen three times.
FRESH = [
    ("1 vs 3 epochs, narrower, batch 64", "small-e1-b64", "small-e3-b64", False),
    ("batch 32 vs 64, narrower", "small-e1-b32", "small-e1-b64", False),
    ("800 vs 2,755 images, narrower, batch 64", "small-e1-b64-n800", "small-e1-b64", False),
    ("narrower vs wider, batch 64", "small-e1-b64", "resnet-e1-b64", False),
    ("unrelated: mirrored, batch 64", "resnet-e1-b64", "resnet-e1-b64", True),
]
# A second blind set, written down before its four new tables were measured
# (bench_lr_tables.py: small-e2-b32, small-e1-b16, small-e1-b32-n800, wide-e1-b32).
BLIND = [
    ("1 vs 2 epochs, narrower, batch 32", "small-e1-b32", "small-e2-b32", False),
    ("batch 16 vs 32, narrower", "small-e1-b16", "small-e1-b32", False),
    ("800 vs 2,755 images, narrower, batch 32", "small-e1-b32-n800", "small-e1-b32", False),
    ("narrower vs wider, batch 32", "small-e1-b32", "wide-e1-b32", False),
    ("unrelated: mirrored, 2 epochs", "small-e2-b32", "small-e2-b32", True),
]
# A third blind set, on the wider 32-64 network, written down before its three new
# tables were measured (wide-e2-b32, wide-e1-b64, wide-e1-b32-n800).
BLIND_3 = [
    ("1 vs 2 epochs, wider, batch 32", "wide-e1-b32", "wide-e2-b32", False),
    ("batch 32 vs 64, wider", "wide-e1-b32", "wide-e1-b64", False),
    ("800 vs 2,755 images, wider, batch 32", "wide-e1-b32-n800", "wide-e1-b32", False),
    ("narrower vs wider, batch 64", "small-e1-b64", "wide-e1-b64", False),
    ("unrelated: mirrored, wider, 2 epochs", "wide-e2-b32", "wide-e2-b32", True),
]


def batch_factor(earlier: str, new: str) -> float:
    """New over earlier batch size: the linear scaling rule's factor for the rates."""
    tables = measured()
    return tables[new]["batch_size"] / tables[earlier]["batch_size"]


ANSWERS = ("best observed trial", "recommendation")


def search(problem: Problem, seed: int, warm: list | None = None) -> tuple[dict, list, float]:
    """({answer: truth there} for ANSWERS, [(values, observed score)], P(related)) of one search.

    P(related) is what the warm-started model ends with (results.json's
    ``warm_start_relation``); NaN for a cold search.
    """
    oracle = GPEIOracle(
        objective=kt.Objective("score", "max"),
        max_trials=problem.budget,
        num_initial_points=1,
        seed=seed,
        hyperparameters=kt_space(problem.specs),
        warm_start=[warm] if warm else (),
    )
    with tempfile.TemporaryDirectory() as workdir:
        best, _ = run_kt(oracle, problem, seed, workdir)
    pairs = [(dict(t.hyperparameters.values), t.score) for t in oracle.trials.values()]
    view = oracle.decision_view()
    recommended = view.recommend()
    assert recommended is not None, "a finished 1-D search always has a recommendation"
    truths = dict(zip(ANSWERS, (best, problem.score({"lr": recommended.value})), strict=True))
    relation = view.relation
    return truths, pairs, relation.probability if relation else float("nan")


def pair_rows(
    label: str, earlier: str, new: str, mirrored: bool, seeds: int, scaling: bool = True
) -> dict[str, str]:
    """One table row per answer in ANSWERS for one pair of landscapes."""
    source = lr_table(earlier, 10, reverse=mirrored)
    factor = batch_factor(earlier, new) if scaling else 1.0
    targets = {budget: lr_table(new, budget) for budget in (5, 10)}
    runs = (("warm 5", 5, True), ("cold 5", 5, False), ("cold 10", 10, False))
    regrets = {answer: {name: [] for name, _, _ in runs} for answer in ANSWERS}
    related = []
    for k in range(1, seeds + 1):
        _, pairs, _ = search(source, 1000 * k + 500)
        pairs = Rescaled(pairs, {"lr": factor}) if factor != 1.0 else pairs
        for name, budget, warm in runs:
            truths, _, probability = search(targets[budget], 1000 * k, pairs if warm else None)
            related += [probability] if warm else []
            for answer, truth in truths.items():
                regrets[answer][name].append(targets[budget].optimum - truth)
    head = f"| {label} | {earlier}{' mirrored' if mirrored else ''} -> {new} | "
    rows = {}
    for answer, by_run in regrets.items():
        cells = [f"{statistics.mean(r):.4f} ({statistics.median(r):.4f})" for r in by_run.values()]
        cells += [paired(by_run["warm 5"], by_run[cold]) for cold in ("cold 5", "cold 10")]
        cells.append(f"{statistics.mean(related):.2f}")
        rows[answer] = head + " | ".join(cells) + " |"
    return rows


def paired(warm: list[float], cold: list[float]) -> str:
    """Mean of the per-seed differences warm - cold, +- their standard error."""
    mean, se = paired_difference(warm, cold)
    return f"{mean:+.4f} +- {se:.4f}"


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--no-scaling",
        action="store_true",
        help="do not rescale earlier rates by the batch-size ratio",
    )
    parser.add_argument(
        "--half", default="both", choices=("issue", "held-out", "fresh", "blind", "blind-3", "both")
    )
    args = parser.parse_args()
    halves = {
        "issue": [("the issue's pairs", PAIRS)],
        "held-out": [("held out", HELD_OUT)],
        "fresh": [("fresh pairs", FRESH)],
        "blind": [("blind pairs", BLIND)],
        "blind-3": [("third blind set", BLIND_3)],
    }
    halves["both"] = halves["issue"] + halves["held-out"]
    for title, pairs in halves[args.half]:
        rows = [pair_rows(*pair, args.seeds, scaling=not args.no_scaling) for pair in pairs]
        for answer in ANSWERS:
            print(f"\n{title}, regret at the {answer}: mean (median) over {args.seeds} seeds\n")
            print(
                "| pair | tables | warm start, 5 evaluations | cold, 5 | cold, 10 "
                "| warm - cold 5 | warm - cold 10 | P(related) after 5 |"
            )
            print("|---|---|---:|---:|---:|---:|---:|---:|")
            print("\n".join(row[answer] for row in rows), flush=True)


if __name__ == "__main__":
    main()
