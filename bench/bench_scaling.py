"""Milliseconds per suggestion as a search grows: GPEIOracle, Optuna's GPSampler, KT's BO.

For each method and space (1-D: a log-scaled learning rate; 6-D: six Floats in
[0, 1]) one child process walks n = 10, 25, 50, 100, 200, 400, 500 completed
trials. The trials up to each n are injected as completed trials with random
values (the same for every method), without paying a decision each; then
REPS real suggestions are timed (median and mean reported), each told its
score and kept before the next (so n grows by REPS within a step, and the
injection tops up to the next n).
Every method runs at its defaults, with the GP's one-time graph build before
the clock. The growth exponent is the slope of log(median ms) on log(n) from
n = 100 on; memory is the child's peak resident set at n = 500.

GPEIOracle is driven through Keras Tuner's ``populate_space``; the injected
trials go into ``oracle.trials`` and Keras Tuner's record of tried values, as
``end_trial`` would leave them. The long-search check (``--long``) instead runs
a 160-trial 1-D search through the whole protocol and reports how many
suggestions were model-based and where the last quarter landed.

    .venv/bin/python bench/bench_scaling.py                      # the table
    .venv/bin/python bench/bench_scaling.py --methods gpei --dims 6 --sizes 200,400
    .venv/bin/python bench/bench_scaling.py --amortised             # GPEI, whole refit steps
    .venv/bin/python bench/bench_scaling.py --long
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(
    len(sys.path) if os.environ.get("PYTHONPATH") else 0,
    str(ROOT),
)

SIZES = (10, 25, 50, 100, 200, 400, 500)
REPS = 8
SEED = 1000
LR_RANGE = (1e-4, 1e-1)


def objective(values: dict[str, float], dim: int) -> float:
    """A smooth score to maximise: a log-LR bump in 1-D, a tilted bowl in 6-D."""
    if dim == 1:
        u = math.log10(values["learning_rate"]) + 2.3
        return 0.9 - 0.05 * u * u + 0.01 * math.sin(7.0 * u)
    x = np.array([values[f"x{i}"] for i in range(dim)])
    return float(-np.sum((x - 0.3 - 0.08 * np.arange(dim)) ** 2) + 0.05 * np.sin(9 * x).sum())


def random_values(rng: np.random.Generator, dim: int) -> dict[str, float]:
    if dim == 1:
        lo, hi = LR_RANGE
        return {"learning_rate": float(lo * (hi / lo) ** rng.random())}
    return {f"x{i}": float(v) for i, v in enumerate(rng.random(dim))}


def kt_space(dim: int) -> Any:
    import keras_tuner as kt

    hps = kt.HyperParameters()
    if dim == 1:
        hps.Float("learning_rate", *LR_RANGE, sampling="log")
    else:
        for i in range(dim):
            hps.Float(f"x{i}", 0.0, 1.0)
    return hps


class KerasTunerDriver:
    """Injects completed trials into a Keras Tuner oracle and times ``populate_space``."""

    def __init__(self, method: str, dim: int) -> None:
        import keras_tuner as kt

        from kt_lrsearch import GPEIOracle
        from kt_lrsearch.core import gp

        objective_ = kt.Objective("score", "max")
        if method == "gpei":
            gp.warm_up(dim)
            self.oracle = GPEIOracle(objective=objective_, max_trials=10_000, seed=SEED)
        else:
            self.oracle = kt.oracles.BayesianOptimizationOracle(
                objective=objective_, max_trials=10_000, seed=SEED
            )
        self.oracle.hyperparameters = kt_space(dim)
        self.dim = dim
        self.count = 0

    def tell(self, values: dict[str, float]) -> None:
        from keras_tuner.engine import trial as trial_module

        trial_id = f"{self.count:05d}"
        hps = self.oracle.hyperparameters.copy()
        hps.values = dict(values)
        trial = trial_module.Trial(hps, trial_id=trial_id, status="COMPLETED")
        trial.metrics.register("score", direction="max")
        trial.metrics.update("score", objective(values, self.dim))
        trial.score, trial.best_step = trial.metrics.get_best_value("score"), 0
        self.oracle.trials[trial_id] = trial
        self.oracle.end_order.append(trial_id)
        key = self.oracle._compute_values_hash(hps.values)
        self.oracle._tried_so_far.add(key)
        self.oracle._id_to_hash[trial_id] = key
        self.count += 1

    def suggest(self) -> tuple[dict[str, float] | None, float]:
        start = time.perf_counter()
        result = self.oracle.populate_space(f"{self.count:05d}")
        elapsed = time.perf_counter() - start
        return result["values"], elapsed


class OptunaDriver:
    """Optuna's GPSampler at its defaults: ``add_trial`` to inject, ``ask``/``tell`` to time."""

    def __init__(self, dim: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.GPSampler(seed=SEED)
        )
        if dim == 1:
            dist = {"learning_rate": optuna.distributions.FloatDistribution(*LR_RANGE, log=True)}
        else:
            dist = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(dim)}
        self.distributions, self.dim = dist, dim

    def tell(self, values: dict[str, float]) -> None:
        trial = self.optuna.trial.create_trial(
            params=values, distributions=self.distributions, value=objective(values, self.dim)
        )
        self.study.add_trial(trial)

    def suggest(self) -> tuple[dict[str, float] | None, float]:
        start = time.perf_counter()
        trial = self.study.ask(self.distributions)
        elapsed = time.perf_counter() - start
        self.study.tell(trial, objective(trial.params, self.dim))
        return None, elapsed  # told already


