"""Model reuse across trials: a protocol any hypermodel can opt into, and the tuner for it.

Keras Tuner calls ``keras.backend.clear_session()`` before every build to free
the previous trial's model. Under TensorFlow that also empties the eager kernel
cache, so a hypermodel that hands back one compiled model every trial (reset to
its initial weights, with the new hyperparameters set) would have its traced
train step instantiated again each trial, for nothing freed.

The protocol: a hypermodel with a truthy ``reuses_model`` attribute promises that
``build(hp)`` returns a model it owns and resets itself. For it the tuner skips
the clear; for every other hypermodel it behaves exactly as Keras Tuner's.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import keras_tuner

from kt_lrsearch.core.files import is_local, save_json
from kt_lrsearch.tuning import kt_private


def reuses_model(hypermodel: Any) -> bool:
    """Whether ``hypermodel`` opted into model reuse (``reuses_model`` set and truthy)."""
    return bool(getattr(hypermodel, "reuses_model", False))


def check_built_model(model: Any, max_model_size: int | None) -> None:
    """Keras Tuner's two checks on a built model, kept for reused models too.

    Raises:
        keras_tuner.errors.FatalTypeError: ``model`` is not a ``keras.Model``.
        keras_tuner.errors.FailedTrialError: it has more trainable parameters
            than ``max_model_size`` (Keras Tuner's own measure of size).
    """
    if not isinstance(model, keras.Model):
        raise keras_tuner.errors.FatalTypeError(
            "Expected the model-building function, or HyperModel.build() to return a "
            f"Keras Model instance. Received: {model!r} of type {type(model)}."
        )
    size = sum(math.prod(w.shape) for w in model.trainable_weights) if model.built else 0
    if max_model_size and size > max_model_size:
        raise keras_tuner.errors.FailedTrialError(f"Oversized model: {size} parameters.")


class ModelReuseTuner(keras_tuner.Tuner):
    """Keras Tuner's ``Tuner``, with model reuse for hypermodels that opt in and atomic saves.

    A hypermodel whose ``reuses_model`` is true is built without the per-trial
    ``clear_session()``; the model-type and ``max_model_size`` checks still run.
    ``save`` writes the tuner's JSON file via a temporary file and a rename, so
    a kill never leaves a truncated state file.
    """

    def _try_build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        if not reuses_model(self.hypermodel):
            return super()._try_build(hp)
        model = kt_private.build_in_scope(self, hp)
        check_built_model(model, self.max_model_size)
        return model

    def save(self) -> None:
        """Saves like Keras Tuner, but the tuner's JSON file atomically (local paths)."""
        fname = kt_private.tuner_file(self)
        if not is_local(fname):
            return super().save()
        if not kt_private.is_worker(self):
            self.oracle.save()
        save_json(fname, self.get_state())
        return None
