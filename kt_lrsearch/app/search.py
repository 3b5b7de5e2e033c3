"""One learning-rate search run: wires data, model, oracle, tuner and callbacks.

Everything user-facing goes through :func:`run_search` (and :func:`run_worker`,
:func:`regenerate`); the run directory and its configuration live in
:mod:`kt_lrsearch.app.run_config`, progress in :mod:`kt_lrsearch.app.progress`, the final
evaluation in :mod:`kt_lrsearch.app.evaluation`, the artifacts in
:mod:`kt_lrsearch.app.report` and figure replay in :mod:`kt_lrsearch.app.replay`.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kt_lrsearch.app import data as data_module
from kt_lrsearch.app import study_report
from kt_lrsearch.app.assembly import callbacks_for, hypermodel_for, oracle_for, tune
from kt_lrsearch.app.distributed import LOOPBACK
from kt_lrsearch.app.evaluation import final_evaluation
from kt_lrsearch.app.progress import EVENTS, read_events
from kt_lrsearch.app.replay import drawing_pool, redraw_missing_figures, replay_figures
from kt_lrsearch.app.report import load_trials, write_artifacts
from kt_lrsearch.app.run_config import (
    LEARNING_RATE,
    PLOTS,
    PROJECT,
    WORKER_LOGS,
    SearchConfig,
    SearchError,
    make_run_dir,
    prepare_run_dir,
    previous_final,
    read_config,
)
from kt_lrsearch.app.run_lock import run_lock
from kt_lrsearch.app.state_files import check_state_files
from kt_lrsearch.app.warm_sources import read_warm_start, warm_sources
from kt_lrsearch.core.recommendation import Recommendation, bound_warning
from kt_lrsearch.tuning import kt_private, warm_start

if TYPE_CHECKING:  # the real imports are lazy: TensorFlow loads only for a run
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
    earlier = read_warm_start(config, sources, run_dir, echo)
    for source in sources:
        if isinstance(source, warm_start.Rescaled):
            factor = source.factors[LEARNING_RATE]
            echo(
                f"warm start {source.source}: searched at batch size "
                f"{round(config.batch_size / factor)}, this search at {config.batch_size}: "
                f"its learning rates count x{factor:.3g} (linear scaling rule)"
            )
    make_run_dir(run_dir, overwrite)  # only after the inputs check out: nothing written before
    with run_lock(run_dir, "search", echo):
        extended = prepare_run_dir(run_dir, config, overwrite, data_fingerprint)
        if extended is not None:
            echo(f"extending the run from {extended} to {config.max_trials} trials")
        return _search_locked(config, run_dir, echo, workers, worker_command, host, port, earlier)


def _search_locked(
    config: SearchConfig,
    run_dir: pathlib.Path,
    echo: Callable[[str], None],
    workers: int,
    worker_command: Sequence[str],
    host: str,
    port: int | None,
    earlier: Sequence[warm_start.EarlierTrial],
) -> dict[str, Any]:
    """The search proper, in a prepared run directory whose lock this process holds.

    ``earlier``: the warm start's trials, read once (each oracle built here gets them).
    """
    # Status lines before the steps that can take more than ~3 s (issue 14).
    echo("loading data (the full dataset takes a few seconds)")
    dataset = data_module.load(
        config.data_dir,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
        train_limit=config.train_limit,
    )
    echo(
        f"data: {len(dataset.train)} train / {len(dataset.validation)} validation / "
        f"{len(dataset.test)} test images from {dataset.source}"
    )
    start, ended_before = time.monotonic(), _ended_trials(run_dir)
    if ended_before < config.max_trials:
        # Measured: 10 s on a warm 2-core machine, 24-36 s on a fresh one.
        echo("starting: TensorFlow loads, then the first trial compiles the model (10-40 s)")
    else:
        echo("loading TensorFlow to read the finished search (a few seconds)")
    if workers:
        oracle = _chief_oracle(config, run_dir, echo, earlier)
        _serve_workers(oracle, run_dir, workers, worker_command, host, port, echo)
        hypermodel = hypermodel_for(config)
    else:
        tuner = tune(config, run_dir, dataset, callbacks_for(config, run_dir, echo), echo, earlier)
        oracle, hypermodel = tuner.oracle, tuner.hypermodel
    if _ended_trials(run_dir) == ended_before:
        echo(f"nothing to do: the search had finished ({len(oracle.trials)} trials)")
    else:
        echo(f"search finished in {time.monotonic() - start:.0f}s")
    drawn = redraw_missing_figures(
        lambda: oracle_for(config, [], earlier), list(oracle.trials.values()), run_dir / PLOTS
    )
    if drawn:
        # Missing after a kill, or the last figure of a run whose budget was extended
        # (it had shown no next point; run_config removes it).
        echo(f"drew {len(drawn)} iteration figure(s) missing from the run directory")
    advice = recommend(oracle, echo, say_rate=False)  # the closing line states it
    final = final_evaluation(
        oracle,
        hypermodel,
        config,
        dataset,
        run_dir,
        echo,
        learning_rate=advice.value if advice else None,
    )
    return _write_artifacts(oracle, config, run_dir, final, advice)


def _validate_distribution(
    workers: int, worker_command: Sequence[str], host: str, port: int | None
) -> None:
    if workers < 0:
        raise SearchError(f"--workers must be an integer >= 0 (0: no workers), got {workers}")
    if workers and not worker_command:
        raise SearchError("--workers needs a command that starts a worker")
    if not host.strip():
        raise SearchError("--host must be an address to bind, such as 127.0.0.1")
    if port is not None and not 0 < port < 65536:
        raise SearchError(f"--port must be in 1-65535, got {port}")


def _serve_workers(
    oracle: GPEIOracle,
    run_dir: pathlib.Path,
    workers: int,
    worker_command: Sequence[str],
    host: str,
    port: int | None,
    echo: Callable[[str], None],
) -> None:
    from kt_lrsearch.app import distributed

    try:
        distributed.run_chief(
            oracle,
            workers=workers,
            worker_command=worker_command,
            host=host,
            port=distributed.free_port(host) if port is None else port,
            log_dir=run_dir / WORKER_LOGS,
            echo=echo,
        )
    except distributed.DistributedError as error:
        raise SearchError(str(error)) from None
    except OSError as error:  # an address that cannot be resolved or bound, a worker not started
        raise SearchError(
            f"cannot run the chief on --host {host} ({error}); check --host and --port"
        ) from None


def _chief_oracle(
    config: SearchConfig,
    run_dir: pathlib.Path,
    echo: Callable[[str], None],
    earlier: Sequence[warm_start.EarlierTrial],
) -> GPEIOracle:
    """The oracle of a distributed search, with its callbacks, resumed if saved."""
    oracle = oracle_for(config, callbacks_for(config, run_dir, echo), earlier)
    kt_private.set_project_dir(oracle, str(run_dir), PROJECT)
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
    dataset = data_module.load(
        config.data_dir,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
        train_limit=config.train_limit,
    )
    echo(f"worker {tuner_id}: chief {host}:{port}, {len(dataset.train)} train images")
    # Keras Tuner's environment variables make this tuner a client of the chief.
    tune(config, run_dir, dataset, [], earlier=())
    echo(f"worker {tuner_id}: the chief says the search is over")


def regenerate(run_dir: str | os.PathLike[str], echo: Callable[[str], None] = print) -> dict:
    """Rebuilds every figure and the report of a run directory; trains nothing."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise SearchError(f"{run_dir}: no such run directory")
    config = read_config(run_dir)
    check_state_files(run_dir / PROJECT, (config.lr_min, config.lr_max), LEARNING_RATE)
    with run_lock(run_dir, "report", echo), drawing_pool() as pool:
        earlier = read_warm_start(config, warm_sources(config), run_dir)
        oracle = oracle_for(config, [], earlier)
        kt_private.set_project_dir(oracle, str(run_dir), PROJECT)
        oracle.reload()
        trials = list(oracle.trials.values())
        echo(f"{len(trials)} trial(s) read; redrawing the iteration figures")
        written = replay_figures(
            lambda: oracle_for(config, [], earlier),
            trials,
            run_dir / PLOTS,
            progress=echo,
            pool=pool,
        )
        echo(f"redrew {len(written)} iteration figure(s); writing the report")
        return _write_artifacts(
            oracle, config, run_dir, previous_final(run_dir), recommend(oracle, echo)
        )


