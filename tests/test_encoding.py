"""Keras Tuner search spaces <-> the unit cube."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest

from kt_lrsearch.encoding import SpaceEncoder


def space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("lr", 1e-4, 1e-1, sampling="log")
    hps.Int("units", 8, 64, step=8)
    hps.Choice("act", ["relu", "tanh", "gelu"])
    hps.Fixed("batch", 32)
    with hps.conditional_scope("act", ["tanh"]):
        hps.Float("scale", 0.5, 2.0)
    return hps


def test_dimensions_skip_fixed() -> None:
    encoder = SpaceEncoder(space())
    assert encoder.names == ("lr", "units", "act", "scale")


def test_decode_then_encode_is_a_fixed_point() -> None:
    encoder = SpaceEncoder(space())
    rng = np.random.default_rng(0)
    for u in rng.uniform(size=(50, 4)):
        values = encoder.decode(u)
        hps = space()
        hps.values = values
        again = encoder.decode(encoder.encode(hps))
        assert again.keys() == values.keys()
        for name, value in values.items():  # a log Float may move by one ulp
            assert again[name] == (pytest.approx(value, rel=1e-12) if name == "lr" else value)
        assert ("scale" in values) == (values["act"] == "tanh")
        assert values["batch"] == 32


def test_log_float_embedding_is_log_scale() -> None:
    encoder = SpaceEncoder(space())
    hps = space()
    hps.values = {"lr": 10**-2.5, "units": 8, "act": "relu", "batch": 32}
    assert encoder.encode(hps)[0] == pytest.approx(0.5)


def test_top_of_the_cube_decodes_to_the_last_choice() -> None:
    values = SpaceEncoder(space()).decode(np.ones(4))
    assert values["act"] == "gelu" and values["units"] == 64


def test_snap_moves_discrete_coordinates_onto_their_cells() -> None:
    hps = kt.HyperParameters()
    hps.Float("x", 0.0, 1.0)
    hps.Choice("c", [1, 2])
    snapped = SpaceEncoder(hps).snap(np.array([[0.3, 0.1], [0.7, 0.9]]))
    np.testing.assert_allclose(snapped, [[0.3, 0.25], [0.7, 0.75]])


def test_inactive_coordinate_snaps_to_its_default() -> None:
    encoder = SpaceEncoder(space())
    relu = np.array([[0.5, 0.5, 0.1, 0.9]])  # act = relu, so scale is inactive
    scale = space().space[-1]
    assert encoder.snap(relu)[0, 3] == pytest.approx(scale.value_to_prob(scale.default))
