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

from kt_lrsearch.app.faults import StorageError, describe
from kt_lrsearch.app.model import ResNetConfig, TrainingConfig, build_resnet, compile_model
from kt_lrsearch.app.run_config import LEARNING_RATE

# Keras's own SGD default; the hyperparameter's default (clamped into range).
DEFAULT_LEARNING_RATE = 0.01


class TrialStorageError(StorageError, keras_tuner.errors.FatalError):
    """A trial's files could not be written: Keras Tuner must stop, not mark it failed."""


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


class SeededBatches(keras.utils.PyDataset):
    """Shuffled mini-batches of in-memory arrays, in an order fixed by a seed.

    Epoch e visits the images in the e-th permutation drawn from
    ``numpy.random.default_rng(seed)``; the last batch may be short. Keras's own
    shuffle draws from TensorFlow's global seed instead, and resetting that
    before every trial empties TensorFlow's kernel cache (see ``LRHyperModel``).
    Measured as fast as passing the arrays to ``fit`` (1,075 images/s both).

    Args:
        x: Inputs, shape (n, ...).
        y: Labels, shape (n,).
        batch_size: Images per batch.
        seed: Seed of the permutations.
    """

    def __init__(
        self,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.integer],
        batch_size: int,
        seed: int,
    ) -> None:
        super().__init__()
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"need as many labels as images (> 0), got {len(x)} and {len(y)}")
        self.x, self.y, self.batch_size = x, y, int(batch_size)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(x))

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.integer]]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} out of range(0, {len(self)})")
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self) -> None:
        self._order = self._rng.permutation(len(self.x))


def reset_model(
    model: keras.Model, initial_weights: list[npt.NDArray[Any]], learning_rate: float
) -> keras.Model:
    """Puts a compiled model back to where a fresh build would start; returns it.

    Restores every weight (batch-norm moving statistics included), zeroes the
    optimizer's variables (step count and momenta, which a fresh SGD creates
    at zero) and sets the learning rate. The traced train/test functions are kept.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    model.set_weights(initial_weights)
    for variable in model.optimizer.variables:
        variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
    model.optimizer.learning_rate = learning_rate
    return model


class LRHyperModel(keras_tuner.HyperModel):
    """The ResNet whose SGD learning rate is ``hp.Float("learning_rate", lo, hi, "log")``.

    Every trial starts from the same initial weights and sees the batches in the
    same order (both drawn from ``seed``), so two trials differ only in their
    learning rate: common random numbers, which make the objective a
    deterministic function of the rate and a resumed or distributed search
    reproduce an uninterrupted one.

    With ``reuse_model`` (the default) the first ``build`` compiles the network
    and later builds hand back that same model, reset to its initial weights,
    zeroed optimizer state (momenta, step count) and the new rate. The train
    and test steps are then traced once per process instead of once per trial,
    with bit-identical results (tested); docs/benchmarks.md has the per-trial
    time it saves.

    Args:
        lr_min: Smallest learning rate searched (> 0).
        lr_max: Largest learning rate searched (> lr_min).
        resnet: Network shape.
        training: Batch size, momentum and speed settings.
        seed: Seed of the initial weights and of the batch order; None leaves
            Keras's global random state alone (every trial then differs).
        reuse_model: Reuse one compiled model across builds (see above).
    """

    def __init__(
        self,
        lr_min: float = 1e-4,
        lr_max: float = 1e-1,
        *,
        resnet: ResNetConfig | None = None,
        training: TrainingConfig | None = None,
        seed: int | None = 0,
        reuse_model: bool = True,
    ) -> None:
        if not (0 < lr_min < lr_max and math.isfinite(lr_max)):
            raise ValueError(
                f"need 0 < lr_min < lr_max (finite), got lr_min={lr_min}, lr_max={lr_max}"
            )
        super().__init__(name="resnet_sgd")
        self.lr_min, self.lr_max = float(lr_min), float(lr_max)
        self.resnet = resnet or ResNetConfig()
        self.training = training or TrainingConfig()
        self.seed = seed
        self.reuse_model = reuse_model
        self._model: keras.Model | None = None
        self._initial_weights: list[npt.NDArray[Any]] = []

    @property
    def reuses_model(self) -> bool:
        """The protocol of :mod:`kt_lrsearch.tuning.reuse`: one model, reset per build."""
        return self.reuse_model

    def declare(self, hp: keras_tuner.HyperParameters) -> float:
        """Registers the learning-rate hyperparameter in ``hp``; returns its value."""
        default = min(max(DEFAULT_LEARNING_RATE, self.lr_min), self.lr_max)
        return hp.Float(LEARNING_RATE, self.lr_min, self.lr_max, sampling="log", default=default)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        learning_rate = self.declare(hp)
        if self.reuse_model and self._model is not None:
            return reset_model(self._model, self._initial_weights, learning_rate)
        if self.seed is not None:
            # Only when weights are drawn: under TensorFlow, reseeding also
            # empties the eager kernel cache, which costs the oracle's GP
            # ~4 s of re-instantiation on its next fit (measured).
            keras.utils.set_random_seed(self.seed)
        model = compile_model(build_resnet(self.resnet), learning_rate, self.training)
        if self.reuse_model:
            self._model, self._initial_weights = model, model.get_weights()
        return model

    def fit(
        self,
        hp: keras_tuner.HyperParameters,
        model: keras.Model,
        x: npt.NDArray[np.float32],
        y: npt.NDArray[np.integer],
        *,
        validation_data: tuple[npt.NDArray[np.float32], npt.NDArray[np.integer]] | None = None,
        epochs: int = 1,
        callbacks: list[keras.callbacks.Callback] | None = None,
        verbose: int | str = 0,
        **kwargs: Any,
    ) -> keras.callbacks.History | dict[str, float]:
        """Fits with the divergence guard; a diverged fit returns the worst metrics.

        With a seed, the batches come from ``SeededBatches``: the same order in
        every trial. Without one, Keras shuffles as usual.
        """
        guard = DivergenceGuard()
        batch_size, shuffle = self.training.batch_size, kwargs.pop("shuffle", True)
        if self.seed is not None:
            # shuffle=False: Keras would otherwise reorder a PyDataset's batches
            # with Python's unseeded global `random` (seen as drifting results).
            x, y = SeededBatches(x, y, batch_size, self.seed), None
            batch_size, shuffle = None, False
        try:
            history = model.fit(
                x,
                y,
                validation_data=validation_data,
                epochs=epochs,
                batch_size=batch_size,
                shuffle=shuffle,
                callbacks=[*(callbacks or []), guard],
                verbose=verbose,
                **kwargs,
            )
        except OSError as error:
            # A checkpoint or log that cannot be written (a full disk) is not the
            # trial's fault: fatal, so the trial stays unfinished and reruns on resume.
            raise TrialStorageError(describe(error)) from error
        if guard.diverged:
            # Names from the batch logs: Keras 3's model.metrics_names says
            # "compile_metrics" where the logs (and objectives) say "accuracy".
            names = guard.metric_names or ["loss"]
            return worst_metrics(names + [f"val_{name}" for name in names])
        return history
