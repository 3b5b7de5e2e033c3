"""GPEIOracle inside a stock keras_tuner.Tuner, with a real (tiny) model."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest
from oracle_helpers import shared_name_space

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


def build_2d(hp: kt.HyperParameters) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(hp.Int("units", 2, 16), activation="relu"),
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
def test_gpei_tuner_is_a_drop_in_for_bayesian_optimization(tmp_path) -> None:
    from kt_lrsearch import GPEITuner, IterationPlotter

    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] - x[:, 2] > 0).astype("int32")
    plotter = IterationPlotter(tmp_path / "plots")
    tuner = GPEITuner(
        build_2d,
        objective="val_accuracy",
        max_trials=5,
        seed=1000,
        directory=str(tmp_path),
        project_name="gpei",
        overwrite=True,
        xi=1.0,
        callbacks=[plotter],
    )
    tuner.search(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert isinstance(tuner.oracle, GPEIOracle) and tuner.oracle.options.xi == 1.0
    trials = tuner.oracle.trials.values()
    assert len(trials) == 5 and all(t.status == "COMPLETED" for t in trials)
    best_hp = tuner.get_best_hyperparameters()[0]
    assert 2 <= best_hp["units"] <= 16 and 1e-3 <= best_hp["learning_rate"] <= 1.0
    (model,) = tuner.get_best_models(1)
    assert model.predict(x[:3], verbose=0).shape == (3, 2)
    tuner.results_summary(1)
    # One figure per evaluation from the second, in two dimensions too.
    assert [p.name for p in plotter.written] == [f"iteration_{i:02d}.png" for i in range(2, 6)]
    # A second tuner on the same project resumes it: nothing left to run.
    again = GPEITuner(
        build_2d,
        objective="val_accuracy",
        max_trials=5,
        seed=1000,
        directory=str(tmp_path),
        project_name="gpei",
    )
    assert len(again.oracle.trials) == 5
    again.search(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    assert len(again.oracle.trials) == 5


def test_the_ready_tuner_takes_every_option_of_the_oracle(tmp_path) -> None:
    """Each keyword-only option of GPEIOracle, given to GPEITuner, reaches its oracle."""
    import dataclasses

    from kt_lrsearch import GPEITuner
    from kt_lrsearch.tuning.tuner import ORACLE_OPTIONS

    given = {
        "grid_size": 4096,
        "num_candidates": 512,
        "xi": 0.5,
        "min_distance": 0.02,
        "failure_penalty": 1.0,
        "ei_stop_threshold": 1e-4,
        "xi_decay": False,
        "refine": False,
        "trust_region": False,
        "callbacks": [object()],
        "warm_start": [],
        "threads": 3,
    }
    assert set(given) == set(ORACLE_OPTIONS)
    objective = kt.Objective("score", "max")
    tuner = GPEITuner(lambda hp: None, objective=objective, directory=str(tmp_path), **given)
    oracle = tuner.oracle
    options = dataclasses.asdict(oracle.options)
    attribute = {"warm_start": "earlier"}  # the sources, once read
    for name, value in given.items():
        got = options[name] if name in options else getattr(oracle, attribute.get(name, name))
        assert list(got) == value if name in attribute else got == value, name


def test_a_tuner_builds_with_the_shared_child_name_the_oracle_proposed(tmp_path) -> None:
    # A common pattern: "units" with its own range under each model type. The
    # hypermodel reads it inside the branch's scope, as a user's build does.
    seen: list[tuple[str, int]] = []

    class Probe(kt.engine.base_tuner.BaseTuner):
        def run_trial(self, trial, *args, **kwargs) -> float:
            hp = trial.hyperparameters
            model = hp.Choice("model", ["mlp", "cnn"])
            with hp.conditional_scope("model", ["mlp"]):
                units = hp.Int("units", 16, 512, step=16) if model == "mlp" else None
            with hp.conditional_scope("model", ["cnn"]):
                units = hp.Int("units", 8, 128, step=8) if model == "cnn" else units
            seen.append((model, units))
            return -abs(np.log2(units) - 5.0) - (model == "mlp")

    oracle = GPEIOracle(
        objective=kt.Objective("score", "max"),
        max_trials=8,
        seed=5,
        hyperparameters=shared_name_space(),
    )
    tuner = Probe(
        oracle=oracle,
        hypermodel=lambda hp: None,
        directory=str(tmp_path),
        project_name="shared",
        overwrite=True,
    )
    tuner.search()
    trials = sorted(oracle.trials.values(), key=lambda t: t.trial_id)
    assert [
        (t.hyperparameters.values["model"], t.hyperparameters.values.get("units")) for t in trials
    ] == seen
    assert len({tuple(sorted(t.hyperparameters.values.items())) for t in trials}) == 8
    assert {m for m, _ in seen} == {"mlp", "cnn"}
    assert all((16 <= u <= 512) if m == "mlp" else (8 <= u <= 128) for m, u in seen)


def test_bayesian_optimizations_ucb_settings_are_ignored_with_a_warning(tmp_path) -> None:
    from kt_lrsearch import GPEITuner

    with pytest.warns(UserWarning, match="ignores alpha and beta") as record:
        tuner = GPEITuner(
            build,
            objective="val_accuracy",
            max_trials=3,
            alpha=1e-4,
            beta=2.6,
            directory=str(tmp_path),
            project_name="swap",
        )
    assert record[0].filename == __file__  # points at the caller's line
    assert isinstance(tuner.oracle, GPEIOracle) and tuner.oracle.max_trials == 3
