"""How much can an earlier search's optimum tell the next one? (issue 15, no search run)

For each pair of bench_warm_start.py, with no search at all: the earlier table's
true best rate (mean over training seeds, on a fine grid), moved by the batch
ratio as the warm start moves it (the linear scaling rule), and two regrets on
the new table:

- *at the transferred optimum*: the truth there, what a warm start that trusted
  the earlier search completely would find;
- *5 points around it*: a fixed design of 5 rates evenly spread over the
  transferred optimum +- SPREAD decades (slid inside [1e-4, 1e-1]), each observed
  once as bench_warm_start.py observes (one training seed's curve), the best
  observed kept: an idealised warm search of 5 evaluations that knows only where
  the earlier optimum was and how far the relation moves it.

Set against cold search with 10 evaluations in docs/benchmarks.md, these say how
much room a warm start has on each pair. SPREAD, the size of the scaling rule's
error on the measured tables (0.15-0.25 decade), is read off those same tables:
this is a description of the pairs, not a method.

Run: .venv/bin/python bench/warm_start_ceiling.py
"""

from __future__ import annotations

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from bench_warm_start import BLIND, BLIND_3, FRESH, HELD_OUT, PAIRS, batch_factor
from problems import Problem, lr_table

SPREAD = 0.3
DRAWS = 20_000
LOW, HIGH = -4.0, -1.0  # log10 of the rate's range


def transferred_optimum(earlier: str, new: str, mirrored: bool) -> float:
    """log10 of the earlier table's true best rate, times the batch ratio, clipped."""
    table = lr_table(earlier, reverse=mirrored)
    fine = np.linspace(LOW, HIGH, 601)
    best = fine[int(np.argmax([table.score({"lr": 10**g}) for g in fine]))]
    return float(np.clip(best + math.log10(batch_factor(earlier, new)), LOW, HIGH))


def design_regret(table: Problem, centre: float, rng: np.random.Generator) -> float:
    """Mean regret of the best observed of 5 evenly spread rates around ``centre``."""
    start = min(max(centre - SPREAD, LOW), HIGH - 2 * SPREAD)
    rates = [10**g for g in np.linspace(start, start + 2 * SPREAD, 5)]
    truth = np.array([table.score({"lr": r}) for r in rates])
    regrets = []
    for _ in range(DRAWS):
        observed = [table.observe({"lr": r}, rng.random()) for r in rates]
        regrets.append(table.optimum - truth[int(np.argmax(observed))])
    return float(np.mean(regrets))


def main() -> None:
    rng = np.random.default_rng(1000)
    print("| pair | half | transferred optimum, log10(lr) | regret there | 5 points around it |")
    print("|---|---|---:|---:|---:|")
    halves = (
        ("issue's", PAIRS),
        ("held out", HELD_OUT),
        ("fresh", FRESH),
        ("blind", BLIND),
        ("third blind", BLIND_3),
    )
    for half, pairs in halves:
        for label, earlier, new, mirrored in pairs:
            centre, table = transferred_optimum(earlier, new, mirrored), lr_table(new)
            there = table.optimum - table.score({"lr": 10**centre})
            print(
                f"| {label} | {half} | {centre:+.2f} | {there:.4f} "
                f"| {design_regret(table, centre, rng):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
