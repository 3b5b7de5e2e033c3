"""The final evaluation: retrain the chosen rate on train + validation, test once."""

from __future__ import annotations

import math
import pathlib
import time
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

    Without ``learning_rate``, the best trial's rate is retrained.
    """
    import keras_tuner as kt
    import numpy as np

    best = oracle.get_best_trials(1)
    if not best or best[0].score is None or not math.isfinite(best[0].score):
        echo("no completed trial: nothing to retrain")
        return None
    lr = learning_rate or best[0].hyperparameters.values["learning_rate"]
    final = previous_final(run_dir)
    if (
        final is not None
        and final.get("learning_rate") == lr
        and final.get("epochs") == config.final_epochs
        and isinstance(final.get("test_accuracy"), float)
    ):
        echo(f"final evaluation already done: test accuracy {final['test_accuracy']:.4f}")
        return final
    if config.final_epochs == 0:
        return None
    echo(f"retraining lr={lr:.4g} for {config.final_epochs} epoch(s) on train + validation")
    hp = kt.HyperParameters()
    hp.Fixed("learning_rate", lr)
    model = hypermodel.build(hp)
    x = data_module.to_model_input(
        np.concatenate([dataset.train.images, dataset.validation.images])
    )
    y = np.concatenate([dataset.train.labels, dataset.validation.labels])
    start = time.monotonic()
    # Same seeded batches and divergence guard as the trials.
    hypermodel.fit(hp, model, x, y, epochs=config.final_epochs)
    loss, accuracy = model.evaluate(
        data_module.to_model_input(dataset.test.images), dataset.test.labels, verbose=0
    )
    echo(f"test accuracy {accuracy:.4f} (lr={lr:.4g}, {time.monotonic() - start:.0f}s)")
    return {
        "learning_rate": lr,
        "epochs": config.final_epochs,
        "test_accuracy": float(accuracy),
        "test_loss": float(loss),
        "test_images": len(dataset.test),
    }
