"""The GP's inputs: unordered choices one-hot, conditional children on an arc.

The search space embeds every hyperparameter as one unit coordinate, a Choice
as the position of its value's cell. For an unordered Choice of three or more
values (optimizer names, activations) that position invents an order: a
Matern kernel on it makes the middle value the average of its neighbours, and
with few trials the search can settle on a wrong value for good (issue 12's
mixed space chose ``rmsprop`` over ``adam`` in 6 of 20 seeds). One-hot columns
put every pair of values at the same distance, as Optuna's GP sampler does
with its Hamming-style categorical distance. Two values need no columns: one
coordinate already has a single distance.

A conditional child (``units`` only when ``model == "mlp"``) is inactive in
part of the trials. Giving it its default's position there, as Keras Tuner's
own Bayesian oracle does, tells the GP that every trial of the other branch
scored at that value: issue 12's conditional space (filters 8..128, default 8)
then kept ``filters`` at 40-64 instead of 32. Any other single position pulls
the same way, so each conditional child gets two columns, its values on an arc
and "inactive" at the arc's centre, equally far from all of them (Swersky et
al., 2014); an inactive categorical child's one-hot columns are all zero, also
equally far from every value.

Everything else in the decision (candidates, snapping, refinement, figures)
stays in unit coordinates; :class:`FeatureGP` maps points on the way in.
Pure numpy, free of Keras Tuner: the encoder hands over each unordered
Choice's cell bounds, the conditional axes and their activity.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import numpy as np
import numpy.typing as npt

from kt_lrsearch.core import gp

FloatArray = npt.NDArray[np.float64]
Features = Callable[[FloatArray], FloatArray]
BoolArray = npt.NDArray[np.bool_]


# A conditional child's values lie on a quarter circle of this radius and its
# inactive trials at the centre (the arc embedding of Swersky et al., 2014,
# "Raiders of the lost architecture"): every value is then equally far from
# "inactive", and neighbouring values keep the unit embedding's spacing to
# first order (arc length = radius * pi / 2 = 1).
ARC_RADIUS = 2.0 / np.pi


def gp_inputs(
    points: FloatArray,
    categorical: Mapping[int, FloatArray],
    conditional: Collection[int] = (),
    inactive: BoolArray | None = None,
) -> FloatArray:
    """The GP's inputs for unit points (m, d).

    Args:
        points: (m, d) unit points.
        categorical: axis -> (K - 1,) ascending cell bounds of a K-value Choice
            (a value's cell starts at its bound; the first at 0).
        conditional: Axes that are inactive in some trials (children of a
            condition).
        inactive: (m, d) True where a coordinate is inactive; None: all active.

    Returns:
        (m, D) features: each other axis in order, as one column, or as two
        when it is conditional: ``r * (cos(pi x / 2), sin(pi x / 2))``, (0, 0)
        where inactive. Then each categorical axis's K one-hot columns in axis
        order, all zero where inactive (equally far from every value).
    """
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    if inactive is None:
        inactive = np.zeros(points.shape, dtype=bool)
    columns = []
    for axis in (a for a in range(points.shape[1]) if a not in categorical):
        if axis not in conditional:
            columns.append(points[:, axis : axis + 1])
            continue
        angle = points[:, axis] * (np.pi / 2)
        arc = ARC_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        arc[inactive[:, axis]] = 0.0
        columns.append(arc)
    for axis in sorted(categorical):
        bounds = np.asarray(categorical[axis], dtype=np.float64)
        index = np.searchsorted(bounds, points[:, axis], side="right")
        hot = np.eye(bounds.size + 1)[index]
        hot[inactive[:, axis]] = 0.0
        columns.append(hot)
    return np.concatenate(columns, axis=1)


def feature_map(
    categorical: Mapping[int, FloatArray],
    conditional: Collection[int] = (),
    inactive: Callable[[FloatArray], BoolArray] | None = None,
) -> Features | None:
    """The map of :func:`gp_inputs`, or None when the unit points serve as they are.

    ``inactive`` computes the (m, d) mask from points; it is needed when
    ``conditional`` is not empty.
    """
    if not categorical and not conditional:
        return None
    frozen = {int(a): np.array(b, dtype=np.float64) for a, b in categorical.items()}
    axes = frozenset(int(a) for a in conditional)
    if not axes:
        return lambda points: gp_inputs(points, frozen)
    if inactive is None:
        raise ValueError("conditional axes need an inactive-mask function")
    return lambda points: gp_inputs(points, frozen, axes, inactive(points))


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


def fit(
    unit: FloatArray, scores: FloatArray, features: Features | None, *, fit_rows: int | None = None
) -> gp.GaussianProcess | FeatureGP:
    """The GP on ``scores`` (n,) at unit points (n, d), through ``features`` if any.

    ``fit_rows``: the hyperparameters come from the first rows only
    (:func:`kt_lrsearch.core.gp.fit_gp`).
    """
    if features is None:
        return gp.fit_gp(unit, scores, fit_rows=fit_rows)
    return FeatureGP(gp.fit_gp(features(unit), scores, fit_rows=fit_rows), features)
