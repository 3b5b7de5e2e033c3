"""GPEIOracle's regrets from a newer run beside the peers' from an older one (same seeds).

A change to GPEIOracle is measured by running only GPEIOracle (``bench_suite.py
--peers GPEIOracle --per-seed``); every other peer's regret is a function of the
seed alone, so its numbers from an earlier ``--per-seed`` run of the same seeds
still hold (a run of the other peers alone, ``--peers "Optuna GPSampler" ...``,
serves too). This prints the suite's table (mean regret of every peer, and
GPEIOracle minus the best other peer, paired per seed) with GPEIOracle's column
taken from the newer run, for the problems both runs have.

    .venv/bin/python bench/merge_runs.py --gpei new.txt old_tune.txt old_held.txt
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pair_runs import per_seed, per_seed_records


def merged(peers: list[str], gpei: str) -> list[tuple[str, dict[str, list[float]]]]:
    """(problem, regrets) with GPEIOracle's regrets replaced by ``gpei``'s, same seeds."""
    new = per_seed(gpei, "GPEIOracle")
    out = []
    for path in peers:
        for problem, regrets in per_seed_records(path):
            if problem not in new:
                continue
            seeds = len(next(iter(regrets.values())))
            if len(new[problem]) != seeds:
                raise SystemExit(
                    f"{problem}: {len(new[problem])} seeds in {gpei}, {seeds} in {path}"
                )
            others = {name: r for name, r in regrets.items() if name != "GPEIOracle"}
            out.append((problem, {"GPEIOracle": new[problem], **others}))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("peers", nargs="+", help="earlier --per-seed runs with every peer")
    parser.add_argument("--gpei", required=True, help="a newer GPEIOracle --per-seed run")
    args = parser.parse_args()
    from bench_suite import versus_best_peer  # after argparse: it imports TensorFlow

    rows = merged(args.peers, args.gpei)
    if not rows:
        raise SystemExit("no problem is in both the peers' runs and the GPEIOracle run")
    names = list(rows[0][1])
    print("| problem | " + " | ".join(names) + " | GPEIOracle - best peer |")
    print("|---|" + "---:|" * (len(names) + 1))
    for problem, regrets in rows:
        means = [f"{statistics.mean(regrets[name]):.4g}" for name in names]
        print(f"| {problem} | " + " | ".join(means) + f" | {versus_best_peer(regrets)} |")


if __name__ == "__main__":
    main()
