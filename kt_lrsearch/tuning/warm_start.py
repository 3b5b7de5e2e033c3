"""Earlier observations for a warm start: from run directories, Keras Tuner projects, pairs.

A source is one of:

- a kt_lrsearch run directory (``config.json`` and the Keras Tuner project in
  ``tuner/``);
- a Keras Tuner project directory (``oracle.json`` and ``trial_*/trial.json``),
  from any tuner and oracle;
- a sequence of ``(values, score)`` pairs, ``values`` a dict of hyperparameter
  values and ``score`` the objective (None or non-finite: a failed trial);
- trials already read (:class:`EarlierTrial`, as ``GPEIOracle.earlier`` holds
  them), used as they are, so a caller that builds several oracles reads its
  sources once;
- any of these wrapped in :class:`Rescaled`, whose numeric values are
  multiplied by known factors first: an earlier search at batch size 32 for a
  new one at 128 is ``Rescaled(run_dir, {"learning_rate": 4.0})``, the linear
  scaling rule (Goyal et al., 2017, "Accurate, large minibatch SGD"), which
  the measured tables follow (best rate 0.01 at batch 32, 0.056 at 128).

Each trial's score is read from its own metric history under the new search's
objective name, so an earlier search of another objective is refused rather
than misread. Problems raise :class:`WarmStartError` naming the source and what
to do. Reads JSON only: no Keras Tuner import.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from kt_lrsearch.core.decision_view import DecisionView

Plain = str | os.PathLike | Sequence[tuple[Mapping[str, Any], Any]] | Sequence["EarlierTrial"]


class WarmStartError(ValueError):
    """An earlier search that cannot be used; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class Rescaled:
    """A source whose named numeric values are multiplied by a factor each.

    Attributes:
        source: A run directory, a Keras Tuner project or (values, score) pairs.
        factors: Hyperparameter name -> positive finite factor.
    """

    source: Plain
    factors: Mapping[str, float]


Source = Plain | Rescaled


@dataclasses.dataclass(frozen=True)
class EarlierTrial:
    """One earlier observation: its values and objective (None when it failed)."""

    values: dict[str, Any]
    score: float | None
    source: str
    factors: Mapping[str, float] = dataclasses.field(default_factory=dict)


def is_run_directory(path: pathlib.Path) -> bool:
    """Whether ``path`` is a kt_lrsearch run directory (config.json and tuner/)."""
    return (path / "config.json").exists() and (path / "tuner").is_dir()


def _is_project(path: pathlib.Path) -> bool:
    """A Keras Tuner project: oracle.json, or trial files alone (its oracle.json lost)."""
    return (path / "oracle.json").exists() or any(path.glob("trial_*/trial.json"))


def _project_dir(path: pathlib.Path) -> pathlib.Path:
    if not path.is_dir():
        raise WarmStartError(f"warm start {path}: no such directory")
    if is_run_directory(path):
        return path / "tuner"
    if _is_project(path):
        return path  # a Keras Tuner project directory
    raise WarmStartError(
        f"warm start {path}: neither a kt_lrsearch run directory (config.json "
        "and tuner/) nor a Keras Tuner project (oracle.json); name one of "
        "those"
    )


def _objective_value(
    record: dict[str, Any], name: str, direction: str, where: pathlib.Path
) -> float | None:
    """The trial's best ``name`` metric, or None for a trial without a finite one."""
    metrics = record.get("metrics", {}).get("metrics", {})
    if name not in metrics:
        if record.get("status") == "COMPLETED" and metrics:
            raise WarmStartError(
                f"warm start {where}: no metric {name!r} (it has "
                f"{', '.join(sorted(metrics))}): an earlier search of another "
                "objective cannot warm-start this one"
            )
        return None
    if metrics[name].get("direction", direction) != direction:
        raise WarmStartError(
            f"warm start {where}: {name!r} was "
            f"{'maximised' if direction == 'min' else 'minimised'} there, "
            f"this search {'maximises' if direction == 'max' else 'minimises'}"
            " it"
        )
    values = [float(v) for o in metrics[name].get("observations", []) for v in o.get("value", [])]
    finite = [v for v in values if math.isfinite(v)]
    if record.get("status") != "COMPLETED" or not finite:
        return None
    return max(finite) if direction == "max" else min(finite)


