"""Real tuning problems: scikit-learn estimators on the datasets that ship with it.

Each problem trains a real model for every evaluation (seeded, so a configuration
always scores the same) and reports a Bayesmark-style normalised score:

    score = (raw - median) / (best - median),

where ``best`` and ``median`` are the best and the median raw score of a
reference sample of ``REFERENCE_POINTS`` scrambled-Sobol configurations
(``bench/sklearn_reference.json``, written by this script). The optimum is taken
as 1, so a search's regret is 0 at the reference's best and 1 at a random
configuration's median; a search that beats the reference sample scores a
negative regret.

- ``sgd-mlp-digits``: a multilayer perceptron trained with SGD (momentum,
  Nesterov) on the 8x8 digits, validation accuracy; it tunes the learning
  rate, momentum, batch size, L2 penalty, width and epochs (6-D).
- ``svc-cancer``: an RBF support vector machine on the breast-cancer data,
  5-fold accuracy; C and gamma (2-D, log scales).
- ``hgb-diabetes``: histogram gradient boosting on the diabetes regression
  data, 3-fold R^2 after 50 boosting rounds; learning rate, leaves, leaf
  size and L2 (4-D).

    .venv/bin/python bench/sklearn_problems.py --reference   # the reference sample
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from problems import Problem, Spec

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sklearn_reference.json")
REFERENCE_POINTS = 256
BUDGETS = (16, 32)

SGD_MLP: list[Spec] = [
    ("float", "learning_rate", {"low": 1e-4, "high": 1.0, "log": True}, None),
    ("float", "momentum", {"low": 0.0, "high": 0.99}, None),
    ("int", "batch_size", {"low": 16, "high": 256, "step": 16}, None),
    ("float", "alpha", {"low": 1e-6, "high": 1e-1, "log": True}, None),
    ("int", "width", {"low": 16, "high": 256, "step": 16}, None),
    ("int", "epochs", {"low": 2, "high": 20}, None),
]
SVC: list[Spec] = [
    ("float", "C", {"low": 1e-2, "high": 1e4, "log": True}, None),
    ("float", "gamma", {"low": 1e-6, "high": 1.0, "log": True}, None),
]
HGB: list[Spec] = [
    ("float", "learning_rate", {"low": 1e-3, "high": 1.0, "log": True}, None),
    ("int", "max_leaf_nodes", {"low": 2, "high": 64}, None),
    ("int", "min_samples_leaf", {"low": 1, "high": 100}, None),
    ("float", "l2_regularization", {"low": 1e-6, "high": 10.0, "log": True}, None),
]


@functools.cache
def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return tuple(train_test_split(x / 16.0, y, test_size=0.4, random_state=0, stratify=y))


def sgd_mlp(v: dict[str, Any]) -> float:
    """Validation accuracy of an SGD-trained MLP on digits (60/40 split)."""
    from sklearn.neural_network import MLPClassifier

    x_train, x_val, y_train, y_val = _digits()
    model = MLPClassifier(
        hidden_layer_sizes=(int(v["width"]),),
        solver="sgd",
        learning_rate_init=float(v["learning_rate"]),
        momentum=float(v["momentum"]),
        nesterovs_momentum=True,
        batch_size=int(v["batch_size"]),
        alpha=float(v["alpha"]),
        max_iter=int(v["epochs"]),
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at a small epoch budget
        model.fit(x_train, y_train)
    score = float(model.score(x_val, y_val))
    return score if np.isfinite(score) else 0.0


def svc(v: dict[str, Any]) -> float:
    """5-fold accuracy of an RBF SVC on breast cancer (unscaled features)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import cross_val_score
    from sklearn.svm import SVC as SupportVectorClassifier

    x, y = load_breast_cancer(return_X_y=True)
    model = SupportVectorClassifier(C=float(v["C"]), gamma=float(v["gamma"]))
    return float(np.mean(cross_val_score(model, x, y, cv=5)))


