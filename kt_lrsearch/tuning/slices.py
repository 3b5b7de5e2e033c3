"""Slices of a decision for figures in any dimension: one axis per hyperparameter.

A d-dimensional posterior cannot be drawn whole; what a user can read is how
each hyperparameter matters around the best point. For every tuned
hyperparameter this walks its axis through the incumbent (the completed point
with the best posterior mean), the other values held there, and asks the
decision's fantasised GP for mean, uncertainty and EI along it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from keras_tuner.engine import hyperparameters as hp_module

from kt_lrsearch.core import policy, space, surface
from kt_lrsearch.core.decision_view import AxisSlice
from kt_lrsearch.tuning import encoding
from kt_lrsearch.tuning.encoding import SpaceEncoder, is_continuous, is_numeric

FloatArray = npt.NDArray[np.float64]

# A numeric hyperparameter with at most this many values is drawn value by value.
MAX_DISCRETE_VALUES = 30
CONTINUOUS_POSITIONS = 100


def axis_slices(
    post: policy.Posterior,
    encoder: SpaceEncoder,
    sign: float,
    observed: Sequence[dict[str, Any]],
    next_values: dict[str, Any] | None,
    earlier: Sequence[dict[str, Any]] = (),
) -> tuple[AxisSlice, ...]:
    """One :class:`AxisSlice` per tuned hyperparameter, in objective units (``sign``).

    ``earlier`` holds a warm start's earlier values, placed on each axis too.
    """
    centre_values = encoder.decode(post.centre)
    slices = []
    for axis, hp in enumerate(encoder.tuned):
        unit, x, labels = _positions(hp)
        mean, std, log_ei = surface.axis_slice(post, axis, unit, encoder.snap)
        slices.append(
            AxisSlice(
                name=hp.name,
                discrete=bool(labels) or not _is_line(hp),
                x=x,
                labels=labels,
                log_scale=getattr(hp, "sampling", None) == "log",
                mean=sign * mean,
                std=std,
                ei=np.exp(log_ei),
                obs_x=np.array([_position(hp, values) for values in observed], dtype=np.float64),
                centre_x=_position(hp, centre_values),
                next_x=None if next_values is None else _position(hp, next_values),
                earlier_x=np.array([_position(hp, v) for v in earlier], dtype=np.float64),
            )
        )
    return tuple(slices)


def _is_line(hp: hp_module.HyperParameter) -> bool:
    """Drawn as a line: a continuous Float, or a numeric one with many values."""
    return is_continuous(hp) or (is_numeric(hp) and len(_values(hp)) > MAX_DISCRETE_VALUES)


def _values(hp: hp_module.HyperParameter) -> list[Any]:
    """Every value of a discrete hyperparameter, in cell order (Keras Tuner's own mapping)."""
    return encoding.cells_of(hp).values


def _positions(hp: hp_module.HyperParameter) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """(unit positions (k,), axis positions (k,), choice labels) along one hyperparameter."""
    if _is_line(hp):
        unit = np.linspace(0.0, 1.0, CONTINUOUS_POSITIONS)
        if is_continuous(hp) and hp.sampling == "log":
            return unit, space.from_unit_log(unit, hp.min_value, hp.max_value), ()
        x = np.array([encoding.value_at(hp, u) for u in unit], dtype=np.float64)
        return unit, x, ()
    values = _values(hp)
    unit = np.array([hp.value_to_prob(v) for v in values], dtype=np.float64)
    if is_numeric(hp):
        return unit, np.array(values, dtype=np.float64), ()
    return unit, np.arange(len(values), dtype=np.float64), tuple(str(v) for v in values)


def _position(hp: hp_module.HyperParameter, values: dict[str, Any]) -> float:
    """Where a trial's value of ``hp`` sits on the slice's axis (NaN if inactive)."""
    if hp.name not in values:
        return math.nan
    value = values[hp.name]
    if is_numeric(hp):
        return float(value)
    choices = _values(hp)
    # An earlier search's value may not be one of this search's choices.
    return float(choices.index(value)) if value in choices else math.nan
