"""A benchmark problem's search space in each library: Keras Tuner's and Optuna's.

A :data:`problems.Spec` row is ``(kind, name, args, parent)``: a float, int or
choice, optionally active only under a parent's values.
"""

from __future__ import annotations

from typing import Any

import keras_tuner as kt
from problems import Spec


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
            values[name] = trial.suggest_float(
                name, args["low"], args["high"], log=args.get("log", False)
            )
        elif kind == "int":
            values[name] = trial.suggest_int(
                name, args["low"], args["high"], step=args.get("step", 1)
            )
        else:
            values[name] = trial.suggest_categorical(name, args["choices"])
    return values
