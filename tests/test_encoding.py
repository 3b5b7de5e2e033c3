"""Keras Tuner search spaces <-> the unit cube."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import oracle_helpers
import pytest

from kt_lrsearch.tuning.encoding import SpaceEncoder, cells_of, keep_active_values


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


def discrete_hyperparameters() -> list:
    hp = kt.engine.hyperparameters
    return [
        hp.Int("layers", 1, 40),
        hp.Int("units", 16, 512, step=16),
        hp.Int("wide", 1, 1000),
        hp.Int("logstep", 2, 256, step=2, sampling="log"),
        hp.Float("momentum", 0.5, 0.95, step=0.05),
        hp.Choice("opt", ["sgd", "adam", "rmsprop"]),
        hp.Choice("width", [16, 32, 64]),
        hp.Boolean("bn"),
    ]


@pytest.mark.parametrize("index", range(8))
def test_cell_tables_reproduce_keras_tuners_own_mapping_exactly(index: int) -> None:
    from kt_lrsearch.tuning.encoding import _cells, _config_key

    hp = discrete_hyperparameters()[index]
    cells = _cells(_config_key(hp))
    rng = np.random.default_rng(index)
    top = np.nextafter(1.0, 0.0)
    # Random points, both ends, and the floats on either side of every boundary.
    probes = np.concatenate(
        [rng.uniform(size=2000), [0.0, top, 1.0], cells.bounds, np.nextafter(cells.bounds, 0.0)]
    )
    snapped = cells.units[cells.index(probes)]
    expected = [hp.value_to_prob(hp.prob_to_value(min(float(p), top))) for p in probes]
    np.testing.assert_array_equal(snapped, expected)
    assert len(cells.values) == len(set(map(str, cells.values)))


def conditional_space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("lr", 1e-4, 1e-1, sampling="log")
    hps.Choice("model", ["mlp", "cnn", "rnn"])
    with hps.conditional_scope("model", ["mlp"]):
        hps.Int("units", 16, 512, step=16)
        hps.Boolean("residual")
        with hps.conditional_scope("residual", [True]):
            hps.Float("scale", 0.1, 1.0)
    with hps.conditional_scope("model", ["rnn"]):
        hps.Choice("cell", ["lstm", "gru"])
    hps.Fixed("batch", 64)
    return hps


def shared_name_space() -> kt.HyperParameters:
    return oracle_helpers.shared_name_space("lr")


@pytest.mark.parametrize("make", [space, conditional_space, shared_name_space])
def test_vectorised_snap_agrees_with_decoding_row_by_row(make) -> None:
    encoder = SpaceEncoder(make())
    points = np.random.default_rng(5).uniform(size=(3000, encoder.dim))
    points[:10] = 0.0
    points[10:20] = 1.0
    fast = encoder.snap(points)
    slow = encoder._snap_rows(points.copy())
    # Discrete and inactive coordinates exactly; a continuous one within the
    # round-off of Keras Tuner's own decode/encode round trip, which it skips.
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-15)
    discrete = [i for i, hp in enumerate(encoder.tuned) if hp.name not in ("lr", "scale")]
    np.testing.assert_array_equal(fast[:, discrete], slow[:, discrete])


def test_inactive_mask_agrees_with_decoding_row_by_row() -> None:
    encoder = SpaceEncoder(conditional_space())
    points = np.random.default_rng(11).uniform(size=(2000, encoder.dim))
    fast = encoder.inactive_mask(points)
    encoder._vectorised = False  # the decode path, as for spaces it does not cover
    slow = encoder.inactive_mask(points)
    np.testing.assert_array_equal(fast, slow)
    assert fast.any() and not fast.all()
    assert encoder.conditional_axes() == (2, 3, 4, 5)  # units, residual, scale, cell
    assert not fast[:, [0, 1]].any()  # lr and model are always active


def test_a_child_name_shared_by_two_branches_is_vectorised_and_exact() -> None:
    encoder = SpaceEncoder(shared_name_space())
    assert encoder._vectorised  # was decoded row by row: about 1 s a suggestion
    points = np.random.default_rng(3).uniform(size=(500, encoder.dim))
    fast = encoder.inactive_mask(points)
    encoder._vectorised = False
    np.testing.assert_array_equal(fast, encoder.inactive_mask(points))
    # Exactly one of the two `units` columns is active in every point.
    np.testing.assert_array_equal(fast[:, 2] ^ fast[:, 3], np.ones(500, dtype=bool))


def test_keep_active_values_keeps_a_shared_child_name_as_set() -> None:
    for model, units in (("mlp", 272), ("cnn", 32)):
        hps = shared_name_space()
        hps.values = {"lr": 0.01, "model": model, "units": units}
        keep_active_values(hps)
        assert hps.values == {"lr": 0.01, "model": model, "units": units}
    # Why it exists: Keras Tuner's own pass drops the first branch's value.
    stock = shared_name_space()
    stock.values = {"lr": 0.01, "model": "mlp", "units": 272}
    stock.ensure_active_values()
    assert "units" not in stock.values


def test_keep_active_values_drops_inactive_and_draws_missing_values() -> None:
    hps = space()
    hps.values = {"lr": 0.01, "units": 16, "act": "relu", "batch": 32, "scale": 1.5}
    keep_active_values(hps)
    assert "scale" not in hps.values  # its parent is not "tanh"
    hps.values = {"lr": 0.01, "act": "tanh", "batch": 32}
    keep_active_values(hps)
    assert hps.values["units"] in range(8, 65, 8) and 0.5 <= hps.values["scale"] <= 2.0


def test_an_int_on_a_log_scale_without_a_step_has_a_cell_per_integer() -> None:
    # Keras Tuner's default for Int(..., sampling="log"): any integer in range, no
    # step, and its _get_n_values() raises on that; the cells crashed with it.
    hps = kt.HyperParameters()
    hps.Int("width", 8, 512, sampling="log")
    encoder = SpaceEncoder(hps)
    points = np.random.default_rng(2).uniform(size=(400, 1))
    snapped = encoder.snap(points)
    for point, unit in zip(points, snapped, strict=True):
        width = encoder.decode(point)["width"]
        assert isinstance(width, int) and 8 <= width <= 512
        assert encoder.decode(unit)["width"] == width
    assert len({encoder.decode(p)["width"] for p in points}) > 100


def test_values_stay_inside_the_declared_range() -> None:
    hps = kt.HyperParameters()
    hps.Int("b", 1, 1000, sampling="reverse_log")
    hps.Float("a", 1e-4, 1.0, sampling="reverse_log")
    hp = hps.space[0]
    top = np.nextafter(1.0, 0.0)
    assert hp.prob_to_value(top) == 1001  # Keras Tuner's own rounding, next to 1
    encoder = SpaceEncoder(hps)
    edges = np.array([[0.0, 0.0], [top, top], [1.0, 1.0]])
    for point in np.concatenate([edges, encoder.snap(edges)]):
        values = encoder.decode(point)
        assert 1 <= values["b"] <= 1000 and 1e-4 <= values["a"] <= 1.0
    assert max(cells_of(hp).values) == 1000


def test_a_space_without_conditions_is_all_active() -> None:
    hps = kt.HyperParameters()
    hps.Float("lr", 1e-4, 1e-1, sampling="log")
    hps.Choice("act", ["relu", "tanh", "gelu"])
    encoder = SpaceEncoder(hps)
    assert encoder.conditional_axes() == ()
    assert not encoder.inactive_mask(np.full((4, encoder.dim), 0.5)).any()