def walk(method: str, dim: int, sizes: list[int]) -> dict[str, Any]:
    """(run in a child) median ms per suggestion at each n, and the peak RSS (MB)."""
    driver = OptunaDriver(dim) if method == "optuna" else KerasTunerDriver(method, dim)
    rng = np.random.default_rng(SEED + dim)
    medians, means, fallbacks = {}, {}, 0
    for n in sizes:
        while driver_count(driver) < n:
            driver.tell(random_values(rng, dim))
        times = []
        for _ in range(REPS):
            values, elapsed = driver.suggest()
            times.append(1000.0 * elapsed)
            if method != "optuna":
                if values is None:
                    values = random_values(rng, dim)
                driver.tell(values)
        medians[n], means[n] = statistics.median(times), statistics.fmean(times)
        if method == "gpei":
            fallbacks += int(driver.oracle.random_fallbacks)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"medians": medians, "means": means, "peak_mb": peak, "fallbacks": fallbacks}


def amortised(dim: int, sizes: list[int]) -> dict[str, Any]:
    """(run in a child) GPEIOracle's mean ms over one whole refit step from each n.

    From the first refit at or after n, every suggestion until the next: the
    step's one refit and the suggestions that reuse its hyperparameters, the
    cost a long search pays on average. Below the schedule's start every
    suggestion refits, so REPS suggestions are timed.
    """
    from kt_lrsearch.core import refit

    driver = KerasTunerDriver("gpei", dim)
    rng = np.random.default_rng(SEED + dim)
    means = {}
    for n in sizes:
        # Start at the first refit at or after n, so the step is a whole one.
        start = n
        while n >= refit.REFIT_EVERY_UNTIL and refit.hyperparameter_rows(start) != start:
            start += 1
        while driver.count < start:
            driver.tell(random_values(rng, dim))
        start_rows, times = refit.hyperparameter_rows(driver.count), []
        while len(times) < REPS or refit.hyperparameter_rows(driver.count) == start_rows:
            values, elapsed = driver.suggest()
            times.append(1000.0 * elapsed)
            driver.tell(values if values is not None else random_values(rng, dim))
            if n < refit.REFIT_EVERY_UNTIL and len(times) >= REPS:
                break
        means[n] = statistics.fmean(times)
    return {"means": means, "suggestions": len(times)}


def driver_count(driver: Any) -> int:
    return len(driver.study.trials) if isinstance(driver, OptunaDriver) else driver.count


def exponent(medians: dict[int, float]) -> float:
    """Slope of log(ms) on log(n) over n >= 100: ms ~ n^slope."""
    points = [(math.log(n), math.log(ms)) for n, ms in medians.items() if n >= 100]
    x, y = np.array(points).T
    return float(np.polyfit(x, y, 1)[0])


