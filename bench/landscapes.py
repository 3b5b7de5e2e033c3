"""The suite's synthetic landscapes: standard test functions and learning-rate curves.

Every function takes a dict of hyperparameter values and returns the true score,
higher is better (minimisation problems are negated). ``bench_suite.py`` pairs
each with its search space, optimum and budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np


def branin(v: dict[str, Any]) -> float:
    x1, x2 = v["x1"], v["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return -((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10)


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann(v: dict[str, Any], a: np.ndarray, p: np.ndarray) -> float:
    """sum_i alpha_i exp(-sum_j a_ij (x_j - p_ij)^2) over the d = a.shape[1] inputs."""
    x = np.array([v[f"x{i}"] for i in range(a.shape[1])])
    return float(np.sum(_H6_ALPHA * np.exp(-np.sum(a * (x - p) ** 2, axis=1))))


def hartmann6(v: dict[str, Any]) -> float:
    return _hartmann(v, _H6_A, _H6_P)


_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)


def hartmann3(v: dict[str, Any]) -> float:
    return _hartmann(v, _H3_A, _H3_P)  # the same alpha as Hartmann-6


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


def six_hump_camel(v: dict[str, Any]) -> float:
    x, y = v["x0"], v["x1"]
    return -((4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2)


def goldstein_price(v: dict[str, Any]) -> float:
    x, y = v["x0"], v["x1"]
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return -float(a * b)


def himmelblau(v: dict[str, Any]) -> float:
    x, y = v["x0"], v["x1"]
    return -float((x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2)


def mixed(v: dict[str, Any]) -> float:
    bonus = {"sgd": 0.0, "adam": 0.04, "rmsprop": 0.02}[v["optimizer"]]
    return (
        0.9
        - 0.05 * (math.log10(v["lr"]) + 2.5 + 0.1 * v["depth"]) ** 2
        - 0.01 * (v["depth"] - 5) ** 2
        - 0.2 * (v["dropout"] - 0.15) ** 2
        + bonus
    )


def conditional(v: dict[str, Any]) -> float:
    base = 0.9 - 0.05 * (math.log10(v["lr"]) + 2.0) ** 2
    if v["model"] == "mlp":
        return base - 0.1 * (math.log2(v["units"]) - 7) ** 2 / 9
    return base + 0.03 - 0.1 * (math.log2(v["filters"]) - 5) ** 2 / 9


def conditional3(v: dict[str, Any]) -> float:
    """Three branches, each with its own best rate and children; optimum 0.89
    (residual, lr 1e-2, width 64, dropout 0.2)."""
    g = math.log10(v["lr"])
    if v["block"] == "plain":
        return 0.85 - 0.04 * (g + 2.5) ** 2 - 0.1 * ((v["depth"] - 4) / 11) ** 2
    if v["block"] == "residual":
        return (
            0.89
            - 0.04 * (g + 2.0) ** 2
            - 0.1 * ((math.log2(v["width"]) - 6) / 4) ** 2
            - 0.2 * (v["dropout"] - 0.2) ** 2
        )
    return 0.87 - 0.04 * (g + 3.0) ** 2 - 0.1 * ((v["growth"] - 12) / 60) ** 2


def lr_curve(kind: str) -> Callable[[dict[str, Any]], float]:
    def bump(g: float, centre: float, width: float) -> float:
        return math.exp(-0.5 * ((g - centre) / width) ** 2)

    def score(v: dict[str, Any]) -> float:
        g = math.log10(v["lr"])
        if kind == "peak":
            return 0.1 + 0.8 * bump(g, -2.3, 0.6)
        if kind == "upper":  # still rising at the range's top: the optimum is the bound 0.1
            return 0.1 + 0.8 / (1 + math.exp(-2.5 * (g + 2.0)))
        if kind == "lower":  # falling from the range's bottom: the optimum is the bound 1e-4
            return 0.1 + 0.8 / (1 + math.exp(2.5 * (g + 3.0)))
        if kind == "cliff":
            return (0.1 + 0.8 / (1 + math.exp(-3.0 * (g + 2.8)))) if g < -1.5 else 0.1
        return 0.1 + 0.6 * bump(g, -3.4, 0.35) + 0.75 * bump(g, -1.9, 0.25)  # bimodal

    return score


def lr_optimum(score: Callable[[dict[str, Any]], float]) -> float:
    return max(score({"lr": 10**g}) for g in np.linspace(-4, -1, 20001))


# Three more standard functions for a fresh check (a later session): measured
# after every choice was made, used to choose nothing (bench_suite.py FRESH).
def styblinski_tang(v: dict[str, Any]) -> float:
    x = np.array([v[f"x{i}"] for i in range(len(v))])
    return -float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


_SHEKEL_BETA = 0.1 * np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5])
_SHEKEL_C = np.array([[4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]] * 2)


def shekel(v: dict[str, Any]) -> float:
    """Shekel's foxholes, m = 10, in 4-D: sum_i 1 / (|x - c_i|^2 + beta_i)."""
    x = np.array([v[f"x{i}"] for i in range(4)])
    return float(np.sum(1.0 / (np.sum((x[:, None] - _SHEKEL_C) ** 2, axis=0) + _SHEKEL_BETA)))


def michalewicz(v: dict[str, Any]) -> float:
    x = np.array([v[f"x{i}"] for i in range(len(v))])
    i = np.arange(1, x.size + 1)
    return float(np.sum(np.sin(x) * np.sin(i * x**2 / np.pi) ** 20))


# Optima on the boundary (a later session): held-out problems whose best point
# lies on a bound, a face or a corner of the box.
def corner_bowl(v: dict[str, Any]) -> float:
    """-sum (x_i - 1.15)^2 on [0, 1]^d: the optimum is the corner (1, ..., 1)."""
    x = np.array([v[f"x{i}"] for i in range(len(v))])
    return -float(np.sum((x - 1.15) ** 2))
