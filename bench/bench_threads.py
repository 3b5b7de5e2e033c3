"""Milliseconds per suggestion on a busy machine: the decision's thread bound, before/after.

Two CPU-bound processes (busy loops) run for the whole measurement, as a training
model or a neighbour would. Each measured process drives a 4-D GPEIOracle through
Keras Tuner's protocol (create_trial -> update_trial -> end_trial, no training)
for TRIALS trials and times every create_trial after the initial design, in the
default environment (no OMP_NUM_THREADS). "before" is another checkout (by
default 1590ad1, before the bound), "after" this one, and "after, threads=None"
this one with the machine's pools (what the bound alone buys); rounds alternate
so all see the same load.

    .venv/bin/python bench/bench_threads.py                  # before = 1590ad1
    .venv/bin/python bench/bench_threads.py --before HEAD~3 --rounds 4
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRIALS = 30
DIM = 4
SEEDS = (1000, 2000, 3000, 4000)


def measure(seed: int, unbounded: bool = False) -> list[float]:
    """ms of each model-based create_trial of one 4-D search (run in a child process).

    ``unbounded``: ``threads=None`` (the machine's pools), on a tree that has the option.
    """
    import keras_tuner as kt
    import numpy as np

    from kt_lrsearch import GPEIOracle

    hps = kt.HyperParameters()
    for i in range(DIM):
        hps.Float(f"x{i}", 0.0, 1.0)
    extra = {"threads": None} if unbounded else {}
    oracle = GPEIOracle(
        objective=kt.Objective("score", "max"),
        hyperparameters=hps,
        max_trials=TRIALS,
        seed=seed,
        **extra,
    )
    oracle._set_project_dir(tempfile.mkdtemp(), "threads")
    times = []
    for i in range(TRIALS):
        start = time.perf_counter()
        trial = oracle.create_trial(f"tuner{i}")
        elapsed = time.perf_counter() - start
        if i > DIM + 1:  # after the initial design and the first (graph-building) fit
            times.append(1000 * elapsed)
        x = np.array([trial.hyperparameters.values[f"x{j}"] for j in range(DIM)])
        score = -float(np.sum((x - 0.3) ** 2)) + 0.1 * float(np.sin(9 * x).sum())
        oracle.update_trial(trial.trial_id, {"score": score})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return times


def run_child(tree: pathlib.Path, seed: int, unbounded: bool = False) -> list[float]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env |= {"PYTHONPATH": str(tree), "TF_CPP_MIN_LOG_LEVEL": "3"}
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); "
        f"sys.path.insert(1, {str(ROOT / 'bench')!r}); import bench_threads, json; "
        f"print(json.dumps(bench_threads.measure({seed}, {unbounded})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def checkout(ref: str) -> pathlib.Path:
    tree = pathlib.Path(tempfile.mkdtemp(prefix="kt-before-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
        check=True,
        capture_output=True,
    )
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="1590ad1")
    parser.add_argument("--rounds", type=int, default=len(SEEDS))
    args = parser.parse_args()
    before = checkout(args.before)
    load = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    results: dict[str, list[float]] = {"before": [], "after": [], "after, threads=None": []}
    runs = (("before", before, False), ("after", ROOT, False), ("after, threads=None", ROOT, True))
    try:
        for seed in SEEDS[: args.rounds]:
            for name, tree, unbounded in runs:
                times = run_child(tree, seed, unbounded)
                results[name] += times
                print(f"seed {seed} {name}: median {statistics.median(times):.0f} ms", flush=True)
    finally:
        for process in load:
            process.kill()
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)],
            check=False,
            capture_output=True,
        )
    for name, times in results.items():
        q = statistics.quantiles(times, n=10)
        print(
            f"{name}: {len(times)} suggestions, median {statistics.median(times):.0f} ms, "
            f"p10 {q[0]:.0f}, p90 {q[-1]:.0f}, max {max(times):.0f}"
        )


if __name__ == "__main__":
    main()