def long_search(trials: int = 160, noise: float = 0.01) -> dict[str, Any]:
    """(run in a child) A noisy 1-D search through create_trial/end_trial: model-based to its end?

    The landscape is a learning-rate bump (peak 0.9 at 5e-3, accuracy-like)
    plus Gaussian noise of ``noise`` SD; distances are in the unit embedding
    (the log range), from the true optimum.
    """
    import keras_tuner as kt

    from kt_lrsearch import GPEIOracle

    oracle = GPEIOracle(objective=kt.Objective("score", "max"), max_trials=trials, seed=SEED)
    oracle.hyperparameters = kt_space(1)
    oracle._set_project_dir(tempfile.mkdtemp(), "long")
    rng = np.random.default_rng(SEED)
    rates = []
    for _ in range(trials):
        trial = oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            break
        rate = trial.hyperparameters.values["learning_rate"]
        rates.append(rate)
        score = 0.1 + 0.8 * math.exp(-0.5 * ((math.log10(rate) + 2.3) / 0.6) ** 2)
        oracle.update_trial(trial.trial_id, {"score": score + noise * rng.normal()})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    span = math.log10(LR_RANGE[1] / LR_RANGE[0])
    unit = np.log10(np.array(rates) / LR_RANGE[0]) / span
    distance = np.abs(unit - (math.log10(5e-3) - math.log10(LR_RANGE[0])) / span)
    quarters = np.array_split(distance, 4)
    return {
        "trials": len(rates),
        "random_fallbacks": int(oracle.random_fallbacks),
        "median_unit_distance_by_quarter": [round(float(np.median(q)), 4) for q in quarters],
        "last_quarter_within_0.05": float(np.mean(quarters[-1] <= 0.05)),
        "smallest_gap_unit": float(np.min(np.diff(np.sort(unit)))),
    }


def child(args: list[str]) -> Any:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default="gpei,optuna,kt")
    parser.add_argument("--dims", default="1,6")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--long", action="store_true")
    parser.add_argument("--amortised", action="store_true", help="GPEIOracle over refit steps")
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        if args.child[0] == "long":
            print(json.dumps(long_search()))
        elif args.child[0] == "amortised":
            sizes = [int(s) for s in args.child[2].split(",")]
            print(json.dumps(amortised(int(args.child[1]), sizes)))
        else:
            method, dim, sizes = args.child
            result = walk(method, int(dim), [int(s) for s in sizes.split(",")])
            print(json.dumps(result))
        return
    if args.long:
        print(json.dumps(child(["long"]), indent=1))
        return
    if args.amortised:
        for dim in args.dims.split(","):
            result = child(["amortised", dim, args.sizes])
            cells = " | ".join(f"{ms:,.0f}" for ms in result["means"].values())
            print(f"| {dim}-D, gpei, over a refit step | {cells} |")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    header = " | ".join(f"n = {n}" for n in sizes)
    rows = []
    for dim in (int(d) for d in args.dims.split(",")):
        for method in args.methods.split(","):
            result = child([method, str(dim), ",".join(map(str, sizes))])
            rows.append((dim, method, result))
            print(f"{dim}-D {method}: {json.dumps(result)}", file=sys.stderr)
    for stat in ("medians", "means"):
        print(f"\n{stat[:-1]} ms per suggestion ({REPS} suggestions from each n)\n")
        print(f"| space, method | {header} | exponent | peak MB |")
        print("|---|" + "---:|" * (len(sizes) + 2))
        for dim, method, result in rows:
            values = {int(n): ms for n, ms in result[stat].items()}
            cells = " | ".join(f"{values[n]:,.0f}" for n in sizes)
            slope = f"{exponent(values):.2f}" if max(sizes) >= 200 else "-"
            extra = f" ({result['fallbacks']} random)" if result.get("fallbacks") else ""
            print(f"| {dim}-D, {method}{extra} | {cells} | {slope} | {result['peak_mb']:.0f} |")


if __name__ == "__main__":
    main()
