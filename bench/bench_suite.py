"""Sample efficiency across spaces: GPEIOracle vs Optuna and Keras Tuner (issue 12).

Problems are standard test functions in 2-6 dimensions at more than one budget, a
mixed space, two conditional spaces (one per half), 1-D learning-rate curves and
measured learning-rate tables. Half of them are
``TUNE`` problems (the only ones a choice may be tuned on); the other half are
``HELD_OUT`` and are reported apart. ``HIGH_DIM`` (10 dimensions) is a check
beyond the suite, in neither half, and so are the ``NOISY`` variants of some
multi-dimensional problems; ``--no-trend`` runs GPEIOracle without the
GP's quadratic trend, ``--lognormal-noise`` with the 1-D noise prior everywhere,
for comparison. Every peer at its defaults: GPEIOracle, Keras
Tuner's BayesianOptimizationOracle and RandomSearchOracle (create_trial ->
update_trial -> end_trial), Optuna's GPSampler and TPESampler (ask/tell). Seeds
1000 apart (Keras Tuner's random sampler draws value k with seed + k). Reported:
mean simple regret of the best *observed* trial (true optimum minus its true
value; every score is "higher is better") and median ms per suggestion.

    make bench-install && .venv/bin/pip install optuna torch
    .venv/bin/python bench/bench_suite.py --seeds 20 [--problems branin-20 ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_tuner as kt
import numpy as np

from kt_lrsearch import GPEIOracle, kernel

# (kind, name, arguments, parent condition or None); kinds: float, int, choice.
Spec = tuple[str, str, dict[str, Any], tuple[str, list[Any]] | None]


@dataclass(frozen=True)
class Problem:
    specs: list[Spec]
    score: Callable[[dict[str, Any]], float]  # true value, higher is better
    optimum: float
    budget: int
    noise: float = 0.0
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # (values, draw) -> observed score, draw in [0, 1); None: score + N(0, noise).
    observe: Callable[[dict[str, Any], float], float] | None = None

    def observer(self, seed: int) -> Callable[[dict[str, Any], int], float]:
        """The observed score of evaluation i at ``values``, reproducible per seed."""
        rng = np.random.default_rng(seed + 1)
        noise, draws = rng.normal(scale=self.noise, size=self.budget), rng.random(self.budget)
        if self.observe is None:
            return lambda values, i: self.score(values) + noise[i]
        observe = self.observe
        return lambda values, i: observe(values, draws[i])


def box(names: list[str], lo: float, hi: float) -> list[Spec]:
    return [("float", n, {"low": lo, "high": hi}, None) for n in names]


def branin(v: dict[str, Any]) -> float:
    x1, x2 = v["x1"], v["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return -((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])  # fmt: skip
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(v: dict[str, Any]) -> float:
    x = np.array([v[f"x{i}"] for i in range(6)])
    return float(np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def levy(v: dict[str, Any]) -> float:
    w = 1 + (np.array([v[f"x{i}"] for i in range(len(v))]) - 1) / 4
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return -float(np.sin(np.pi * w[0]) ** 2 + body + tail)


def ackley(v: dict[str, Any]) -> float:
    x = np.array([v[f"x{i}"] for i in range(len(v))])
    d = x.size
    value = -20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d)) - np.exp(
        np.sum(np.cos(2 * np.pi * x)) / d
    )
    return -float(value + 20 + math.e)


def rosenbrock(v: dict[str, Any]) -> float:
    x = np.array([v[f"x{i}"] for i in range(len(v))])
    return -float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


MIXED: list[Spec] = [
    ("float", "lr", {"low": 1e-4, "high": 1e-1, "log": True}, None),
    ("int", "depth", {"low": 1, "high": 8}, None),
    ("choice", "optimizer", {"choices": ["sgd", "adam", "rmsprop"]}, None),
    ("float", "dropout", {"low": 0.0, "high": 0.5}, None),
]


def mixed(v: dict[str, Any]) -> float:
    bonus = {"sgd": 0.0, "adam": 0.04, "rmsprop": 0.02}[v["optimizer"]]
    return (0.9 - 0.05 * (math.log10(v["lr"]) + 2.5 + 0.1 * v["depth"]) ** 2
            - 0.01 * (v["depth"] - 5) ** 2 - 0.2 * (v["dropout"] - 0.15) ** 2 + bonus)  # fmt: skip


CONDITIONAL: list[Spec] = [
    ("float", "lr", {"low": 1e-4, "high": 1e-1, "log": True}, None),
    ("choice", "model", {"choices": ["mlp", "cnn"]}, None),
    ("int", "units", {"low": 16, "high": 512, "step": 16}, ("model", ["mlp"])),
    ("int", "filters", {"low": 8, "high": 128, "step": 8}, ("model", ["cnn"])),
]


def conditional(v: dict[str, Any]) -> float:
    base = 0.9 - 0.05 * (math.log10(v["lr"]) + 2.0) ** 2
    if v["model"] == "mlp":
        return base - 0.1 * (math.log2(v["units"]) - 7) ** 2 / 9
    return base + 0.03 - 0.1 * (math.log2(v["filters"]) - 5) ** 2 / 9


CONDITIONAL3: list[Spec] = [
    ("float", "lr", {"low": 1e-4, "high": 1e-1, "log": True}, None),
    ("choice", "block", {"choices": ["plain", "residual", "dense"]}, None),
    ("int", "depth", {"low": 1, "high": 12}, ("block", ["plain"])),
    ("int", "width", {"low": 16, "high": 256, "step": 16}, ("block", ["residual"])),
    ("float", "dropout", {"low": 0.0, "high": 0.5}, ("block", ["residual"])),
    ("int", "growth", {"low": 4, "high": 64, "step": 4}, ("block", ["dense"])),
]


def conditional3(v: dict[str, Any]) -> float:
    """Three branches, each with its own best rate and children; optimum 0.89
    (residual, lr 1e-2, width 64, dropout 0.2)."""
    g = math.log10(v["lr"])
    if v["block"] == "plain":
        return 0.85 - 0.04 * (g + 2.5) ** 2 - 0.1 * ((v["depth"] - 4) / 11) ** 2
    if v["block"] == "residual":
        return (0.89 - 0.04 * (g + 2.0) ** 2 - 0.1 * ((math.log2(v["width"]) - 6) / 4) ** 2
                - 0.2 * (v["dropout"] - 0.2) ** 2)  # fmt: skip
    return 0.87 - 0.04 * (g + 3.0) ** 2 - 0.1 * ((v["growth"] - 12) / 60) ** 2


LR: list[Spec] = [("float", "lr", {"low": 1e-4, "high": 1e-1, "log": True}, None)]


def lr_curve(kind: str) -> Callable[[dict[str, Any]], float]:
    def bump(g: float, centre: float, width: float) -> float:
        return math.exp(-0.5 * ((g - centre) / width) ** 2)

    def score(v: dict[str, Any]) -> float:
        g = math.log10(v["lr"])
        if kind == "peak":
            return 0.1 + 0.8 * bump(g, -2.3, 0.6)
        if kind == "cliff":
            return (0.1 + 0.8 / (1 + math.exp(-3.0 * (g + 2.8)))) if g < -1.5 else 0.1
        return 0.1 + 0.6 * bump(g, -3.4, 0.35) + 0.75 * bump(g, -1.9, 0.25)  # bimodal

    return score


def lr_optimum(score: Callable[[dict[str, Any]], float]) -> float:
    return max(score({"lr": 10**g}) for g in np.linspace(-4, -1, 20001))


TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_tables.json")


def lr_table(name: str, budget: int = 10, reverse: bool = False) -> Problem:
    """A measured landscape (bench_lr_tables.py): truth is the mean over training
    seeds, an evaluation sees one seed's curve, both linear in log10(lr).
    ``reverse`` mirrors it in log10(lr) (an unrelated task for warm starts)."""
    with open(TABLES) as f:
        tables = json.load(f)
    grid = np.log10(tables[name].get("grid", tables["grid"]))
    rows = np.asarray(tables[name]["val_accuracy"])
    rows = rows[:, ::-1] if reverse else rows
    mean = rows.mean(axis=0)

    def score(v: dict[str, Any]) -> float:
        return float(np.interp(math.log10(v["lr"]), grid, mean))

    def observe(v: dict[str, Any], draw: float) -> float:
        return float(np.interp(math.log10(v["lr"]), grid, rows[int(draw * len(rows))]))

    return Problem(LR, score, float(mean.max()), budget, observe=observe,
                   notes=f"measured, {len(rows)} training seeds")  # fmt: skip


def tables(*names: str) -> dict[str, Problem]:
    """The measured problems ``table-NAME``; those not measured yet are skipped, with a note."""
    measured = {}
    if os.path.exists(TABLES):
        with open(TABLES) as f:
            measured = json.load(f)
    missing = [name for name in names if name not in measured]
    if missing:
        print(f"not in {TABLES} (bench/bench_lr_tables.py measures them): {missing}; "
              "skipped", file=sys.stderr)  # fmt: skip
    return {f"table-{name}": lr_table(name) for name in names if name in measured}


def _x(d: int) -> list[str]:
    return [f"x{i}" for i in range(d)]


TUNE: dict[str, Problem] = {
    "branin-20": Problem([*box(["x1"], -5, 10), *box(["x2"], 0, 15)], branin, -0.397887, 20),
    "hartmann6-40": Problem(box(_x(6), 0, 1), hartmann6, 3.32237, 40),
    "levy4-30": Problem(box(_x(4), -10, 10), levy, 0.0, 30),
    "mixed-25": Problem(MIXED, mixed, 0.94, 25, notes="optimum approximate (0.94)"),
    "conditional3-25": Problem(CONDITIONAL3, conditional3, 0.89, 25, notes="optimum 0.89"),
    "lr-peak-10": Problem(LR, lr_curve("peak"), lr_optimum(lr_curve("peak")), 10, noise=0.01),
    **tables("resnet-e1-b128", "small-e1-b64"),
}
HELD_OUT: dict[str, Problem] = {
    "branin-30": Problem([*box(["x1"], -5, 10), *box(["x2"], 0, 15)], branin, -0.397887, 30),
    "hartmann6-60": Problem(box(_x(6), 0, 1), hartmann6, 3.32237, 60),
    "ackley3-30": Problem(box(_x(3), -5, 5), ackley, 0.0, 30),
    "rosenbrock2-25": Problem(box(_x(2), -2, 2), rosenbrock, 0.0, 25),
    "conditional-20": Problem(CONDITIONAL, conditional, 0.93, 20, notes="optimum 0.93"),
    "lr-cliff-10": Problem(LR, lr_curve("cliff"), lr_optimum(lr_curve("cliff")), 10, noise=0.01),
    "lr-bimodal-10": Problem(
        LR, lr_curve("bimodal"), lr_optimum(lr_curve("bimodal")), 10, noise=0.01
    ),
    **tables("resnet-e1-b32", "resnet-e3-b128"),
}


def _declare(hps: kt.HyperParameters, kind: str, name: str, args: dict[str, Any]) -> None:
    if kind == "float":
        hps.Float(name, args["low"], args["high"], sampling="log" if args.get("log") else "linear")
    elif kind == "int":
        hps.Int(name, args["low"], args["high"], step=args.get("step", 1))
    else:
        hps.Choice(name, args["choices"])


def kt_space(specs: list[Spec]) -> kt.HyperParameters:
    hps = kt.HyperParameters()
    for kind, name, args, parent in specs:
        if parent is None:
            _declare(hps, kind, name, args)
        else:
            with hps.conditional_scope(*parent):
                _declare(hps, kind, name, args)
    return hps


def optuna_values(trial: Any, specs: list[Spec]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for kind, name, args, parent in specs:
        if parent is not None and values.get(parent[0]) not in parent[1]:
            continue
        if kind == "float":
            values[name] = trial.suggest_float(name, args["low"], args["high"],
                                               log=args.get("log", False))  # fmt: skip
        elif kind == "int":
            values[name] = trial.suggest_int(name, args["low"], args["high"],
                                             step=args.get("step", 1))  # fmt: skip
        else:
            values[name] = trial.suggest_categorical(name, args["choices"])
    return values


# Proposals whose values repeat an earlier trial's in the same search, per oracle.
DUPLICATES: dict[str, int] = {}


def run_kt(oracle: kt.Oracle, problem: Problem, seed: int, workdir: str) -> tuple[float, list]:
    oracle._set_project_dir(workdir, "bench")
    oracle.verbose = 0
    observe = problem.observer(seed)
    truth, observed, seconds, seen = [], [], [], set()
    label = type(oracle).__name__
    for i in range(problem.budget):
        start = time.perf_counter()
        trial = oracle.create_trial("bench")
        seconds.append(time.perf_counter() - start)
        if trial.status != "RUNNING":
            break
        key = json.dumps(trial.hyperparameters.values, sort_keys=True)
        DUPLICATES[label] = DUPLICATES.get(label, 0) + (key in seen)
        seen.add(key)
        truth.append(problem.score(trial.hyperparameters.values))
        observed.append(observe(trial.hyperparameters.values, i))
        oracle.update_trial(trial.trial_id, {"score": observed[-1]})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return truth[int(np.argmax(observed))], seconds


def run_optuna(sampler: Any, problem: Problem, seed: int) -> tuple[float, list]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # GPSampler warns on every conditional trial
    study = optuna.create_study(direction="maximize", sampler=sampler)
    observe = problem.observer(seed)
    truth, observed, seconds = [], [], []
    for i in range(problem.budget):
        start = time.perf_counter()
        trial = study.ask()
        values = optuna_values(trial, problem.specs)
        seconds.append(time.perf_counter() - start)
        truth.append(problem.score(values))
        observed.append(observe(values, i))
        study.tell(trial, observed[-1])
    return truth[int(np.argmax(observed))], seconds


def peers(problem: Problem, seed: int, workdir: str,
          gpei: dict[str, Any] | None = None) -> dict[str, Callable[[], tuple]]:  # fmt: skip
    """Every peer's run on ``problem``; ``gpei`` overrides GPEIOracle's options."""
    import optuna

    def kt_run(make: Callable[..., kt.Oracle], label: str, **options: Any) -> Callable[[], tuple]:
        def run() -> tuple:
            oracle = make(objective=kt.Objective("score", "max"), max_trials=problem.budget,
                          seed=seed, hyperparameters=kt_space(problem.specs),
                          **options)  # fmt: skip
            return run_kt(oracle, problem, seed, os.path.join(workdir, label))

        return run

    return {
        "GPEIOracle": kt_run(GPEIOracle, "gpei", **(gpei or {})),
        "Optuna GPSampler": lambda: run_optuna(optuna.samplers.GPSampler(seed=seed), problem, seed),
        "Optuna TPESampler": lambda: run_optuna(
            optuna.samplers.TPESampler(seed=seed), problem, seed
        ),
        "KT Bayesian": kt_run(kt.oracles.BayesianOptimizationOracle, "ktbo"),
        "KT Random": kt_run(kt.oracles.RandomSearchOracle, "ktrs"),
    }


# Beyond the suite, in neither half: the quadratic trend's prior variance at a
# corner grows like d^2 (kernel.py), so it is checked where the suite does not go.
HIGH_DIM: dict[str, Problem] = {
    "hartmann6-in-10d-60": Problem(
        box(_x(10), 0, 1), hartmann6, 3.32237, 60, notes="x6..x9 have no effect"
    ),
    "levy10-60": Problem(box(_x(10), -10, 10), levy, 0.0, 60),
    "ackley10-60": Problem(box(_x(10), -5, 5), ackley, 0.0, 60),
}


# A check in neither half: the suite's multi-dimensional problems are noise-free,
# a training run is not. Some of them again with Gaussian noise on every
# observation (SD about 1% of the range over the space), for choices about noise.
NOISY: dict[str, Problem] = {
    "branin-20-noise1": replace(TUNE["branin-20"], noise=1.0),
    "hartmann6-40-noise0.1": replace(TUNE["hartmann6-40"], noise=0.1),
    "mixed-25-noise0.01": replace(TUNE["mixed-25"], noise=0.01),
    "conditional3-25-noise0.01": replace(TUNE["conditional3-25"], noise=0.01),
}


def _literal(text: str) -> Any:
    """An option's value from the command line: bool, int, float, None or the text."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def paired_difference(a: list[float], b: list[float]) -> tuple[float, float]:
    """(mean, standard error) of the per-seed differences a - b (same seeds); SE NaN for one."""
    diff = [x - y for x, y in zip(a, b, strict=True)]
    se = statistics.stdev(diff) / len(diff) ** 0.5 if len(diff) > 1 else float("nan")
    return statistics.mean(diff), se


