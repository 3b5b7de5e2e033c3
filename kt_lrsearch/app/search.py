"""One learning-rate search run: wires data, model, oracle, tuner and callbacks.

Everything user-facing goes through :func:`run_search` (and :func:`run_worker`,
:func:`regenerate`); the run directory and its configuration live in
:mod:`kt_lrsearch.app.run_config`, progress in :mod:`kt_lrsearch.app.progress`, the final
evaluation in :mod:`kt_lrsearch.app.evaluation`, the artifacts in
:mod:`kt_lrsearch.app.report` and figure replay in :mod:`kt_lrsearch.app.replay`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import pathlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kt_lrsearch.app import data as data_module
from kt_lrsearch.app.distributed import LOOPBACK
from kt_lrsearch.app.evaluation import final_evaluation
from kt_lrsearch.app.progress import TrialLog
from kt_lrsearch.app.replay import TITLE, drawing_pool, redraw_missing_figures, replay_figures
from kt_lrsearch.app.report import load_trials, write_artifacts
from kt_lrsearch.app.run_config import (
    LEARNING_RATE,
    OBJECTIVE,
    PLOTS,
    PROJECT,
    TENSORBOARD,
    WORKER_LOGS,
    SearchConfig,
    SearchError,
    check_state_files,
    make_run_dir,
    prepare_run_dir,
    previous_final,
    read_config,
)
from kt_lrsearch.app.run_lock import run_lock
from kt_lrsearch.core.recommendation import Recommendation, bound_warning
from kt_lrsearch.figures.callbacks import IterationPlotter
from kt_lrsearch.tuning import warm_start
from kt_lrsearch.tuning.warm_start import WarmStartError

if TYPE_CHECKING:  # the real imports are lazy: TensorFlow loads only for a run
    import keras_tuner

    from kt_lrsearch.app.training import LRHyperModel
    from kt_lrsearch.tuning.oracle import GPEIOracle


def run_search(
    config: SearchConfig,
    run_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    echo: Callable[[str], None] = print,
    workers: int = 0,
    worker_command: Sequence[str] = (),
    host: str = LOOPBACK,
    port: int | None = None,
) -> dict[str, Any]:
    """Runs (or resumes) a search, retrains the best rate, writes every artifact.

    With ``workers`` > 0 this process becomes the chief of a distributed search
    (:mod:`kt_lrsearch.app.distributed`): it serves the oracle on ``host:port`` (a
    free port when None) and starts ``workers`` processes running
    ``worker_command`` (which must end up in :func:`run_worker`).

    Returns:
        The content of ``results.json``.

    Raises:
        SearchError: Bad options, unusable output directory, mismatched run,
            a failed worker.
        kt_lrsearch.app.data.DataError: Missing or invalid data files.
    """
    config.validate()
    _validate_distribution(workers, worker_command, host, port)
    run_dir = pathlib.Path(run_dir)
    data_fingerprint = data_module.fingerprint(data_module.locate(config.data_dir))
    sources = warm_sources(config)
    earlier = read_warm_start(config, sources, run_dir)
    for source in sources:
        if isinstance(source, warm_start.Rescaled):
            factor = source.factors[LEARNING_RATE]
            echo(f"warm start {source.source}: searched at batch size "
                 f"{round(config.batch_size / factor)}, this search at {config.batch_size}: "
                 f"its learning rates count x{factor:.3g} (linear scaling rule)")  # fmt: skip
    make_run_dir(run_dir, overwrite)  # only after the inputs check out: nothing written before
    with run_lock(run_dir, "search", echo):
        extended = prepare_run_dir(run_dir, config, overwrite, data_fingerprint)
        if extended is not None:
            echo(f"extending the run from {extended} to {config.max_trials} trials")
        return _search_locked(config, run_dir, echo, workers, worker_command, host, port,
                              earlier)  # fmt: skip


def _search_locked(config: SearchConfig, run_dir: pathlib.Path, echo: Callable[[str], None],
                   workers: int, worker_command: Sequence[str], host: str, port: int | None,
                   earlier: Sequence[warm_start.EarlierTrial]) -> dict[str, Any]:  # fmt: skip
    """The search proper, in a prepared run directory whose lock this process holds.

    ``earlier``: the warm start's trials, read once (each oracle built here gets them).
    """
    # Status lines before the steps that can take more than ~3 s (issue 14).
    echo("loading data (the full dataset takes a few seconds)")
    dataset = data_module.load(config.data_dir, validation_fraction=config.validation_fraction,
                               seed=config.seed, train_limit=config.train_limit)  # fmt: skip
    echo(f"data: {len(dataset.train)} train / {len(dataset.validation)} validation / "
         f"{len(dataset.test)} test images from {dataset.source}")  # fmt: skip
    echo("starting: TensorFlow loads and the first trial compiles the model (about 10 s)")
    start = time.monotonic()
    if workers:
        oracle = _chief_oracle(config, run_dir, echo, earlier)
        _serve_workers(oracle, run_dir, workers, worker_command, host, port, echo)
        hypermodel = _hypermodel(config)
    else:
        tuner = _tune(config, run_dir, dataset, _callbacks(config, run_dir, echo), echo, earlier)
        oracle, hypermodel = tuner.oracle, tuner.hypermodel
    echo(f"search finished in {time.monotonic() - start:.0f}s")
    drawn = redraw_missing_figures(lambda: _oracle(config, [], earlier),
                                   list(oracle.trials.values()), run_dir / PLOTS)  # fmt: skip
    if drawn:
        # Missing after a kill, or the last figure of a run whose budget was extended
        # (it had shown no next point; run_config removes it).
        echo(f"drew {len(drawn)} iteration figure(s) missing from the run directory")
    advice = recommend(oracle, echo)
    final = final_evaluation(oracle, hypermodel, config, dataset, run_dir, echo,
                             learning_rate=advice.value if advice else None)  # fmt: skip
    return _write_artifacts(oracle, config, run_dir, final, advice)


def read_warm_start(config: SearchConfig, sources: Sequence[warm_start.Source],
                    run_dir: pathlib.Path) -> list[warm_start.EarlierTrial]:  # fmt: skip
    """The earlier trials of ``sources`` (``warm_sources(config)``), read once.

    Checked before anything is written: each source readable, of this
    objective, over the learning rate, and not the run directory itself.

    Raises:
        WarmStartError: A source that cannot warm-start this search.
    """
    earlier: list[warm_start.EarlierTrial] = []
    for path, source in zip(config.warm_start, sources, strict=True):
        if pathlib.Path(path).resolve() == run_dir.resolve():
            raise WarmStartError(f"--warm-start {path}: that is --out itself; name an "
                                 "earlier run directory")  # fmt: skip
        trials = warm_start.load([source], OBJECTIVE, "max")
        for trial in trials:
            if LEARNING_RATE not in trial.values:
                raise WarmStartError(
                    f"--warm-start {path}: a different search space (its trials tune "
                    f"{', '.join(sorted(trial.values)) or 'nothing'}, not {LEARNING_RATE})"
                )
        earlier += trials
    return earlier


def warm_sources(config: SearchConfig) -> list[warm_start.Source]:
    """``config.warm_start`` as the oracle's sources.

    An earlier kt_lrsearch run at another batch size has its learning rates
    multiplied by this batch size over its own (the linear scaling rule,
    :class:`kt_lrsearch.tuning.warm_start.Rescaled`): its best rate then lands where
    this search's is likely to be. A Keras Tuner project (``RUN/tuner``)
    carries no batch size and is used as it is.
    """
    sources: list[warm_start.Source] = []
    for path in config.warm_start:
        earlier = _batch_size_of(pathlib.Path(path))
        if earlier is not None and earlier != config.batch_size:
            factor = config.batch_size / earlier
            sources.append(warm_start.Rescaled(path, {LEARNING_RATE: factor}))
        else:
            sources.append(path)
    return sources


def _batch_size_of(path: pathlib.Path) -> int | None:
    """The batch size an earlier run directory searched at; None if it is not one."""
    if not warm_start.is_run_directory(path):
        return None
    try:
        return read_config(path).batch_size
    except SearchError as error:
        raise WarmStartError(f"warm start {path}: {error}; repair it, or name its Keras "
                             f"Tuner project {path / 'tuner'} instead") from None  # fmt: skip


def _validate_distribution(workers: int, worker_command: Sequence[str], host: str,
                           port: int | None) -> None:  # fmt: skip
    if workers < 0:
        raise SearchError(f"--workers must be an integer >= 0 (0: no workers), got {workers}")
    if workers and not worker_command:
        raise SearchError("--workers needs a command that starts a worker")
    if not host.strip():
        raise SearchError("--host must be an address to bind, such as 127.0.0.1")
    if port is not None and not 0 < port < 65536:
        raise SearchError(f"--port must be in 1-65535, got {port}")


def _serve_workers(oracle: GPEIOracle, run_dir: pathlib.Path, workers: int,
                   worker_command: Sequence[str], host: str, port: int | None,
                   echo: Callable[[str], None]) -> None:  # fmt: skip
    from kt_lrsearch.app import distributed

    try:
        distributed.run_chief(oracle, workers=workers, worker_command=worker_command, host=host,
                              port=distributed.free_port(host) if port is None else port,
                              log_dir=run_dir / WORKER_LOGS, echo=echo)  # fmt: skip
    except distributed.DistributedError as error:
        raise SearchError(str(error)) from None
    except OSError as error:  # an address that cannot be resolved or bound, a worker not started
        raise SearchError(f"cannot run the chief on --host {host} ({error}); check --host and "
                          "--port") from None  # fmt: skip


def _chief_oracle(config: SearchConfig, run_dir: pathlib.Path, echo: Callable[[str], None],
                  earlier: Sequence[warm_start.EarlierTrial]) -> GPEIOracle:  # fmt: skip
    """The oracle of a distributed search, with its callbacks, resumed if saved."""
    oracle = _oracle(config, _callbacks(config, run_dir, echo), earlier)
    oracle._set_project_dir(str(run_dir), PROJECT)
    oracle.verbose = 0  # Keras Tuner's own per-trial printout; TrialLog reports instead
    if (run_dir / PROJECT / "oracle.json").exists():
        oracle.reload()
    return oracle


def run_worker(
    run_dir: str | os.PathLike[str],
    *,
    data_dir: str | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Trains trials for the chief named by Keras Tuner's environment variables.

    The configuration comes from ``run_dir/config.json`` (written by the chief),
    so every process builds the same hypermodel; ``data_dir`` overrides where
    the data lives on this machine.

    Raises:
        SearchError: Missing variables, no configuration, mismatched data.
        kt_lrsearch.app.data.DataError: Missing or invalid data files.
    """
    from kt_lrsearch.app import distributed

    try:
        host, port, tuner_id = distributed.worker_settings()
    except distributed.DistributedError as error:
        raise SearchError(str(error)) from None
    run_dir = pathlib.Path(run_dir)
    # A worker's oracle is the chief's (Keras Tuner swaps in a client): the warm
    # start lives there, and its earlier runs need not exist on this machine.
    config = dataclasses.replace(read_config(run_dir), warm_start=())
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=data_dir)
    dataset = data_module.load(config.data_dir, validation_fraction=config.validation_fraction,
                               seed=config.seed, train_limit=config.train_limit)  # fmt: skip
    echo(f"worker {tuner_id}: chief {host}:{port}, {len(dataset.train)} train images")
    # Keras Tuner's environment variables make this tuner a client of the chief.
    _tune(config, run_dir, dataset, [], earlier=())
    echo(f"worker {tuner_id}: the chief says the search is over")


