"""GPEIOracle inside a stock keras_tuner.Tuner, with a real (tiny) model."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest

from kt_lrsearch import GPEIOracle


def build(hp: kt.HyperParameters) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    lr = hp.Float("learning_rate", 1e-3, 1.0, sampling="log")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.mark.slow
def test_stock_tuner_completes_a_search(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    oracle = GPEIOracle(
        objective=kt.Objective("val_accuracy", "max"), max_trials=4, num_initial_points=1, seed=3
    )
    tuner = kt.Tuner(
        oracle=oracle,
        hypermodel=build,
        directory=str(tmp_path),
        project_name="stock",
        overwrite=True,
    )
    tuner.search(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    trials = oracle.trials.values()
    assert len(trials) == 4 and all(t.status == "COMPLETED" for t in trials)
    assert len({t.hyperparameters.values["learning_rate"] for t in trials}) == 4
    best = tuner.get_best_hyperparameters()[0]["learning_rate"]
    assert 1e-3 <= best <= 1.0
    assert oracle.get_best_trials()[0].score > 0.6  # clearly above chance (0.5)
