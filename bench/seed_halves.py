"""GPEIOracle minus the best other peer over slices of the seeds of a ``--per-seed`` run.

``bench_suite.py --seeds 40 --per-seed`` prints every peer's regret per seed; this
repeats its "GPEIOracle - best peer" column over all seeds and over consecutive
blocks of them (default 20), so a run extended to more seeds shows whether a
difference holds in each block (the best peer can differ between blocks).

    .venv/bin/python bench/seed_halves.py tune.txt held.txt [--block 20]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_suite import versus_best_peer
from pair_runs import per_seed_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="outputs of bench_suite.py --per-seed")
    parser.add_argument("--block", type=int, default=20, help="seeds per block")
    args = parser.parse_args()
    for path in args.runs:
        for problem, regrets in per_seed_records(path):
            seeds = len(regrets["GPEIOracle"])
            blocks = [slice(start, start + args.block) for start in range(0, seeds, args.block)]
            cells = [
                versus_best_peer({n: r[block] for n, r in regrets.items()})
                for block in [slice(0, seeds), *blocks]
            ]
            print(f"| {problem} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
