"""Keras Tuner search spaces <-> points of the unit cube.

Each non-Fixed hyperparameter is one coordinate, embedded with its own
``value_to_prob`` (log scale for ``sampling="log"``, ordinal cells for Int,
Choice and Boolean). A hyperparameter that is inactive under its conditions, or
absent from a trial, takes its default's embedding, as Keras Tuner's own
Bayesian oracle does, so every trial is a point of the same cube.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import numpy as np
import numpy.typing as npt
from keras_tuner.engine import hyperparameters as hp_module

from kt_lrsearch.tuning import kt_private

FloatArray = npt.NDArray[np.float64]


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars: HyperParameters.to_proto and JSON need them."""
    return value.item() if isinstance(value, np.generic) else value


class SpaceEncoder:
    """Encodes values dicts as unit vectors and decodes them back.

    Args:
        hyperparameters: The oracle's search space (a ``HyperParameters``).

    Attributes:
        tuned: The hyperparameters with more than one value, one per
            coordinate, shape (d,). A Fixed one, a Float or Int whose range is a
            single value and a Choice of one value are not tuned: they decode to
            that value (Keras Tuner runs such a space once, then stops).
    """

    def __init__(self, hyperparameters: hp_module.HyperParameters) -> None:
        self._space = list(hyperparameters.space)
        self.tuned = [hp for hp in self._space if not is_single(hp)]
        self._conditional = any(hp.conditions for hp in self._space)
        names = [hp.name for hp in self._space]
        # Vectorised activity needs discrete parents, each the only hyperparameter
        # of its name; children may share a name ("units" under two branches).
        parents = {c.name for hp in self._space for c in hp.conditions}
        self._vectorised = all(names.count(name) == 1 for name in parents) and all(
            not is_continuous(hp) for hp in self._space if hp.name in parents
        )

    @property
    def dim(self) -> int:
        """Number of tuned coordinates d."""
        return len(self.tuned)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(hp.name for hp in self.tuned)

    def categorical_axes(self) -> dict[int, FloatArray]:
        """axis -> cell bounds (K - 1,) of each unordered Choice of K >= 3 values."""
        return {
            axis: cells_of(hp).bounds
            for axis, hp in enumerate(self.tuned)
            if isinstance(hp, hp_module.Choice) and not hp.ordered and len(hp.values) >= 3
        }

    def is_box(self) -> bool:
        """Whether every tuned hyperparameter is a Float or an Int without conditions."""
        return all(is_numeric(hp) and not hp.conditions for hp in self.tuned)

    def conditional_axes(self) -> tuple[int, ...]:
        """Axes whose hyperparameter has conditions (inactive in some trials)."""
        return tuple(axis for axis, hp in enumerate(self.tuned) if hp.conditions)

    def encode(self, hps: hp_module.HyperParameters) -> FloatArray:
        """A trial's hyperparameters as a unit vector, shape (d,)."""
        vector = np.empty(self.dim)
        for i, hp in enumerate(self.tuned):
            if hps.is_active(hp) and hp.name in hps.values:
                value = hps.values[hp.name]
            else:
                value = hp.default
            vector[i] = hp.value_to_prob(value)
        return vector

    def decode(self, vector: FloatArray) -> dict[str, Any]:
        """Active values for a unit vector (d,), honouring conditional scopes."""
        hps = hp_module.HyperParameters()
        index = 0
        for hp in self._space:
            hps.merge([hp])
            if is_single(hp):
                value = single_value(hp)
            else:
                value = value_at(hp, float(vector[index]))
                index += 1
            if hps.is_active(hp):
                hps.values[hp.name] = _plain(value)
        return dict(hps.values)

    def snap(self, points: FloatArray) -> FloatArray:
        """Moves candidates (m, d) to the embedding of the values they decode to.

        A discrete coordinate's EI is then evaluated where that value's
        observations live, and inactive coordinates sit at their default as in
        :meth:`encode`. Continuous coordinates are left alone. Vectorised: each
        discrete hyperparameter's cells come from a table (:func:`_cells`), and
        conditional activity is evaluated column by column in space order.
        """
        points = np.array(points, dtype=np.float64)
        if self._conditional and not self._vectorised:
            return self._snap_rows(points)
        for i, hp in enumerate(self.tuned):
            if not is_continuous(hp):
                cells = cells_of(hp)
                points[:, i] = cells.units[cells.index(points[:, i])]
        if self._conditional:
            inactive = ~self._active_columns(points)
            points[inactive] = np.broadcast_to(self._defaults(), points.shape)[inactive]
        return points

    def _defaults(self) -> FloatArray:
        """(d,) each tuned coordinate's default embedding."""
        return np.array([hp.value_to_prob(hp.default) for hp in self.tuned])

    def inactive_mask(self, points: FloatArray) -> np.ndarray:
        """(m, d) True where a coordinate is inactive under its parents' values.

        A point's coordinate is inactive when a condition of its
        hyperparameter fails for the values the point decodes to (Keras
        Tuner's ``is_active``). All False in a space without conditions.
        """
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if not self._conditional:
            return np.zeros(points.shape, dtype=bool)
        if self._vectorised:
            return ~self._active_columns(points)
        return np.array(
            [
                [not all(c.is_active(values) for c in hp.conditions) for hp in self.tuned]
                for values in map(self.decode, points)
            ],
            dtype=bool,
        )

    def _active_columns(self, points: FloatArray) -> np.ndarray:
        """(m, d) activity of each tuned coordinate, evaluated column by column in space order."""
        active: dict[str, np.ndarray] = {}  # by name: read only for (unique) parents
        axis_of = {id(hp): axis for axis, hp in enumerate(self.tuned)}
        result = np.ones(points.shape, dtype=bool)
        for hp in self._space:
            mask = np.ones(points.shape[0], dtype=bool)
            for condition in hp.conditions:
                parent = next(p for p in self._space if p.name == condition.name)
                mask &= active.get(condition.name, np.zeros_like(mask))
                if is_single(parent):
                    mask &= single_value(parent) in condition.values
                else:
                    cells = cells_of(parent)
                    column = points[:, axis_of[id(parent)]]
                    allowed = np.array([v in condition.values for v in cells.values])
                    mask &= allowed[cells.index(column)]
            active[hp.name] = mask
            if id(hp) in axis_of:
                result[:, axis_of[id(hp)]] = mask
        return result

    def _snap_rows(self, points: FloatArray) -> FloatArray:
        """Decode and re-encode row by row: spaces the vectorised path does not cover."""
        for row in range(points.shape[0]):
            hps = hp_module.HyperParameters()
            hps.merge(self._space)
            hps.values = self.decode(points[row])
            points[row] = self.encode(hps)
        return points


