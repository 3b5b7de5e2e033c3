"""Training for one learning rate: the Keras Tuner hypermodel and its guard.

Pure Keras 3 (no ``tf.*``): runs under TensorFlow and JAX alike.

A diverging fit (a NaN, infinite or exploding training loss, as SGD gives at
too large a learning rate) stops at once instead of burning the epoch, and reports every
metric at its worst value (-inf for accuracies, +inf for losses). Keras Tuner
then records a COMPLETED trial with a non-finite score, which GPEIOracle treats
as diverged (penalised, shown in plots) and which never counts towards Keras
Tuner's consecutive-failure limit.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import keras_tuner
import numpy as np
import numpy.typing as npt

from kt_lrsearch.model import ResNetConfig, TrainingConfig, build_resnet, compile_model

LEARNING_RATE = "learning_rate"
# Keras's own SGD default; the hyperparameter's default (clamped into range).
DEFAULT_LEARNING_RATE = 0.01


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training once the loss diverges; ``diverged`` tells afterwards.

    Diverged means a non-finite running loss, or one above ``factor`` times the
    first logged value. The second case matters: with batch normalisation a far
    too large rate gave a finite mean loss of 6e13 (measured at lr = 500), while
    cross-entropy on Keras's clipped probabilities cannot exceed about 16.

    Args:
        factor: Growth of the running loss over its first value that counts
            as divergence.
    """

    def __init__(self, factor: float = 10.0) -> None:
        super().__init__()
        self.factor = factor
        self.diverged = False
        self.metric_names: list[str] = []
        self._reference: float | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.diverged, self._reference = False, None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        self.metric_names = list(logs)
        if "loss" not in logs:
            return
        loss = float(logs["loss"])
        if self._reference is None and math.isfinite(loss):
            self._reference = abs(loss)
        too_large = self._reference is not None and loss > self.factor * max(self._reference, 1e-12)
        if not math.isfinite(loss) or too_large:
            self.diverged = True
            self.model.stop_training = True


def worst_metrics(names: list[str]) -> dict[str, float]:
    """Each metric at its worst: +inf for losses and errors, -inf otherwise."""
    return {name: math.inf if ("loss" in name or "error" in name) else -math.inf for name in names}


class LRHyperModel(keras_tuner.HyperModel):
    """The ResNet whose SGD learning rate is ``hp.Float("learning_rate", lo, hi, "log")``.

    Args:
        lr_min: Smallest learning rate searched (> 0).
        lr_max: Largest learning rate searched (> lr_min).
        resnet: Network shape.
        training: Batch size, momentum and speed settings.
    """

    def __init__(
        self,
        lr_min: float = 1e-4,
        lr_max: float = 1e-1,
        *,
        resnet: ResNetConfig | None = None,
        training: TrainingConfig | None = None,
    ) -> None:
        if not (0 < lr_min < lr_max and math.isfinite(lr_max)):
            raise ValueError(
                f"need 0 < lr_min < lr_max (finite), got lr_min={lr_min}, lr_max={lr_max}"
            )
        super().__init__(name="resnet_sgd")
        self.lr_min, self.lr_max = float(lr_min), float(lr_max)
        self.resnet = resnet or ResNetConfig()
        self.training = training or TrainingConfig()

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        default = min(max(DEFAULT_LEARNING_RATE, self.lr_min), self.lr_max)
        learning_rate = hp.Float(
            LEARNING_RATE, self.lr_min, self.lr_max, sampling="log", default=default
        )
        return compile_model(build_resnet(self.resnet), learning_rate, self.training)

    def fit(
        self,
        hp: keras_tuner.HyperParameters,
        model: keras.Model,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.integer],
        *,
        validation_data: tuple[npt.NDArray[np.float32], npt.NDArray[np.integer]],
        epochs: int = 1,
        callbacks: list[keras.callbacks.Callback] | None = None,
        verbose: int | str = 0,
        **kwargs: Any,
    ) -> keras.callbacks.History | dict[str, float]:
        """Fits with the divergence guard; a diverged fit returns the worst metrics."""
        guard = DivergenceGuard()
        history = model.fit(
            x,
            y,
            validation_data=validation_data,
            epochs=epochs,
            batch_size=self.training.batch_size,
            callbacks=[*(callbacks or []), guard],
            verbose=verbose,
            **kwargs,
        )
        if guard.diverged:
            # Names from the batch logs: Keras 3's model.metrics_names says
            # "compile_metrics" where the logs (and objectives) say "accuracy".
            names = guard.metric_names or ["loss"]
            return worst_metrics(names + [f"val_{name}" for name in names])
        return history
