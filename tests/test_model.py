"""The functional ResNet: shapes, names, residual arithmetic, SGD compile."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest

from kt_lrsearch.app.model import (
    ResNetConfig,
    TrainingConfig,
    build_resnet,
    compile_model,
    residual_block,
)
from kt_lrsearch.app.training import LRHyperModel


def test_default_network_shapes_and_names() -> None:
    model = build_resnet()
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    names = {layer.name for layer in model.layers}
    assert {"stem_conv", "stage1_block1_add", "stage3_block1_out", "pool", "classifier"} <= names
    # Stage 1 keeps the shape (identity shortcut); later stages project.
    assert "stage1_block1_proj_conv" not in names
    assert {"stage2_block1_proj_conv", "stage3_block1_proj_conv"} <= names
    assert model.get_layer("stage3_block1_out").output.shape[1:] == (7, 7, 64)


def test_depth_and_width_are_configurable() -> None:
    model = build_resnet(ResNetConfig(widths=(8, 16), blocks_per_stage=2))
    names = {layer.name for layer in model.layers}
    assert "stage2_block2_add" in names and "stage3_block1_add" not in names
    assert model.get_layer("stage2_block2_out").output.shape[1:] == (14, 14, 16)


def zero_residual_branch(model: keras.Model, name: str) -> None:
    """gamma = beta = 0 in the branch's last batch norm: the branch outputs 0."""
    bn = model.get_layer(f"{name}_2_bn")
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([np.zeros_like(gamma), np.zeros_like(beta), mean, var])


def test_identity_block_adds_its_input() -> None:
    inputs = keras.Input((6, 6, 4))
    model = keras.Model(inputs, residual_block(inputs, 4, name="b"))
    zero_residual_branch(model, "b")
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32")
    np.testing.assert_allclose(model(x, training=False), np.maximum(x, 0), atol=1e-6)


def test_projection_block_adds_the_projected_input() -> None:
    inputs = keras.Input((6, 6, 4))
    model = keras.Model(inputs, residual_block(inputs, 8, stride=2, name="b"))
    zero_residual_branch(model, "b")
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 4)).astype("float32")
    projection = keras.Model(inputs, model.get_layer("b_proj_bn").output)
    expected = np.maximum(projection(x, training=False), 0)
    np.testing.assert_allclose(model(x, training=False), expected, atol=1e-6)
    assert model.output_shape == (None, 3, 3, 8)


def test_compiled_with_sgd_at_the_given_rate() -> None:
    model = compile_model(build_resnet(), 0.0123, TrainingConfig(momentum=0.8, nesterov=False))
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.learning_rate) == pytest.approx(0.0123)
    assert optimizer.momentum == pytest.approx(0.8) and optimizer.nesterov is False


def test_hypermodel_tunes_a_log_scaled_learning_rate() -> None:
    hp = kt.HyperParameters()
    model = LRHyperModel(2e-4, 3e-2).build(hp)
    (learning_rate,) = hp.space
    assert learning_rate.name == "learning_rate" and learning_rate.sampling == "log"
    assert (learning_rate.min_value, learning_rate.max_value) == (2e-4, 3e-2)
    assert learning_rate.default == 0.01
    assert float(model.optimizer.learning_rate) == pytest.approx(hp.values["learning_rate"])


def test_a_reused_build_is_reset_to_the_initial_state() -> None:
    hypermodel = LRHyperModel(1e-4, 1e-1, resnet=ResNetConfig(widths=(8,)))
    first_hp, second_hp = kt.HyperParameters(), kt.HyperParameters()
    first_hp.Fixed("learning_rate", 0.05)
    second_hp.Fixed("learning_rate", 0.002)
    first = hypermodel.build(first_hp)
    initial = [w.copy() for w in first.get_weights()]
    # Stand-in for a finished trial: scramble every weight and optimizer variable.
    first.set_weights([w + 1.0 for w in initial])
    first.optimizer.build(first.trainable_variables)
    for variable in first.optimizer.variables:
        variable.assign(keras.ops.ones(variable.shape, variable.dtype))
    second = hypermodel.build(second_hp)
    assert second is first
    for got, want in zip(second.get_weights(), initial, strict=True):
        np.testing.assert_array_equal(got, want)
    assert float(second.optimizer.learning_rate) == pytest.approx(0.002)
    assert int(second.optimizer.iterations) == 0
    momenta = [v for v in second.optimizer.variables if v.path.endswith("momentum")]
    assert momenta and all(not np.any(keras.ops.convert_to_numpy(v)) for v in momenta)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: ResNetConfig(widths=()), "widths"),
        (lambda: ResNetConfig(blocks_per_stage=0), "blocks_per_stage"),
        (lambda: ResNetConfig(bn_momentum=1.0), "bn_momentum"),
        (lambda: TrainingConfig(momentum=-0.1), "momentum"),
        (lambda: TrainingConfig(batch_size=0), "batch_size"),
        (lambda: LRHyperModel(1e-1, 1e-4), "lr_min < lr_max"),
        (lambda: LRHyperModel(0.0, 1e-1), "lr_min < lr_max"),
        (lambda: compile_model(build_resnet(), -1.0), "learning_rate"),
    ],
)
def test_bad_configuration_is_rejected(factory, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()