def _from_directory(path: pathlib.Path, objective: str, direction: str) -> list[EarlierTrial]:
    project = _project_dir(path)
    trials = []
    for file in sorted(project.glob("trial_*/trial.json")):
        try:
            record = json.loads(file.read_text())
            values = dict(record["hyperparameters"]["values"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise WarmStartError(
                f"warm start {file}: unreadable trial ({error}); repair or "
                "remove it, or leave this source out"
            ) from None
        score = _objective_value(record, objective, direction, file)
        trials.append(EarlierTrial(values, score, str(path)))
    if not trials:
        raise WarmStartError(f"warm start {path}: no finished trial to learn from")
    return trials


def _from_pairs(pairs: Iterable[Any]) -> list[EarlierTrial]:
    trials = []
    for index, pair in enumerate(pairs):
        if isinstance(pair, EarlierTrial):
            trials.append(pair)
            continue
        try:
            values, score = pair
            values = dict(values)
            score = None if score is None else float(score)
        except (TypeError, ValueError):
            raise WarmStartError(
                f"warm start pair {index}: expected (values dict, score), got {pair!r}"
            ) from None
        score = score if score is not None and math.isfinite(score) else None
        trials.append(EarlierTrial(values, score, "pairs"))
    if not trials:
        raise WarmStartError("warm start: the list of (values, score) pairs is empty")
    return trials


def _rescaled(source: Rescaled, objective: str, direction: str) -> list[EarlierTrial]:
    """The wrapped source's trials with each named numeric value times its factor."""
    where = source.source if isinstance(source.source, str | os.PathLike) else "pairs"
    for name, factor in source.factors.items():
        if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
            raise WarmStartError(
                f"warm start {where}: the factor for {name!r} must be a "
                f"positive finite number, got {factor!r}"
            )
    trials = []
    for trial in load([source.source], objective, direction):
        values = dict(trial.values)
        for name, factor in source.factors.items():
            value = values.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                values[name] = value * factor
        trials.append(dataclasses.replace(trial, values=values, factors=dict(source.factors)))
    return trials


def load(sources: Sequence[Source], objective: str, direction: str) -> list[EarlierTrial]:
    """Every earlier trial of ``sources``, in order (see the module docstring)."""
    trials: list[EarlierTrial] = []
    for source in sources:
        if isinstance(source, Rescaled):
            trials += _rescaled(source, objective, direction)
        elif isinstance(source, str | os.PathLike):
            trials += _from_directory(pathlib.Path(source), objective, direction)
        else:
            trials += _from_pairs(source)
    return trials


def with_earlier(view: DecisionView, hp: Any, earlier: Sequence[EarlierTrial]) -> DecisionView:
    """A decision's view with the earlier trials, for figures (drawn hollow).

    1-D numeric: those inside the searched range of ``hp``, the one tuned
    hyperparameter; ``earlier_factors`` lists the distinct rescaling factors
    other than 1 among the trials shown. In more dimensions every slice gets
    their positions on its axis.
    """
    if view.grid is None:
        if view.slice_maker is None:
            return view
        values = [t.values for t in earlier]
        return dataclasses.replace(
            view,
            slice_maker=functools.partial(view.slice_maker, earlier=values),
            earlier_scores=np.array([np.nan if t.score is None else t.score for t in earlier]),
        )
    name, low, high = hp.name, hp.min_value, hp.max_value
    shown = [t for t in earlier if low <= float(t.values[name]) <= high]
    factors = sorted({t.factors[name] for t in shown if t.factors.get(name, 1.0) != 1.0})
    return dataclasses.replace(
        view,
        earlier_x=np.array([float(t.values[name]) for t in shown]),
        earlier_scores=np.array([np.nan if t.score is None else t.score for t in shown]),
        earlier_factors=tuple(factors),
    )
