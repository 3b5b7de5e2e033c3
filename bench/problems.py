"""The suite's problem type, and the measured learning-rate tables as problems.

A :class:`Problem` is a search space (``Spec`` rows), the true score, its
optimum and a budget; an evaluation observes the true score plus Gaussian noise,
or, for a measured table, one training seed's curve. Tables come from
``bench/lr_tables.json`` (``bench_lr_tables.py`` measures them: validation
accuracy on the sample data over 13 learning rates, 3 training seeds each).
"""

from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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


LR: list[Spec] = [("float", "lr", {"low": 1e-4, "high": 1e-1, "log": True}, None)]


TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_tables.json")


@functools.cache
def measured() -> dict[str, Any]:
    """``TABLES`` as read once per process ({} before bench_lr_tables.py has run).

    Callers read it and never change it.
    """
    if not os.path.exists(TABLES):
        return {}
    with open(TABLES) as f:
        return json.load(f)


def lr_table(name: str, budget: int = 10, reverse: bool = False) -> Problem:
    """A measured landscape (bench_lr_tables.py): truth is the mean over training
    seeds, an evaluation sees one seed's curve, both linear in log10(lr).
    ``reverse`` mirrors it in log10(lr) (an unrelated task for warm starts)."""
    tables = measured()
    grid = np.log10(tables[name].get("grid", tables["grid"]))
    rows = np.asarray(tables[name]["val_accuracy"])
    rows = rows[:, ::-1] if reverse else rows
    mean = rows.mean(axis=0)

    def score(v: dict[str, Any]) -> float:
        return float(np.interp(math.log10(v["lr"]), grid, mean))

    def observe(v: dict[str, Any], draw: float) -> float:
        return float(np.interp(math.log10(v["lr"]), grid, rows[int(draw * len(rows))]))

    return Problem(
        LR,
        score,
        float(mean.max()),
        budget,
        observe=observe,
        notes=f"measured, {len(rows)} training seeds",
    )


def tables(*names: str) -> dict[str, Problem]:
    """The measured problems ``table-NAME``; those not measured yet are skipped, with a note."""
    missing = [name for name in names if name not in measured()]
    if missing:
        print(
            f"not in {TABLES} (bench/bench_lr_tables.py measures them): {missing}; skipped",
            file=sys.stderr,
        )
    return {f"table-{name}": lr_table(name) for name in names if name in measured()}


def setup_table(names: list[str], budget: int) -> Problem:
    """Which measured setup, and which learning rate: a mixed 2-D problem.

    ``setup`` is an unordered Choice among the tables ``names`` (all on the shared
    grid), ``lr`` the rate; the truth and an observation are those of the chosen
    setup's 1-D table (:func:`lr_table`), so the noise is real training noise.
    """
    by_name = {name: lr_table(name) for name in names}
    specs: list[Spec] = [("choice", "setup", {"choices": list(names)}, None), *LR]

    def score(v: dict[str, Any]) -> float:
        return by_name[v["setup"]].score(v)

    def observe(v: dict[str, Any], draw: float) -> float:
        return by_name[v["setup"]].observe(v, draw)

    optimum = max(problem.optimum for problem in by_name.values())
    return Problem(
        specs, score, optimum, budget, observe=observe, notes=f"measured, {len(names)} setups"
    )