def hgb(v: dict[str, Any]) -> float:
    """3-fold R^2 of histogram gradient boosting on diabetes."""
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold, cross_val_score

    x, y = load_diabetes(return_X_y=True)
    model = HistGradientBoostingRegressor(
        learning_rate=float(v["learning_rate"]),
        max_leaf_nodes=int(v["max_leaf_nodes"]),
        min_samples_leaf=int(v["min_samples_leaf"]),
        l2_regularization=float(v["l2_regularization"]),
        max_iter=50,
        random_state=0,
    )
    folds = KFold(3, shuffle=True, random_state=0)
    return float(np.mean(cross_val_score(model, x, y, cv=folds)))


RAW: dict[str, tuple[list[Spec], Callable[[dict[str, Any]], float]]] = {
    "sgd-mlp-digits": (SGD_MLP, sgd_mlp),
    "svc-cancer": (SVC, svc),
    "hgb-diabetes": (HGB, hgb),
}


def _key(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=float)


def cached(raw: Callable[[dict[str, Any]], float]) -> Callable[[dict[str, Any]], float]:
    """``raw`` remembered per configuration: the suite asks each score up to three times."""
    memo: dict[str, float] = {}

    def score(values: dict[str, Any]) -> float:
        key = _key(values)
        if key not in memo:
            memo[key] = raw(values)
        return memo[key]

    return score


def decode(specs: list[Spec], unit: np.ndarray) -> dict[str, Any]:
    """A configuration from a unit-cube point (d,): log floats in log space, ints on their step."""
    values: dict[str, Any] = {}
    for u, (kind, name, args, _) in zip(unit, specs, strict=True):
        low, high = args["low"], args["high"]
        if kind == "float" and args.get("log"):
            values[name] = float(np.exp(np.log(low) + u * (np.log(high) - np.log(low))))
        elif kind == "float":
            values[name] = float(low + u * (high - low))
        else:
            step = args.get("step", 1)
            values[name] = int(
                low + step * min(int(u * ((high - low) // step + 1)), (high - low) // step)
            )
    return values


def reference_sample(name: str) -> dict[str, Any]:
    from scipy.stats import qmc

    specs, raw = RAW[name]
    points = qmc.Sobol(len(specs), scramble=True, seed=0).random(REFERENCE_POINTS)
    start = time.perf_counter()
    scores = [raw(decode(specs, u)) for u in points]
    best = int(np.argmax(scores))
    return {
        "best": max(scores),
        "median": statistics.median(scores),
        "best_values": decode(specs, points[best]),
        "points": REFERENCE_POINTS,
        "seconds_per_fit": (time.perf_counter() - start) / REFERENCE_POINTS,
    }


@functools.cache
def references() -> dict[str, Any]:
    if not os.path.exists(REFERENCE):
        return {}
    with open(REFERENCE) as f:
        return json.load(f)


def problems() -> dict[str, Problem]:
    """Every problem at every budget, normalised; {} before ``--reference`` has run."""
    out = {}
    for name, (specs, raw) in RAW.items():
        ref = references().get(name)
        if ref is None:
            continue
        score = cached(raw)
        best, median = ref["best"], ref["median"]

        def normalised(v: dict[str, Any], score=score, best=best, median=median) -> float:
            return (score(v) - median) / (best - median)

        for budget in BUDGETS:
            out[f"{name}-{budget}"] = Problem(
                specs, normalised, 1.0, budget, notes="normalised: 1 = reference best"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", action="store_true", help="measure the reference sample")
    parser.add_argument("--names", nargs="*", default=list(RAW))
    args = parser.parse_args()
    if args.reference:
        table = dict(references())
        for name in args.names:
            table[name] = reference_sample(name)
            print(name, json.dumps(table[name]), flush=True)
        with open(REFERENCE, "w") as f:
            json.dump(table, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
