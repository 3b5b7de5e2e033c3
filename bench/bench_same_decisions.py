"""The 1-D benchmark's GPEIOracle searches on two checkouts: the same numbers, or not.

Runs bench_oracle's GPEIOracle searches (five landscapes, 25 seeds 1000 apart,
budget 10, the same noise draws) once with another checkout's package (default
1590ad1) and once with this one, each in its own process, and compares every
search's regret under the three rules (observed best, best posterior mean,
recommendation) and every proposed rate.

    .venv/bin/python bench/bench_same_decisions.py [--before REF] [--seeds 25] [--warm-start]
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def earlier_pairs(f, shift: float) -> list[tuple[dict[str, float], float]]:
    """Eight trials of a related earlier search: the landscape moved by ``shift`` decades."""
    rates = [10.0 ** (-4 + 3 * k / 7) for k in range(8)]
    return [({"learning_rate": r}, f(math.log10(r) - shift)) for r in rates]


def searches(seeds: int, warm: bool = False) -> dict[str, list]:
    """{landscape: [(regrets by rule, proposed rates)] per seed} with the imported package.

    With ``warm``, each search is warm-started from :func:`earlier_pairs` (0.3 decades).
    """
    import bench_oracle as bo
    import keras_tuner as kt

    from kt_lrsearch import GPEIOracle

    out: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as workdir:
        # The GP's graph once, before any counted search (bench_oracle.warm_up also
        # warms Keras Tuner's Bayesian oracle, which needs scikit-learn).
        warm_up = GPEIOracle(objective=kt.Objective("score", "max"), max_trials=3, seed=0)
        bo.run_search(warm_up, bo.LANDSCAPES["peak"], 0, f"{workdir}/warm")
        for name, f in {**bo.LANDSCAPES, **bo.STRESS}.items():
            best = bo.true_optimum(f)
            for index in range(1, seeds + 1):
                seed = 1000 * index
                oracle = GPEIOracle(
                    objective=kt.Objective("score", "max"),
                    max_trials=bo.BUDGET,
                    seed=seed,
                    num_initial_points=1,
                    warm_start=[earlier_pairs(f, 0.3)] if warm else (),
                )
                kept, _ = bo.run_search(oracle, f, seed, f"{workdir}/{name}-{seed}")
                rates = [
                    t.hyperparameters.values["learning_rate"]
                    for t in sorted(oracle.trials.values(), key=lambda t: int(t.trial_id))
                ]
                regrets = {rule: best - value for rule, value in kept.items()}
                out.setdefault(name, []).append((regrets, rates))
    return out


def run(tree: pathlib.Path, seeds: int, warm: bool) -> dict[str, list]:
    code = (
        f"import sys; sys.path.insert(0, {str(tree)!r}); import kt_lrsearch; "
        f"sys.path.insert(1, {str(ROOT / 'bench')!r}); import json, bench_same_decisions as b; "
        f"print(json.dumps(b.searches({seeds}, {warm})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="1590ad1")
    parser.add_argument("--seeds", type=int, default=25)
    parser.add_argument("--warm-start", action="store_true", help="warm-started searches")
    args = parser.parse_args()
    tree = pathlib.Path(tempfile.mkdtemp(prefix="kt-before-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.before],
        check=True,
        capture_output=True,
    )
    try:
        before = run(tree, args.seeds, args.warm_start)
        after = run(ROOT, args.seeds, args.warm_start)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
    print("| landscape | rule | mean regret before | after | max abs difference |")
    print("|---|---|---:|---:|---:|")
    worst_rate = 0.0
    for name in before:
        for rule in before[name][0][0]:
            b = [run_[0][rule] for run_ in before[name]]
            a = [run_[0][rule] for run_ in after[name]]
            diff = max(abs(x - y) for x, y in zip(a, b, strict=True))
            print(
                f"| {name} | {rule} | {statistics.mean(b):.6f} | {statistics.mean(a):.6f} "
                f"| {diff:.1e} |"
            )
        for (_, rb), (_, ra) in zip(before[name], after[name], strict=True):
            assert len(ra) == len(rb), name
            worst_rate = max(worst_rate, *(abs(x / y - 1) for x, y in zip(ra, rb, strict=True)))
    print(f"\nlargest relative difference of a proposed rate: {worst_rate:.1e}")


if __name__ == "__main__":
    main()