class _Cells:
    """A discrete hyperparameter's unit interval as cells: one per value.

    Attributes:
        bounds: (K - 1,) the smallest unit point of each cell after the first.
        units: (K,) each value's embedding (``value_to_prob``).
        values: The K values, in cell order.
    """

    def __init__(self, hp: hp_module.HyperParameter) -> None:
        top = math.nextafter(1.0, 0.0)
        value = functools.partial(value_at, hp)
        # Scan finely, then bisect each change down to adjacent floats, so the
        # table reproduces Keras Tuner's own prob_to_value exactly.
        grid = np.linspace(0.0, top, 16 * _count(hp) + 2)
        seen = [value(float(p)) for p in grid]
        self.values = [seen[0]]
        bounds = []
        for k in range(1, grid.size):
            if seen[k] != seen[k - 1]:
                bounds.append(_first_change(value, float(grid[k - 1]), float(grid[k])))
                self.values.append(seen[k])
        self.bounds = np.array(bounds, dtype=np.float64)
        self.units = np.array([hp.value_to_prob(v) for v in self.values], dtype=np.float64)

    def index(self, column: FloatArray) -> np.ndarray:
        """The value index of each unit point (m,) -> (m,) ints."""
        return np.searchsorted(self.bounds, column, side="right")


def value_at(hp: hp_module.HyperParameter, prob: float) -> Any:
    """Keras Tuner's ``prob_to_value`` at ``prob`` clipped into the cube, kept in range.

    A Float without a step takes ``prob`` in [0, 1], so the upper bound itself
    (u = 1) is a value a trial can have: clipping it to the float below 1
    stored 9.999999999999998 for a range ending at 10, and the recommendation,
    whose grid ends at 10.0, then left that trial out. Discrete
    hyperparameters clip into [0, 1): their values sit at cell centres, and
    prob_to_value(1.0) can index past a Choice's last value. Next to 1, an Int
    with ``sampling="reverse_log"`` and no step rounds to ``max_value + 1``
    (Keras Tuner 1.4); a trial never gets a value outside its declared range.
    """
    top = 1.0 if is_continuous(hp) else math.nextafter(1.0, 0.0)
    value = hp.prob_to_value(min(max(prob, 0.0), top))
    if is_numeric(hp):
        value = min(max(value, hp.min_value), hp.max_value)
    return value