def _hypermodel(config: SearchConfig) -> LRHyperModel:
    from kt_lrsearch.app.model import TrainingConfig
    from kt_lrsearch.app.training import LRHyperModel

    return LRHyperModel(config.lr_min, config.lr_max, seed=config.seed,
                        training=TrainingConfig(batch_size=config.batch_size))  # fmt: skip


def _oracle(config: SearchConfig, callbacks: list[Any],
            earlier: Sequence[warm_start.EarlierTrial]) -> GPEIOracle:  # fmt: skip
    """The run's GPEIOracle; the same arguments rebuild it for a replay.

    ``earlier``: the warm start's trials as ``read_warm_start`` read them, so a
    replay that builds an oracle per figure does not read the sources again.
    """
    import keras_tuner as kt

    from kt_lrsearch.tuning.oracle import GPEIOracle

    space = kt.HyperParameters()
    _hypermodel(config).declare(space)
    return GPEIOracle(
        objective=kt.Objective(OBJECTIVE, "max"),
        max_trials=config.max_trials,
        num_initial_points=config.initial_points,
        seed=config.seed,
        hyperparameters=space,
        callbacks=callbacks,
        warm_start=[earlier] if earlier else (),
    )


def _callbacks(config: SearchConfig, run_dir: pathlib.Path,
               echo: Callable[[str], None]) -> list[Any]:  # fmt: skip
    # The progress line first, then the figure (which fits the GP).
    return [TrialLog(run_dir, config.max_trials, echo),
            IterationPlotter(run_dir / PLOTS, title=TITLE)]  # fmt: skip


