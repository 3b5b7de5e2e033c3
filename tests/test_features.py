"""The GP's inputs: one-hot unordered choices, arc-embedded conditional children."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch.core import features, gp
from kt_lrsearch.tuning.encoding import SpaceEncoder


def mixed_space() -> kt.HyperParameters:
    hp = kt.HyperParameters()
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Choice("optimizer", ["sgd", "adam", "rmsprop"])  # unordered: one-hot
    hp.Choice("units", [16, 32, 64])  # numbers: ordered, stays one coordinate
    hp.Choice("model", ["mlp", "cnn"])  # two values: one distance already
    hp.Boolean("bias")
    return hp


def test_only_unordered_choices_of_three_or_more_values_are_categorical() -> None:
    encoder = SpaceEncoder(mixed_space())
    axes = encoder.categorical_axes()
    assert list(axes) == [1]
    assert axes[1].shape == (2,)  # three cells, two bounds


def test_every_value_of_a_choice_gets_its_own_column() -> None:
    encoder = SpaceEncoder(mixed_space())
    space = mixed_space()
    rows = []
    for value in ["sgd", "adam", "rmsprop"]:
        hps = space.copy()
        hps.values.update({"optimizer": value})
        rows.append(encoder.encode(hps))
    out = features.gp_inputs(np.array(rows), encoder.categorical_axes())
    assert out.shape == (3, 4 + 3)
    np.testing.assert_array_equal(out[:, 4:], np.eye(3))
    np.testing.assert_array_equal(out[:, :4], np.array(rows)[:, [0, 2, 3, 4]])


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), other=st.floats(0.0, 1.0))
def test_any_two_different_values_are_equally_far_apart(a, b, other) -> None:
    bounds = {1: np.array([1 / 3, 2 / 3])}
    out = features.gp_inputs(np.array([[other, a], [other, b]]), bounds)
    distance = np.linalg.norm(out[0] - out[1])
    cell = np.searchsorted(bounds[1], [a, b], side="right")
    same = cell[0] == cell[1]
    assert distance == (0.0 if same else np.sqrt(2.0))


def test_the_wrapped_gp_is_the_gp_fitted_on_the_features() -> None:
    rng = np.random.default_rng(0)
    unit = rng.random((8, 2))
    scores = np.sin(5 * unit[:, 0]) + (unit[:, 1] > 0.5)
    one_hot = features.feature_map({1: np.array([1 / 3, 2 / 3])})
    model = features.fit(unit, scores, one_hot)
    direct = gp.fit_gp(one_hot(unit), scores)
    query = rng.random((5, 2))
    np.testing.assert_allclose(model.predict(query), direct.predict(one_hot(query)))
    more = model.condition_on(query[:2], np.zeros(2))
    np.testing.assert_allclose(
        more.predict(query)[0],
        direct.condition_on(one_hot(query[:2]), np.zeros(2)).predict(one_hot(query))[0],
    )
    assert features.feature_map({}) is None
    assert isinstance(features.fit(unit, scores, None), gp.GaussianProcess)


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0))
def test_an_inactive_child_is_equally_far_from_every_value(a, b) -> None:
    points = np.array([[0.3, a], [0.3, b], [0.3, 0.0]])
    inactive = np.array([[False, False], [False, False], [False, True]])
    out = features.gp_inputs(points, {}, conditional=(1,), inactive=inactive)
    assert out.shape == (3, 3)  # axis 0, then axis 1's two arc columns
    np.testing.assert_allclose(
        np.linalg.norm(out[:2, 1:] - out[2, 1:], axis=1), features.ARC_RADIUS
    )
    # Along the arc, distance grows with |a - b| and is at most the unit distance.
    chord = np.linalg.norm(out[0] - out[1])
    assert chord <= abs(a - b) + 1e-12
    assert chord >= 2 * np.sqrt(2) / np.pi * abs(a - b) - 1e-12


def test_an_inactive_categorical_child_has_no_hot_column() -> None:
    bounds = {1: np.array([1 / 3, 2 / 3])}
    inactive = np.array([[False, False], [False, True]])
    out = features.gp_inputs(np.array([[0.5, 0.5], [0.5, 0.5]]), bounds, (1,), inactive)
    np.testing.assert_array_equal(out[:, 1:], [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


def test_conditional_axes_need_an_activity_function() -> None:
    with pytest.raises(ValueError, match="inactive"):
        features.feature_map({}, conditional=(1,))
    mapped = features.feature_map({}, (1,), lambda p: np.asarray(p) > 0.9)
    assert mapped(np.array([[0.2, 0.95]])).tolist() == [[0.2, 0.0, 0.0]]
