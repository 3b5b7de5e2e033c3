"""Keras Tuner search spaces <-> points of the unit cube.

Each non-Fixed hyperparameter is one coordinate, embedded with its own
``value_to_prob`` (log scale for ``sampling="log"``, ordinal cells for Int,
Choice and Boolean). A hyperparameter that is inactive under its conditions, or
absent from a trial, takes its default's embedding, as Keras Tuner's own
Bayesian oracle does, so every trial is a point of the same cube.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from keras_tuner.engine import hyperparameters as hp_module

FloatArray = npt.NDArray[np.float64]


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars: HyperParameters.to_proto and JSON need them."""
    return value.item() if isinstance(value, np.generic) else value


class SpaceEncoder:
    """Encodes values dicts as unit vectors and decodes them back.

    Args:
        hyperparameters: The oracle's search space (a ``HyperParameters``).

    Attributes:
        tuned: The non-Fixed hyperparameters, one per coordinate, shape (d,).
    """

    def __init__(self, hyperparameters: hp_module.HyperParameters) -> None:
        self._space = list(hyperparameters.space)
        self.tuned = [hp for hp in self._space if not isinstance(hp, hp_module.Fixed)]
        self._conditional = any(hp.conditions for hp in self._space)

    @property
    def dim(self) -> int:
        """Number of tuned coordinates d."""
        return len(self.tuned)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(hp.name for hp in self.tuned)

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
            if isinstance(hp, hp_module.Fixed):
                value = hp.value
            else:
                # value_to_prob places values at cell centres, never at 1.0;
                # prob_to_value(1.0) can index past a Choice's last value.
                prob = min(max(float(vector[index]), 0.0), math.nextafter(1.0, 0.0))
                value = hp.prob_to_value(prob)
                index += 1
            if hps.is_active(hp):
                hps.values[hp.name] = _plain(value)
        return dict(hps.values)

    def snap(self, points: FloatArray) -> FloatArray:
        """Moves candidates (m, d) to the embedding of the values they decode to.

        A discrete coordinate's EI is then evaluated where that value's
        observations live, and inactive coordinates sit at their default as in
        :meth:`encode`. Continuous unconditional coordinates are left alone.
        """
        points = np.array(points, dtype=np.float64)
        if self._conditional:
            for row in range(points.shape[0]):
                hps = hp_module.HyperParameters()
                hps.merge(self._space)
                hps.values = self.decode(points[row])
                points[row] = self.encode(hps)
            return points
        for i, hp in enumerate(self.tuned):
            if is_continuous(hp):
                continue
            column = np.clip(points[:, i], 0.0, math.nextafter(1.0, 0.0))
            points[:, i] = [hp.value_to_prob(hp.prob_to_value(p)) for p in column]
        return points


def is_continuous(hp: hp_module.HyperParameter) -> bool:
    """A Float without a step: its unit embedding needs no snapping."""
    return isinstance(hp, hp_module.Float) and not hp.step
