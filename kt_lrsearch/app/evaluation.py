"""The final evaluation: retrain the chosen rate on train + validation, test once."""

from __future__ import annotations

import math
import pathlib
import time
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kt_lrsearch.app import data as data_module
from kt_lrsearch.app.run_config import SearchConfig, previous_final

if TYPE_CHECKING:
    from kt_lrsearch.app.training import LRHyperModel
    from kt_lrsearch.tuning.oracle import GPEIOracle


def final_evaluation(
    oracle: GPEIOracle,
    hypermodel: LRHyperModel,
    config: SearchConfig,
    dataset: data_module.Dataset,
    run_dir: pathlib.Path,
    echo: Callable[[str], None],
    learning_rate: float | None = None,
) -> dict[str, Any] | None:
    """Retrains ``learning_rate`` (the recommendation) on train + validation; tests once.

    Without ``learning_rate``, the best trial's rate is retrained. Returns the
    final study (:func:`_retrain`), or the one results.json holds when it is of
    the same rate and epochs and its model file is there.
    """
    best = oracle.get_best_trials(1)
    if not best or best[0].score is None or not math.isfinite(best[0].score):
        echo("no completed trial: nothing to retrain")
        return None
    lr = learning_rate or best[0].hyperparameters.values["learning_rate"]
    final = previous_final(run_dir)
    if _already_done(final, lr, config, run_dir):
        echo(f"final evaluation already done: test accuracy {final['test_accuracy']:.4f}")
        return final
    if config.final_epochs == 0:
        return None
    echo(f"retraining lr={lr:.4g} for {config.final_epochs} epoch(s) on train + validation")
    return _retrain(hypermodel, lr, config.final_epochs, dataset, run_dir, echo)


def _retrain(
    hypermodel: LRHyperModel,
    lr: float,
    epochs: int,
    dataset: data_module.Dataset,
    run_dir: pathlib.Path,
    echo: Callable[[str], None],
) -> dict[str, Any]:
    """Trains at ``lr`` on train + validation, tests, and saves the model: the final study.

    The test set is only observed (per epoch, for the curves, and once at the
    end); nothing is chosen on it.
    """
    import keras_tuner as kt
    import numpy as np

    from kt_lrsearch.app import study  # imports Keras: only once a model is trained

    hp = kt.HyperParameters()
    hp.Fixed("learning_rate", lr)
    model = hypermodel.build(hp)
    x = data_module.to_model_input(
        np.concatenate([dataset.train.images, dataset.validation.images])
    )
    y = np.concatenate([dataset.train.labels, dataset.validation.labels])
    x_test, y_test = data_module.to_model_input(dataset.test.images), dataset.test.labels
    start = time.monotonic()
    # Same seeded batches and divergence guard as the trials.
    history = hypermodel.fit(
        hp,
        model,
        x,
        y,
        validation_data=(x_test, y_test),
        epochs=epochs,
        callbacks=study.final_callbacks(epochs, run_dir, echo),
    )
    seconds = time.monotonic() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    echo(f"test accuracy {accuracy:.4f} (lr={lr:.4g}, {seconds:.0f}s)")
    sizes = {"train": len(dataset.train), "validation": len(dataset.validation)}
    return {
        "learning_rate": lr,
        "epochs": epochs,
        "test_accuracy": float(accuracy),
        "test_loss": float(loss),
        "test_images": len(dataset.test),
        "data": {"source": str(dataset.source), **sizes, "test": len(dataset.test)},
        "seconds": seconds,
        "parameters": int(model.count_params()),
        "curves": study.curves(history.history) if hasattr(history, "history") else {},
        **study.confusion_report(model, x_test, y_test),
        "model_file": study.save_model(model, run_dir).name,
    }


def _already_done(
    final: dict[str, Any] | None, lr: float, config: SearchConfig, run_dir: pathlib.Path
) -> bool:
    """Whether results.json holds this rate's final study, and its saved model is whole.

    A ``.keras`` file is a zip archive: one that is not (cut short, emptied)
    is retrained and saved again rather than kept as if it were the model.
    """
    return (
        final is not None
        and final.get("learning_rate") == lr
        and final.get("epochs") == config.final_epochs
        and isinstance(final.get("test_accuracy"), float)
        and isinstance(final.get("model_file"), str)
        and zipfile.is_zipfile(run_dir / final["model_file"])
    )
