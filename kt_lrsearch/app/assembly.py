"""The parts of a run, built from its configuration: hypermodel, oracle, callbacks, tuner.

The same configuration always builds the same parts, so a resumed run, a worker
and a replay of the figures (one oracle per figure) see what the first run saw.
TensorFlow and Keras Tuner are imported inside the builders: the CLI sets its
console up before they load.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kt_lrsearch.app import data as data_module
from kt_lrsearch.app.progress import TrialLog
from kt_lrsearch.app.replay import TITLE
from kt_lrsearch.app.run_config import OBJECTIVE, PLOTS, PROJECT, TENSORBOARD, SearchConfig
from kt_lrsearch.figures.callbacks import IterationPlotter
from kt_lrsearch.tuning import warm_start

if TYPE_CHECKING:
    import keras_tuner

    from kt_lrsearch.app.training import LRHyperModel
    from kt_lrsearch.tuning.oracle import GPEIOracle


def hypermodel_for(config: SearchConfig) -> LRHyperModel:
    from kt_lrsearch.app.model import TrainingConfig
    from kt_lrsearch.app.training import LRHyperModel

    return LRHyperModel(
        config.lr_min,
        config.lr_max,
        seed=config.seed,
        training=TrainingConfig(batch_size=config.batch_size),
    )


def oracle_for(
    config: SearchConfig, callbacks: list[Any], earlier: Sequence[warm_start.EarlierTrial]
) -> GPEIOracle:
    """The run's GPEIOracle; the same arguments rebuild it for a replay.

    ``earlier``: the warm start's trials as ``read_warm_start`` read them, so a
    replay that builds an oracle per figure does not read the sources again.
    """
    import keras_tuner as kt

    from kt_lrsearch.tuning.oracle import GPEIOracle

    space = kt.HyperParameters()
    hypermodel_for(config).declare(space)
    return GPEIOracle(
        objective=kt.Objective(OBJECTIVE, "max"),
        max_trials=config.max_trials,
        num_initial_points=config.initial_points,
        seed=config.seed,
        hyperparameters=space,
        callbacks=callbacks,
        warm_start=[earlier] if earlier else (),
    )


def callbacks_for(
    config: SearchConfig, run_dir: pathlib.Path, echo: Callable[[str], None]
) -> list[Any]:
    # The progress line first, then the figure (which fits the GP).
    return [
        TrialLog(run_dir, config.max_trials, echo),
        IterationPlotter(run_dir / PLOTS, title=TITLE),
    ]


def tune(
    config: SearchConfig,
    run_dir: pathlib.Path,
    dataset: data_module.Dataset,
    callbacks: list[Any],
    echo: Callable[[str], None] | None = None,
    earlier: Sequence[warm_start.EarlierTrial] = (),
) -> keras_tuner.Tuner:
    """Builds the run's tuner and searches with it; returns the tuner.

    In a worker (Keras Tuner's environment variables set) the tuner forwards
    every oracle call to the chief, ``callbacks`` stay empty and ``echo`` None.
    """
    from kt_lrsearch.tuning.reuse import ModelReuseTuner

    # Keras Tuner prints "Reloading Tuner from ..." unconditionally; a resume is
    # reported once, below, in our own words (issue 14: progress lines only).
    with contextlib.redirect_stdout(io.StringIO()):
        tuner = ModelReuseTuner(
            oracle=oracle_for(config, callbacks, earlier),
            hypermodel=hypermodel_for(config),
            directory=str(run_dir),
            project_name=PROJECT,
            overwrite=False,
        )
    if echo is not None and tuner.oracle.trials:  # a worker's OracleClient has no trials
        echo(f"resuming: {len(tuner.oracle.trials)} trial(s) already on disk")
    x, y = data_module.to_model_input(dataset.train.images), dataset.train.labels
    val = (data_module.to_model_input(dataset.validation.images), dataset.validation.labels)
    tuner.search(
        x,
        y,
        validation_data=val,
        epochs=config.epochs,
        verbose=0,
        callbacks=tensorboard_callbacks(run_dir),
    )
    return tuner


def tensorboard_callbacks(run_dir: pathlib.Path) -> list[Any]:
    """A TensorBoard callback under RUN_DIR/tensorboard (TensorFlow backend only).

    Keras Tuner gives it a directory per trial (``<trial_id>/execution0``) and
    adds its HParams callback, so TensorBoard's HParams dashboard lists every
    trial's learning rate with its metrics. Epoch-level scalars only: no graph,
    no profiling, no images, to keep a trial's cost unchanged. Other backends
    have no TensorFlow to write summaries with, so they get none.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return []
    return [
        keras.callbacks.TensorBoard(
            log_dir=str(run_dir / TENSORBOARD), write_graph=False, profile_batch=0
        )
    ]