def versus_best_peer(regrets: dict[str, list[float]]) -> str:
    """GPEIOracle's regret minus the best other peer's, per seed: mean +- standard error.

    The best peer is the one with the lowest mean regret; negative means GPEIOracle
    is better. Seeds are shared, so the difference is paired.
    """
    others = {n: r for n, r in regrets.items() if n != "GPEIOracle"}
    best = min(others, key=lambda n: statistics.mean(others[n]))
    mean, se = paired_difference(regrets["GPEIOracle"], others[best])
    return f"{mean:+.3g} +- {se:.2g} ({best})"


def main() -> None:
    warnings.filterwarnings("ignore")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--problems", nargs="*", help="names to run (default: all)")
    parser.add_argument("--peers", nargs="*", help="peers to run (default: all)")
    parser.add_argument(
        "--gpei",
        nargs="*",
        default=[],
        metavar="OPTION=VALUE",
        help="GPEIOracle options for a variant, e.g. xi=0 xi_decay=False",
    )
    parser.add_argument("--per-seed", action="store_true",
                        help="also print each peer's regret per seed (JSON)")  # fmt: skip
    parser.add_argument("--no-trend", action="store_true",
                        help="GPEIOracle without the GP's quadratic trend (kernel.py)")  # fmt: skip
    parser.add_argument("--lognormal-noise", action="store_true",
                        help="GPEIOracle with the 1-D log-normal noise prior in every "
                             "dimension (kernel.py)")  # fmt: skip
    args = parser.parse_args()
    # Both are read when the GP's graph is built, so they are set before any fit.
    if args.no_trend:
        kernel.TREND_MIN_DIMENSIONS = 10**6
    if args.lognormal_noise:
        kernel.NOISE_PRIOR_MIN_DIMENSIONS = 10**6
    gpei = {k: _literal(v) for k, v in (item.split("=", 1) for item in args.gpei)}
    groups = (("tuning half", TUNE), ("held-out half", HELD_OUT),
              ("beyond the suite (10 dimensions, in neither half)", HIGH_DIM),
              ("noisy variants (in neither half)", NOISY))  # fmt: skip
    for half, problems in groups:
        chosen = {n: p for n, p in problems.items() if not args.problems or n in args.problems}
        if not chosen:
            continue
        print(f"\n### {half}: mean regret (median ms / suggestion), {args.seeds} seeds\n")
        names = [n for n in peers(next(iter(chosen.values())), 0, "")
                 if not args.peers or n in args.peers]  # fmt: skip
        paired = "GPEIOracle" in names and len(names) > 1
        print(
            "| problem | " + " | ".join(names) + (" | GPEIOracle - best peer |" if paired else " |")
        )
        print("|---|" + "---:|" * (len(names) + paired))
        for name, problem in chosen.items():
            regrets: dict[str, list[float]] = {n: [] for n in names}
            times: dict[str, list[float]] = {n: [] for n in names}
            for k in range(1, args.seeds + 1):
                with tempfile.TemporaryDirectory() as workdir:
                    for label, run in peers(problem, 1000 * k, workdir, gpei).items():
                        if label not in names:
                            continue
                        kept, seconds = run()
                        regrets[label].append(problem.optimum - kept)
                        times[label].extend(seconds)
            cells = [f"{statistics.mean(regrets[n]):.4g} "
                     f"({1000 * statistics.median(times[n]):.0f})" for n in names]  # fmt: skip
            if paired:
                cells.append(versus_best_peer(regrets))
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
            if args.per_seed:
                print(json.dumps({"problem": name, "regrets": regrets}), flush=True)
        print(f"\nduplicate proposals so far (values equal to an earlier trial's): {DUPLICATES}")


if __name__ == "__main__":
    main()