def recommend(
    oracle: GPEIOracle, echo: Callable[[str], None], *, say_rate: bool = True
) -> Recommendation | None:
    """The model's recommended rate and range (see kt_lrsearch.core.recommendation).

    Echoes the rate (unless ``say_rate`` is False: the search's closing line
    states it, so it is said once), a warning at a bound, and the warm start's
    verdict.
    """
    advice = oracle.decision_view().recommend()
    if advice is None:
        return None
    if say_rate:
        echo(
            f"recommended learning rate {advice.value:.2g} (range {advice.low:.2g} to "
            f"{advice.high:.2g}, where the model cannot tell rates apart)"
        )
    warning = bound_warning(advice)
    if warning:
        echo(f"warning: {warning}")
    if (relation := oracle.decision_view().relation) is not None:
        echo(f"warm start: {relation.verdict}")
    return advice


def _ended_trials(run_dir: pathlib.Path) -> int:
    """How many trial results the run's event log holds (trial_events.jsonl)."""
    return sum(event.get("event") == "end" for event in read_events(run_dir / EVENTS))


def _write_artifacts(
    oracle: GPEIOracle,
    config: SearchConfig,
    run_dir: pathlib.Path,
    final: dict[str, Any] | None,
    advice: Recommendation | None,
) -> dict[str, Any]:
    earlier = [
        {
            "learning_rate": t.values.get(LEARNING_RATE),
            "score": t.score,
            "source": t.source,
            "rate_factor": t.factors.get(LEARNING_RATE, 1.0),
        }
        for t in oracle.earlier
    ]
    relation = oracle.decision_view().relation
    trials = load_trials(oracle, run_dir)
    return write_artifacts(
        run_dir,
        config=dataclasses.asdict(config),
        trials=trials,
        final=final,
        objective=oracle.objective.name,
        direction=oracle.objective.direction,
        recommendation=advice,
        warm_start=earlier,
        relation=relation.as_dict() if relation else None,
        head=study_report.run_head(
            dataclasses.asdict(config), final, trials, _model_summary(hypermodel_for(config))
        ),
    )


def _model_summary(hypermodel: LRHyperModel) -> dict[str, Any]:
    """The network and optimizer the run's hypermodel trains, for the report's head."""
    resnet, training = hypermodel.resnet, hypermodel.training
    nesterov = ", Nesterov" if training.nesterov else ""
    return {
        "name": "ResNet",
        "widths": list(resnet.widths),
        "blocks_per_stage": resnet.blocks_per_stage,
        "optimizer": (
            f"SGD, momentum {training.momentum}{nesterov}, batch size {training.batch_size}"
        ),
    }
