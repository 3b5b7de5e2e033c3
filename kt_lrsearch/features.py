"""The GP's inputs: unit points with unordered choices as one-hot columns.

The search space embeds every hyperparameter as one unit coordinate, a Choice
as the position of its value's cell. For an unordered Choice of three or more
values (optimizer names, activations) that position invents an order: a
Matern kernel on it makes the middle value the average of its neighbours, and
with few trials the search can settle on a wrong value for good (issue 12's
mixed space chose ``rmsprop`` over ``adam`` in 6 of 20 seeds). One-hot columns
put every pair of values at the same distance, as Optuna's GP sampler does
with its Hamming-style categorical distance. Two values need no columns: one
coordinate already has a single distance.

Everything else in the decision (candidates, snapping, refinement, figures)
stays in unit coordinates; :class:`FeatureGP` maps points on the way in.
Pure numpy, free of Keras Tuner: the encoder hands over each unordered
Choice's cell bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from kt_lrsearch import gp

FloatArray = npt.NDArray[np.float64]
Features = Callable[[FloatArray], FloatArray]


def one_hot(points: FloatArray, categorical: Mapping[int, FloatArray]) -> FloatArray:
    """Replaces each categorical axis of ``points`` (m, d) by one-hot columns.

    Args:
        points: (m, d) unit points.
        categorical: axis -> (K - 1,) ascending cell bounds of a K-value Choice
            (a value's cell starts at its bound; the first at 0).

    Returns:
        (m, d - c + sum K) features: the other axes in order, then each
        categorical axis's K columns in axis order.
    """
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    keep = [a for a in range(points.shape[1]) if a not in categorical]
    columns = [points[:, keep]]
    for axis in sorted(categorical):
        bounds = np.asarray(categorical[axis], dtype=np.float64)
        index = np.searchsorted(bounds, points[:, axis], side="right")
        columns.append(np.eye(bounds.size + 1)[index])
    return np.concatenate(columns, axis=1)


def feature_map(categorical: Mapping[int, FloatArray]) -> Features | None:
    """The map for ``categorical`` axes, or None when there is nothing to one-hot."""
    if not categorical:
        return None
    frozen = {int(a): np.array(b, dtype=np.float64) for a, b in categorical.items()}
    return lambda points: one_hot(points, frozen)


class FeatureGP:
    """A fitted GP on ``features(x)`` that takes unit points.

    Args:
        model: The GP fitted on features.
        features: Unit points (k, d) -> features (k, D).
    """

    def __init__(self, model: gp.GaussianProcess, features: Features) -> None:
        self.model = model
        self.features = features

    @property
    def standardiser(self) -> gp.Standardiser:
        return self.model.standardiser

    @property
    def hyperparameters(self) -> gp.GPHyperparameters:
        return self.model.hyperparameters

    def predict(self, x_query: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior (mean, std), each (k,), at unit points (k, d)."""
        return self.model.predict(self.features(x_query))

    def condition_on(self, x_new: FloatArray, y_new: FloatArray) -> FeatureGP:
        """The GP with extra observations at unit points (r, d) added."""
        return FeatureGP(self.model.condition_on(self.features(x_new), y_new), self.features)


def fit(unit: FloatArray, scores: FloatArray,
        features: Features | None) -> gp.GaussianProcess | FeatureGP:  # fmt: skip
    """The GP on ``scores`` (n,) at unit points (n, d), through ``features`` if any."""
    if features is None:
        return gp.fit_gp(unit, scores)
    return FeatureGP(gp.fit_gp(features(unit), scores), features)
