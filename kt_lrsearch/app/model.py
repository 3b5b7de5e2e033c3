"""A small functional-API ResNet for Fashion-MNIST, compiled with SGD.

Pure Keras 3 (layers and ``keras.ops`` only, no ``tf.*``), so the same code runs
under the TensorFlow backend (the default) and under JAX.

Architecture (defaults): a 3x3 stem convolution with ``widths[0]`` filters,
then one stage per entry of ``widths`` with ``blocks_per_stage`` residual blocks
each, the first block of every stage after the first halving the resolution
(28 -> 14 -> 7), then global average pooling and a softmax classifier.

A residual block is  y = relu(BN(conv3x3(relu(BN(conv3x3(x))))) + shortcut(x)),
where the shortcut is the identity when shapes match and a strided 1x1
convolution with batch normalisation (a projection) when they do not.
"""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

# Batch normalisation momentum. Keras's default (0.99) leaves the moving
# statistics near their initial values after the ~100 steps of a 1-epoch run
# on a few thousand images, so validation (inference mode) collapses to chance;
# 0.9 tracks the data within ~20 steps (see the shared PITFALLS measurements).
BN_MOMENTUM = 0.9


@dataclasses.dataclass(frozen=True)
class ResNetConfig:
    """Shape of the network.

    Attributes:
        widths: Filters per stage; each stage after the first halves the
            resolution. The default (16, 32, 64) is the speed/accuracy choice
            recorded in docs/benchmarks.md.
        blocks_per_stage: Residual blocks in every stage.
        num_classes: Output classes.
        input_shape: (height, width, channels) of one image.
        bn_momentum: Batch-normalisation momentum (see ``BN_MOMENTUM``).
    """

    widths: tuple[int, ...] = (16, 32, 64)
    blocks_per_stage: int = 1
    num_classes: int = 10
    input_shape: tuple[int, int, int] = (28, 28, 1)
    bn_momentum: float = BN_MOMENTUM

    def __post_init__(self) -> None:
        if not self.widths or any(int(w) < 1 for w in self.widths):
            raise ValueError(f"widths must be positive integers, got {self.widths}")
        if self.blocks_per_stage < 1:
            raise ValueError(f"blocks_per_stage must be >= 1, got {self.blocks_per_stage}")
        if not 0.0 <= self.bn_momentum < 1.0:
            raise ValueError(f"bn_momentum must be in [0, 1), got {self.bn_momentum}")


def _conv_bn(
    x: keras.KerasTensor, filters: int, kernel: int, stride: int, name: str, momentum: float
) -> keras.KerasTensor:
    # No conv bias: the batch normalisation that follows has its own shift.
    x = layers.Conv2D(
        filters,
        kernel,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=f"{name}_conv",
    )(x)
    return layers.BatchNormalization(momentum=momentum, name=f"{name}_bn")(x)


def residual_block(
    x: keras.KerasTensor,
    filters: int,
    *,
    stride: int = 1,
    name: str,
    bn_momentum: float = BN_MOMENTUM,
) -> keras.KerasTensor:
    """One residual block; returns a tensor of shape (h / stride, w / stride, filters).

    Layers are named ``{name}_1_conv``, ``{name}_1_bn``, ``{name}_1_relu``,
    ``{name}_2_conv``, ``{name}_2_bn``, ``{name}_proj_conv`` / ``{name}_proj_bn``
    (only when the shape changes), ``{name}_add`` and ``{name}_out``.

    Args:
        x: Input tensor (batch, h, w, c).
        filters: Output channels.
        stride: 2 halves the resolution (the shortcut is then projected).
        name: Prefix of every layer's name.
        bn_momentum: Batch-normalisation momentum.
    """
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv_bn(x, filters, 1, stride, f"{name}_proj", bn_momentum)
    y = _conv_bn(x, filters, 3, stride, f"{name}_1", bn_momentum)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = _conv_bn(y, filters, 3, 1, f"{name}_2", bn_momentum)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def build_resnet(config: ResNetConfig | None = None) -> keras.Model:
    """The functional ResNet described in the module docstring (uncompiled)."""
    config = config or ResNetConfig()
    inputs = keras.Input(shape=config.input_shape, name="image")
    x = _conv_bn(inputs, config.widths[0], 3, 1, "stem", config.bn_momentum)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage, filters in enumerate(config.widths):
        for block in range(config.blocks_per_stage):
            stride = 2 if stage > 0 and block == 0 else 1
            x = residual_block(
                x,
                filters,
                stride=stride,
                name=f"stage{stage + 1}_block{block + 1}",
                bn_momentum=config.bn_momentum,
            )
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(config.num_classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="resnet")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How a model is compiled and fitted (everything but the learning rate).

    Attributes:
        momentum: SGD momentum.
        nesterov: Nesterov momentum.
        batch_size: Images per step.
        steps_per_execution: Train steps per call into the compiled function
            (the maths is unchanged). 1 by default: on the 2-core CPU, 8 was
            measured 30% slower under TensorFlow (docs/benchmarks.md); raise it
            on a GPU, where per-step dispatch dominates.
        jit_compile: XLA-compile the train step. "auto" (Keras's rule) means
            on for GPUs and JAX, off on CPU-only TensorFlow, where XLA was
            measured slower and larger (docs/benchmarks.md).
    """

    momentum: float = 0.9
    nesterov: bool = True
    batch_size: int = 128
    steps_per_execution: int = 1
    jit_compile: bool | str = "auto"

    def __post_init__(self) -> None:
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if self.batch_size < 1 or self.steps_per_execution < 1:
            raise ValueError("batch_size and steps_per_execution must be >= 1")


def compile_model(
    model: keras.Model, learning_rate: float, training: TrainingConfig | None = None
) -> keras.Model:
    """Compiles with SGD, sparse categorical cross-entropy and accuracy; returns ``model``."""
    training = training or TrainingConfig()
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    model.compile(
        optimizer=keras.optimizers.SGD(
            learning_rate=learning_rate, momentum=training.momentum, nesterov=training.nesterov
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=training.steps_per_execution,
        jit_compile=training.jit_compile,
    )
    return model