def _tune(config: SearchConfig, run_dir: pathlib.Path, dataset: data_module.Dataset,
          callbacks: list[Any], echo: Callable[[str], None] | None = None,
          earlier: Sequence[warm_start.EarlierTrial] = ()) -> keras_tuner.Tuner:  # fmt: skip
    """Builds the run's tuner and searches with it; returns the tuner.

    In a worker (Keras Tuner's environment variables set) the tuner forwards
    every oracle call to the chief, ``callbacks`` stay empty and ``echo`` None.
    """
    from kt_lrsearch.tuning.reuse import ModelReuseTuner

    # Keras Tuner prints "Reloading Tuner from ..." unconditionally; a resume is
    # reported once, below, in our own words (issue 14: progress lines only).
    with contextlib.redirect_stdout(io.StringIO()):
        tuner = ModelReuseTuner(oracle=_oracle(config, callbacks, earlier),
                                hypermodel=_hypermodel(config), directory=str(run_dir),
                                project_name=PROJECT, overwrite=False)  # fmt: skip
    if echo is not None and tuner.oracle.trials:  # a worker's OracleClient has no trials
        echo(f"resuming: {len(tuner.oracle.trials)} trial(s) already on disk")
    x, y = data_module.to_model_input(dataset.train.images), dataset.train.labels
    val = (data_module.to_model_input(dataset.validation.images), dataset.validation.labels)
    tuner.search(x, y, validation_data=val, epochs=config.epochs, verbose=0,
                 callbacks=_tensorboard(run_dir))  # fmt: skip
    return tuner