def _first_change(value: Any, low: float, high: float) -> float:
    """Smallest float in (low, high] where ``value`` differs from value(low)."""
    start = value(low)
    while math.nextafter(low, high) < high:
        middle = low + (high - low) / 2
        if middle <= low or middle >= high:
            break
        if value(middle) == start:
            low = middle
        else:
            high = middle
    return high


def _count(hp: hp_module.HyperParameter) -> int:
    """Number of values of a discrete hyperparameter (an upper bound is enough)."""
    if isinstance(hp, hp_module.Boolean):
        return 2
    if isinstance(hp, hp_module.Choice):
        return len(hp.values)
    if hp.step is None:  # an Int sampled on a log scale without a step: any integer
        return int(hp.max_value - hp.min_value) + 1
    return kt_private.value_count(hp)


def cells_of(hp: hp_module.HyperParameter) -> _Cells:
    """The (cached) cells of a discrete hyperparameter."""
    return _cells(_config_key(hp))


def _config_key(hp: hp_module.HyperParameter) -> str:
    return json.dumps([type(hp).__name__, hp.get_config()], sort_keys=True, default=str)


@functools.lru_cache(maxsize=256)
def _cells(key: str) -> _Cells:
    """The cells of a hyperparameter, built once per process for each configuration."""
    kind, config = json.loads(key)
    return _Cells(getattr(hp_module, kind).from_config(config))


def is_single(hp: hp_module.HyperParameter) -> bool:
    """Whether a hyperparameter has one value only (nothing to tune on its axis)."""
    if isinstance(hp, hp_module.Fixed):
        return True
    if isinstance(hp, hp_module.Choice):
        return len(hp.values) == 1
    return is_numeric(hp) and hp.min_value == hp.max_value


def single_value(hp: hp_module.HyperParameter) -> Any:
    """The one value of a hyperparameter for which :func:`is_single` holds."""
    if isinstance(hp, hp_module.Fixed):
        return hp.value
    if isinstance(hp, hp_module.Choice):
        return hp.values[0]
    return hp.min_value


def is_numeric(hp: hp_module.HyperParameter) -> bool:
    """A Float or an Int (a numeric Choice is not: its values are listed, not a range)."""
    return isinstance(hp, (hp_module.Float, hp_module.Int))


def is_continuous(hp: hp_module.HyperParameter) -> bool:
    """A Float without a step: its unit embedding needs no snapping."""
    return isinstance(hp, hp_module.Float) and not hp.step


def keep_active_values(hps: hp_module.HyperParameters) -> None:
    """Keras Tuner's ``ensure_active_values``, with a name kept while any of its kind is active.

    Keras Tuner walks the space and drops a value whenever a hyperparameter of
    that name is inactive: with one child name under two branches ("units" for
    "mlp" and for "cnn") the first branch's value is always dropped and the
    second's re-drawn at random, so a trial would not run what was proposed
    (and a proposal could repeat an earlier trial unseen). Here a value is
    dropped only when no hyperparameter of its name is active (Keras Tuner's
    ``is_active(name)``); an active one without a value is drawn at random, as
    Keras Tuner does for a hyperparameter that appeared while building. Walks
    the space in order, as Keras Tuner does, so a dropped parent turns its
    children off.
    """
    for hp in hps.space:
        if hps.is_active(hp):
            if hp.name not in hps.values:
                hps.values[hp.name] = hp.random_sample()
        elif not hps.is_active(hp.name):
            hps.values.pop(hp.name, None)
