"""Paired differences between two ``bench_suite.py --per-seed`` runs (same seeds).

Each run prints one JSON line per problem with every peer's regret per seed; two
runs of the same seeds that differ in one thing (``--no-trend``, a ``--gpei``
option, another commit) are then paired per seed: mean of A - B +- its standard
error, negative = A better.

    .venv/bin/python bench/bench_suite.py --per-seed ... > a.txt
    .venv/bin/python bench/bench_suite.py --per-seed --no-trend ... > b.txt
    .venv/bin/python bench/pair_runs.py a.txt b.txt [--peer GPEIOracle]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def per_seed_records(path: str) -> list[tuple[str, dict[str, list[float]]]]:
    """(problem, {peer: regret per seed}) for each problem of a --per-seed run's output."""
    with open(path) as f:
        records = [json.loads(line) for line in f if line.startswith('{"problem"')]
    return [(record["problem"], record["regrets"]) for record in records]


def per_seed(path: str, peer: str) -> dict[str, list[float]]:
    """problem -> the peer's regret per seed, from a --per-seed run's output."""
    return {
        problem: regrets[peer] for problem, regrets in per_seed_records(path) if peer in regrets
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--peer", default="GPEIOracle")
    args = parser.parse_args()
    from bench_suite import paired_difference  # after argparse: it imports TensorFlow

    a, b = per_seed(args.a, args.peer), per_seed(args.b, args.peer)
    print(f"| problem | A: {args.a} | B: {args.b} | A - B (paired) |")
    print("|---|---:|---:|---:|")
    for problem in [p for p in a if p in b]:
        mean, se = paired_difference(a[problem], b[problem])
        print(
            f"| {problem} | {statistics.mean(a[problem]):.4g} | "
            f"{statistics.mean(b[problem]):.4g} | {mean:+.3g} +- {se:.2g} |"
        )


if __name__ == "__main__":
    main()