def _tensorboard(run_dir: pathlib.Path) -> list[Any]:
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
    return [keras.callbacks.TensorBoard(log_dir=str(run_dir / TENSORBOARD), write_graph=False,
                                        profile_batch=0)]  # fmt: skip


def regenerate(run_dir: str | os.PathLike[str], echo: Callable[[str], None] = print) -> dict:
    """Rebuilds every figure and the report of a run directory; trains nothing."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise SearchError(f"{run_dir}: no such run directory")
    config = read_config(run_dir)
    check_state_files(run_dir)
    with run_lock(run_dir, "report", echo), drawing_pool() as pool:
        earlier = read_warm_start(config, warm_sources(config), run_dir)
        oracle = _oracle(config, [], earlier)
        oracle._set_project_dir(str(run_dir), PROJECT)
        oracle.reload()
        trials = list(oracle.trials.values())
        echo(f"{len(trials)} trial(s) read; redrawing the iteration figures")
        written = replay_figures(lambda: _oracle(config, [], earlier), trials, run_dir / PLOTS,
                                 progress=echo, pool=pool)  # fmt: skip
        echo(f"redrew {len(written)} iteration figure(s); writing the report")
        return _write_artifacts(oracle, config, run_dir, previous_final(run_dir),
                                recommend(oracle, echo))  # fmt: skip


def recommend(oracle: GPEIOracle, echo: Callable[[str], None]) -> Recommendation | None:
    """The model's recommended rate and range (see kt_lrsearch.core.recommendation), echoed."""
    advice = oracle.decision_view().recommend()
    if advice is None:
        return None
    echo(f"recommended learning rate {advice.value:.2g} (range {advice.low:.2g} to "
         f"{advice.high:.2g}, where the model cannot tell rates apart)")  # fmt: skip
    warning = bound_warning(advice)
    if warning:
        echo(f"warning: {warning}")
    if (relation := oracle.decision_view().relation) is not None:
        echo(f"warm start: {relation.verdict}")
    return advice


def _write_artifacts(oracle: GPEIOracle, config: SearchConfig, run_dir: pathlib.Path,
                     final: dict[str, Any] | None,
                     advice: Recommendation | None) -> dict[str, Any]:  # fmt: skip
    earlier = [{"learning_rate": t.values.get(LEARNING_RATE), "score": t.score,
                "source": t.source, "rate_factor": t.factors.get(LEARNING_RATE, 1.0)}
               for t in oracle.earlier]  # fmt: skip
    relation = oracle.decision_view().relation
    return write_artifacts(run_dir, config=dataclasses.asdict(config),
                           trials=load_trials(oracle, run_dir), final=final,
                           objective=oracle.objective.name,
                           direction=oracle.objective.direction,
                           recommendation=advice, warm_start=earlier,
                           relation=relation.as_dict() if relation else None)  # fmt: skip
