"""The study's end: the final model, its training curves and its confusion matrix.

What a learning-rate study in Keras ends with (the seed study shows curves per
rate and a confusion matrix): the retrained model saved as a loadable ``.keras``
file, its per-epoch loss and accuracy on the training data and on the test set,
and the test set's 10 x 10 confusion matrix with the per-class accuracy. The
test set is only observed here, after the rate was chosen: nothing is decided
on it.
"""

from __future__ import annotations

import importlib.util
import pathlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import numpy.typing as npt

from kt_lrsearch.app.run_config import MODEL_FILE, TENSORBOARD
from kt_lrsearch.core.files import atomic_path

# Fashion-MNIST's labels 0-9 (Xiao et al., 2017, the dataset's README).
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# Keras's history names -> the names the study reports (validation data is the test set).
_CURVES = {
    "loss": "loss",
    "accuracy": "accuracy",
    "val_loss": "test_loss",
    "val_accuracy": "test_accuracy",
}


def confusion_matrix(
    labels: npt.ArrayLike, predicted: npt.ArrayLike, classes: int
) -> npt.NDArray[np.int64]:
    """Counts (classes, classes): row = true class, column = predicted class.

    ``M[i, j] = #{k : labels[k] = i and predicted[k] = j}``, so every row sums
    to the number of test images of that class.
    """
    labels = np.asarray(labels, dtype=np.int64).ravel()
    predicted = np.asarray(predicted, dtype=np.int64).ravel()
    if labels.shape != predicted.shape:
        raise ValueError(f"{labels.size} labels but {predicted.size} predictions")
    flat = np.bincount(labels * classes + predicted, minlength=classes * classes)
    return flat.reshape(classes, classes)


def per_class_accuracy(matrix: npt.NDArray[np.int64]) -> list[float | None]:
    """(classes,) recall of each class, ``M[i, i] / sum_j M[i, j]``; None for an absent class."""
    totals = matrix.sum(axis=1)
    return [float(matrix[i, i] / n) if n else None for i, n in enumerate(totals)]


def curves(history: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Per-epoch curves from a Keras ``History.history``, under the study's names."""
    return {
        name: [float(v) for v in history[key]] for key, name in _CURVES.items() if key in history
    }


def save_model(model: keras.Model, run_dir: pathlib.Path) -> pathlib.Path:
    """Saves ``model`` as ``run_dir / MODEL_FILE``, atomically (a crash keeps the old file)."""
    path = run_dir / MODEL_FILE
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def confusion_report(
    model: keras.Model, images: npt.NDArray[np.float32], labels: npt.NDArray[np.integer]
) -> dict[str, Any]:
    """The confusion matrix and per-class accuracy of ``model`` on the test images."""
    scores = model.predict(images, verbose=0, batch_size=512)
    matrix = confusion_matrix(labels, np.argmax(scores, axis=1), len(CLASS_NAMES))
    return {
        "class_names": list(CLASS_NAMES),
        "confusion_matrix": matrix.tolist(),
        "per_class_accuracy": per_class_accuracy(matrix),
    }


class EpochProgress(keras.callbacks.Callback):
    """One console line per epoch of the final training, with the time left.

    The estimate is the mean epoch time so far times the epochs left.
    """

    def __init__(self, epochs: int, echo: Callable[[str], None]) -> None:
        super().__init__()
        self.epochs, self.echo = epochs, echo
        self._start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        elapsed = time.monotonic() - self._start
        left = elapsed / (epoch + 1) * (self.epochs - epoch - 1)
        parts = [f"final training: epoch {epoch + 1}/{self.epochs}"]
        parts += [f"{name}={logs[key]:.4f}" for key, name in _CURVES.items() if key in logs]
        parts.append(f"{elapsed:.0f}s" + (f", about {left:.0f}s left" if left >= 1 else ""))
        self.echo("  ".join(parts))


def final_callbacks(
    epochs: int, run_dir: pathlib.Path, echo: Callable[[str], None]
) -> list[keras.callbacks.Callback]:
    """The final training's progress lines and its TensorBoard log.

    The log, per-epoch scalars under ``run_dir / TENSORBOARD / final``,
    needs TensorFlow's summary writer; on a backend without TensorFlow it is
    left out and said so.
    """
    callbacks: list[keras.callbacks.Callback] = [EpochProgress(epochs, echo)]
    # Keras's TensorBoard callback writes through TensorFlow, whatever the backend.
    if importlib.util.find_spec("tensorflow") is None:
        echo("no TensorFlow installed: the final training's TensorBoard log is skipped")
        return callbacks
    board = keras.callbacks.TensorBoard(
        log_dir=str(run_dir / TENSORBOARD / "final"),
        histogram_freq=0,
        write_graph=False,
        profile_batch=0,
    )
    return [*callbacks, board]
