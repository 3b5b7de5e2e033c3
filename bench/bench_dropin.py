"""Drop-in cost: a tiny 2-D Keras Tuner search, each tuner in a whole process of its own.

The search a Keras Tuner user would run (issue 11): ``hp.Int("units", 4, 32)`` and
``hp.Float("learning_rate", 1e-4, 1e-1, sampling="log")``, 256 samples of 8
features, 2 epochs, 10 trials, objective val_accuracy. Four tuners, one process
each, one after another, for every seed (seeds 1000 apart; every tuner at its
defaults): a stock ``kt.Tuner`` with GPEIOracle (as the README showed), GPEITuner,
``kt.BayesianOptimization`` and ``kt.RandomSearch``. The parent times each whole
process (imports included); the child reports its own phases and, after the
search, the median milliseconds per suggestion of a fresh oracle right after a
``keras.utils.clear_session()`` (what Keras Tuner does before every build).

    .venv/bin/python bench/bench_dropin.py --seeds 3
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
VARIANTS = (
    "stock kt.Tuner + GPEIOracle",
    "GPEITuner",
    "kt.BayesianOptimization",
    "kt.RandomSearch",
)
MAX_TRIALS = 10


def child(variant: str, seed: int, directory: str) -> dict:
    started = time.perf_counter()
    import keras
    import keras_tuner as kt
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from kt_lrsearch import GPEIOracle, GPEITuner

    imported = time.perf_counter()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x @ rng.normal(size=8) + 0.3 * rng.normal(size=256) > 0).astype("float32")

    def build(hp: kt.HyperParameters) -> keras.Model:
        model = keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(hp.Int("units", 4, 32), activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        lr = hp.Float("learning_rate", 1e-4, 1e-1, sampling="log")
        model.compile(keras.optimizers.SGD(lr), "binary_crossentropy", metrics=["accuracy"])
        return model

    common = {"directory": directory, "project_name": "p", "overwrite": True}
    if variant == VARIANTS[0]:
        oracle = GPEIOracle(
            objective=kt.Objective("val_accuracy", "max"), max_trials=MAX_TRIALS, seed=seed
        )
        tuner = kt.Tuner(oracle=oracle, hypermodel=build, **common)
    else:
        kind = {
            VARIANTS[1]: GPEITuner,
            VARIANTS[2]: kt.BayesianOptimization,
            VARIANTS[3]: kt.RandomSearch,
        }[variant]
        tuner = kind(build, objective="val_accuracy", max_trials=MAX_TRIALS, seed=seed, **common)
    tuner.search(x, y, epochs=2, validation_split=0.25, verbose=0)
    searched = time.perf_counter()
    best = tuner.oracle.get_best_trials(1)[0]
    return {
        "import_s": imported - started,
        "search_s": searched - imported,
        "best": best.score,
        "trials": len(tuner.oracle.trials),
        "suggest_ms": suggestion_ms(variant, tuner, seed),
    }


def suggestion_ms(variant: str, tuner, seed: int) -> float | None:
    """Median ms of one suggestion from a fresh oracle given the finished trials."""
    import keras
    import keras_tuner as kt

    from kt_lrsearch import GPEIOracle

    if variant == VARIANTS[3]:
        return None
    times = []
    for _ in range(5):
        keras.utils.clear_session()
        if variant in VARIANTS[:2]:
            oracle = GPEIOracle(
                objective=kt.Objective("val_accuracy", "max"),
                max_trials=MAX_TRIALS + 1,
                seed=seed,
                hyperparameters=tuner.oracle.hyperparameters,
            )
        else:
            oracle = kt.oracles.BayesianOptimizationOracle(
                objective=kt.Objective("val_accuracy", "max"),
                max_trials=MAX_TRIALS + 1,
                seed=seed,
                hyperparameters=tuner.oracle.hyperparameters,
            )
        for trial in tuner.oracle.trials.values():
            oracle.trials[trial.trial_id] = trial
            oracle._record_values(trial)
        start = time.perf_counter()
        oracle.populate_space("next")
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as directory:
            print("RESULT " + json.dumps(child(args.child, args.seed, directory)))
        return
    rows: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for seed in [1000 * (k + 1) for k in range(args.seeds)]:
        for variant in VARIANTS:
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, __file__, "--child", variant, "--seed", str(seed)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            wall = time.perf_counter() - start
            line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
            rows[variant].append({"wall_s": wall, **json.loads(line[len("RESULT ") :])})
            print(f"seed {seed} {variant:28s} wall {wall:6.1f}s", flush=True)
    report(rows)


def report(rows: dict[str, list[dict]]) -> None:
    base = statistics.median(r["wall_s"] for r in rows[VARIANTS[2]])
    print(
        "\n| tuner | median wall s | vs KT BO | import s | search s | ms/suggestion "
        "after clear_session | mean best val_accuracy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, results in rows.items():
        wall = statistics.median(r["wall_s"] for r in results)
        ms = [r["suggest_ms"] for r in results if r["suggest_ms"] is not None]
        print(
            f"| {variant} | {wall:.1f} | {wall / base:.2f}x "
            f"| {statistics.median(r['import_s'] for r in results):.1f} "
            f"| {statistics.median(r['search_s'] for r in results):.1f} "
            f"| {f'{statistics.median(ms):.0f}' if ms else '-'} "
            f"| {statistics.mean(r['best'] for r in results):.3f} |"
        )


if __name__ == "__main__":
    main()
