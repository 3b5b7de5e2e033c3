"""IterationPlotter attached to GPEIOracle: protocol loop and a stock tuner."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest
from oracle_helpers import make_oracle, peaked, run_loop

from kt_lrsearch import GPEIOracle
from kt_lrsearch.callbacks import IterationPlotter


def test_one_figure_per_evaluation_from_the_second(tmp_path) -> None:
    plotter = IterationPlotter(tmp_path / "plots")
    oracle = make_oracle(str(tmp_path / "o"), max_trials=4, num_initial_points=1,
                         callbacks=[plotter])  # fmt: skip
    run_loop(oracle, peaked, 4)
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == ["iteration_02.png", "iteration_03.png", "iteration_04.png"]


def test_a_failing_callback_warns_and_the_search_goes_on(tmp_path) -> None:
    class Broken:
        def on_trial_end(self, oracle, trial):
            raise OSError("disk full")

    oracle = make_oracle(str(tmp_path), max_trials=3, num_initial_points=1, callbacks=[Broken()])
    with pytest.warns(RuntimeWarning, match="disk full"):
        trials = run_loop(oracle, peaked, 3)
    assert len(trials) == 3


def test_rejects_first_below_one(tmp_path) -> None:
    with pytest.raises(ValueError, match="first"):
        IterationPlotter(tmp_path, first=0)


def build(hp: kt.HyperParameters) -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    learning_rate = hp.Float("learning_rate", 1e-3, 1.0, sampling="log")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


@pytest.mark.slow
def test_plots_from_inside_a_stock_tuner(tmp_path) -> None:
    """Not our tuner: a stock keras_tuner.Tuner, given the oracle and its callback."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    plotter = IterationPlotter(tmp_path / "plots")
    oracle = GPEIOracle(objective=kt.Objective("val_accuracy", "max"), max_trials=3,
                        num_initial_points=1, seed=1, callbacks=[plotter])  # fmt: skip
    tuner = kt.Tuner(oracle=oracle, hypermodel=build, directory=str(tmp_path),
                     project_name="p")  # fmt: skip
    tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert [p.name for p in plotter.written] == ["iteration_02.png", "iteration_03.png"]
