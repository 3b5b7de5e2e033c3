"""One learning-rate search run: data, model, oracle, tuner, callbacks, artifacts.

Everything user-facing goes through :func:`run_search`; problems a user can fix
raise :class:`SearchError` with what, where and how to fix it.

A run directory holds ``config.json``, the Keras Tuner project (``tuner/``), the
per-iteration figures (``plots/``) and the artifacts written by
:mod:`kt_lrsearch.report`. Rerunning the same configuration resumes it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import shutil
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kt_lrsearch import data as data_module
from kt_lrsearch.distributed import LOOPBACK
from kt_lrsearch.files import TMP_PREFIX, atomic_write_text, remove_temporaries
from kt_lrsearch.report import load_trials, write_artifacts

if TYPE_CHECKING:  # the real imports are lazy: TensorFlow loads only for a run
    import keras_tuner

    from kt_lrsearch.oracle import GPEIOracle
    from kt_lrsearch.training import LRHyperModel

PROJECT = "tuner"
PLOTS = "plots"
OBJECTIVE = "val_accuracy"
WORKER_LOGS = "workers"
EVENTS = "trial_events.jsonl"
# What --overwrite may delete: only what a search writes, never other files.
OWNED = ("config.json", PROJECT, PLOTS, "results.json", "results.csv", "report.html",
         "convergence.png", "search.gif", "durations.json", EVENTS, WORKER_LOGS)  # fmt: skip


class SearchError(Exception):
    """A problem the user can fix; the message says what, where and how."""


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Everything that defines a search (the run directory stores it).

    Attributes mirror the CLI options; see ``python cli.py search --help``.
    """

    lr_min: float = 1e-4
    lr_max: float = 1e-1
    max_trials: int = 10
    initial_points: int = 1
    epochs: int = 1
    batch_size: int = 128
    seed: int = 42
    validation_fraction: float = 0.2
    train_limit: int | None = None
    final_epochs: int = 3
    data_dir: str | None = None

    def validate(self) -> None:
        """Raises SearchError naming the option and the accepted values."""
        if not (math.isfinite(self.lr_min) and self.lr_min > 0):
            raise SearchError(f"--lr-min must be a positive number, got {self.lr_min}")
        if not (math.isfinite(self.lr_max) and self.lr_max > self.lr_min):
            raise SearchError(
                f"--lr-max ({self.lr_max}) must be larger than --lr-min ({self.lr_min})"
            )
        for name, value, low in (("--max-trials", self.max_trials, 1),
                                 ("--initial-points", self.initial_points, 1),
                                 ("--epochs", self.epochs, 1),
                                 ("--batch-size", self.batch_size, 1),
                                 ("--final-epochs", self.final_epochs, 0),
                                 ("--seed", self.seed, 0)):  # fmt: skip
            if value < low:
                raise SearchError(f"{name} must be an integer >= {low}, got {value}")
        if self.initial_points > self.max_trials:
            raise SearchError(
                f"--initial-points ({self.initial_points}) cannot exceed --max-trials "
                f"({self.max_trials}): the initial design is part of the budget"
            )
        if not 0.0 < self.validation_fraction < 1.0:
            raise SearchError(
                f"--validation-fraction must be in (0, 1), got {self.validation_fraction}"
            )
        if self.train_limit is not None and self.train_limit < data_module.NUM_CLASSES:
            raise SearchError(f"--train-limit must be at least 10, got {self.train_limit}")

    def search_fields(self) -> dict[str, Any]:
        """The fields a resumed run must share (final_epochs may change)."""
        fields = dataclasses.asdict(self)
        fields.pop("final_epochs")
        return fields


def _prepare_run_dir(run_dir: pathlib.Path, config: SearchConfig, overwrite: bool) -> None:
    if run_dir.exists() and not run_dir.is_dir():
        raise SearchError(f"--out {run_dir}: is a file, not a directory; choose another --out")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise SearchError(
            f"--out {run_dir}: cannot write there ({error.strerror or error}); "
            "choose a writable directory"
        ) from None
    saved = run_dir / "config.json"
    if overwrite:
        for name in OWNED:
            target = run_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    elif saved.exists():
        _check_same_config(saved, config)
        check_state_files(run_dir)
    elif any(run_dir.iterdir()):
        raise SearchError(
            f"--out {run_dir}: not empty and not a kt_lrsearch run (no config.json); "
            "choose an empty or new directory so nothing there is overwritten"
        )
    remove_temporaries(run_dir)  # left by a process killed mid-write
    payload = {"search": config.search_fields(), "final_epochs": config.final_epochs}
    atomic_write_text(saved, json.dumps(payload, indent=2))


def check_state_files(run_dir: pathlib.Path) -> None:
    """Raises SearchError naming a Keras Tuner state file that is not valid JSON.

    This tool writes them atomically, but a file from elsewhere (an older
    version, a full disk, an edit) would otherwise end in a traceback inside
    Keras Tuner's reload.
    """
    project = run_dir / PROJECT
    states = [*project.glob("*.json"), *project.glob("trial_*/trial.json")]
    # A temporary a kill left behind is not state (pathlib's glob matches dotfiles).
    for state in [s for s in states if not s.name.startswith(TMP_PREFIX)]:
        try:
            payload = json.loads(state.read_text())
        except (OSError, ValueError) as error:
            payload, problem = None, str(error)
        else:
            problem = "not a JSON object"
        if not isinstance(payload, dict):
            raise SearchError(
                f"{state}: corrupt Keras Tuner state ({problem}); rerun with --overwrite to "
                "start afresh (finished trials are lost), or choose another --out"
            )


def _check_same_config(saved: pathlib.Path, config: SearchConfig) -> None:
    try:
        previous = json.loads(saved.read_text())["search"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SearchError(
            f"{saved}: unreadable run configuration ({error}); "
            "rerun with --overwrite to start afresh, or choose another --out"
        ) from None
    changed = {k: (previous.get(k), v) for k, v in config.search_fields().items()
               if previous.get(k) != v}  # fmt: skip
    if changed:
        detail = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in sorted(changed.items()))
        raise SearchError(
            f"{saved.parent}: this run directory was made with a different configuration "
            f"({detail}); rerun with the same options to resume, add --overwrite to start "
            "afresh, or choose another --out"
        )


class TrialLog:
    """Oracle callback: a progress line per trial, durations and an event log on disk.

    A trial's duration runs from the moment the oracle hands it out to the
    moment its result is recorded, so it is right for parallel workers too.
    A trial handed out before a resume (no start seen) counts from the resume.

    ``trial_events.jsonl`` gets one JSON line per trial handed out ("begin")
    and per result recorded ("end"), with the process id and the time, across
    resumes: the audit trail that shows no finished trial ever ran again.
    """

    def __init__(self, run_dir: pathlib.Path, max_trials: int,
                 echo: Callable[[str], None]) -> None:  # fmt: skip
        self.path = run_dir / "durations.json"
        self.events = run_dir / EVENTS
        try:
            self.durations: dict[str, float] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.durations = {}  # absent, or unreadable: durations are informative only
        self.max_trials = max_trials
        self.echo = echo
        self.started = time.monotonic()
        self.begun: dict[str, float] = {}

    def _record(self, event: str, trial: Any) -> None:
        line = {"event": event, "trial_id": trial.trial_id, "status": str(trial.status),
                "values": trial.hyperparameters.values, "pid": os.getpid(),
                "time": round(time.time(), 3)}  # fmt: skip
        # One short appended line; a reader skips a line a kill cut short.
        with open(self.events, "a") as handle:
            handle.write(json.dumps(line) + "\n")

    def on_trial_begin(self, oracle: Any, trial: Any) -> None:
        self.begun[trial.trial_id] = time.monotonic()
        self._record("begin", trial)

    def on_trial_end(self, oracle: Any, trial: Any) -> None:
        now = time.monotonic()
        self._record("end", trial)
        self.durations[trial.trial_id] = round(
            now - self.begun.pop(trial.trial_id, self.started), 3
        )
        atomic_write_text(self.path, json.dumps(self.durations, indent=1))
        done = len([t for t in oracle.trials.values() if t.status != "RUNNING"])
        best = oracle.get_best_trials(1)
        best_score = best[0].score if best and best[0].score is not None else float("nan")
        lr = trial.hyperparameters.values.get("learning_rate", float("nan"))
        score = "diverged" if trial.score is not None and not math.isfinite(trial.score) else (
            f"{trial.score:.4f}" if trial.score is not None else trial.status.lower())  # fmt: skip
        bar = "#" * done + "." * max(self.max_trials - done, 0)
        self.echo(
            f"[{bar}] trial {done}/{self.max_trials}  lr={lr:.3g}  {OBJECTIVE}={score}  "
            f"best={best_score:.4f}  {self.durations[trial.trial_id]:.1f}s  "
            f"(elapsed {now - self.started:.0f}s)"
        )


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
    (:mod:`kt_lrsearch.distributed`): it serves the oracle on ``host:port`` (a
    free port when None) and starts ``workers`` processes running
    ``worker_command`` (which must end up in :func:`run_worker`).

    Returns:
        The content of ``results.json``.

    Raises:
        SearchError: Bad options, unusable output directory, mismatched run,
            a failed worker.
        kt_lrsearch.data.DataError: Missing or invalid data files.
    """
    config.validate()
    _validate_distribution(workers, worker_command, host, port)
    run_dir = pathlib.Path(run_dir)
    data_module.locate(config.data_dir)  # before anything is written to --out
    _prepare_run_dir(run_dir, config, overwrite)
    dataset = data_module.load(config.data_dir, validation_fraction=config.validation_fraction,
                               seed=config.seed, train_limit=config.train_limit)  # fmt: skip
    echo(f"data: {len(dataset.train)} train / {len(dataset.validation)} validation / "
         f"{len(dataset.test)} test images from {dataset.source}")  # fmt: skip
    start = time.monotonic()
    if workers:
        oracle = _chief_oracle(config, run_dir, echo)
        _serve_workers(oracle, run_dir, workers, worker_command, host, port, echo)
        hypermodel = _hypermodel(config)
    else:
        tuner = _tune(config, run_dir, dataset, _callbacks(config, run_dir, echo))
        oracle, hypermodel = tuner.oracle, tuner.hypermodel
    echo(f"search finished in {time.monotonic() - start:.0f}s")
    _redraw_missing_figures(config, run_dir, list(oracle.trials.values()), echo)
    final = _final_evaluation(oracle, hypermodel, config, dataset, run_dir, echo)
    return write_artifacts(run_dir, config=dataclasses.asdict(config),
                           trials=load_trials(oracle, run_dir), final=final)  # fmt: skip


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
    from kt_lrsearch import distributed

    try:
        distributed.run_chief(oracle, workers=workers, worker_command=worker_command, host=host,
                              port=distributed.free_port(host) if port is None else port,
                              log_dir=run_dir / WORKER_LOGS, echo=echo)  # fmt: skip
    except distributed.DistributedError as error:
        raise SearchError(str(error)) from None
    except OSError as error:  # an address that cannot be resolved or bound, a worker not started
        raise SearchError(f"cannot run the chief on --host {host} ({error}); check --host and "
                          "--port") from None  # fmt: skip


def _chief_oracle(
    config: SearchConfig, run_dir: pathlib.Path, echo: Callable[[str], None]
) -> GPEIOracle:
    """The oracle of a distributed search, with its callbacks, resumed if saved."""
    oracle = _oracle(config, _callbacks(config, run_dir, echo))
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
        kt_lrsearch.data.DataError: Missing or invalid data files.
    """
    from kt_lrsearch import distributed

    try:
        host, port, tuner_id = distributed.worker_settings()
    except distributed.DistributedError as error:
        raise SearchError(str(error)) from None
    run_dir = pathlib.Path(run_dir)
    config = read_config(run_dir)
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=data_dir)
    dataset = data_module.load(config.data_dir, validation_fraction=config.validation_fraction,
                               seed=config.seed, train_limit=config.train_limit)  # fmt: skip
    echo(f"worker {tuner_id}: chief {host}:{port}, {len(dataset.train)} train images")
    # Keras Tuner's environment variables make this tuner a client of the chief.
    _tune(config, run_dir, dataset, [])
    echo(f"worker {tuner_id}: the chief says the search is over")


def _redraw_missing_figures(config: SearchConfig, run_dir: pathlib.Path, trials: list[Any],
                            echo: Callable[[str], None]) -> None:  # fmt: skip
    """Draws the iteration figures a kill left unwritten (the decisions are pure)."""
    from kt_lrsearch.report import replay_figures

    drawn = replay_figures(lambda: _oracle(config, []), trials, run_dir / PLOTS,
                           only_missing=True)  # fmt: skip
    if drawn:
        echo(f"drew {len(drawn)} iteration figure(s) an interrupted run had not written")


def _hypermodel(config: SearchConfig) -> LRHyperModel:
    from kt_lrsearch.model import TrainingConfig
    from kt_lrsearch.training import LRHyperModel

    return LRHyperModel(config.lr_min, config.lr_max, seed=config.seed,
                        training=TrainingConfig(batch_size=config.batch_size))  # fmt: skip


def _oracle(config: SearchConfig, callbacks: list[Any]) -> GPEIOracle:
    """The run's GPEIOracle; the same arguments rebuild it for a replay."""
    import keras_tuner as kt

    from kt_lrsearch.oracle import GPEIOracle

    space = kt.HyperParameters()
    _hypermodel(config).declare(space)
    return GPEIOracle(
        objective=kt.Objective(OBJECTIVE, "max"),
        max_trials=config.max_trials,
        num_initial_points=config.initial_points,
        seed=config.seed,
        hyperparameters=space,
        callbacks=callbacks,
    )


def _callbacks(config: SearchConfig, run_dir: pathlib.Path,
               echo: Callable[[str], None]) -> list[Any]:  # fmt: skip
    from kt_lrsearch.callbacks import IterationPlotter

    # The progress line first: the figure's GP fit can take seconds (its first trace).
    return [TrialLog(run_dir, config.max_trials, echo),
            IterationPlotter(run_dir / PLOTS, title="GP-EI learning-rate search")]  # fmt: skip


def _tune(config: SearchConfig, run_dir: pathlib.Path, dataset: data_module.Dataset,
          callbacks: list[Any]) -> keras_tuner.Tuner:  # fmt: skip
    """Builds the run's tuner and searches with it; returns the tuner.

    In a worker (Keras Tuner's environment variables set) the tuner forwards
    every oracle call to the chief, and ``callbacks`` stay empty.
    """
    from kt_lrsearch.training import ModelReuseTuner

    tuner = ModelReuseTuner(oracle=_oracle(config, callbacks), hypermodel=_hypermodel(config),
                            directory=str(run_dir), project_name=PROJECT,
                            overwrite=False)  # fmt: skip
    x, y = data_module.to_model_input(dataset.train.images), dataset.train.labels
    val = (data_module.to_model_input(dataset.validation.images), dataset.validation.labels)
    tuner.search(x, y, validation_data=val, epochs=config.epochs, verbose=0)
    return tuner


def read_config(run_dir: pathlib.Path) -> SearchConfig:
    """The configuration stored in a run directory."""
    saved = run_dir / "config.json"
    try:
        payload = json.loads(saved.read_text())
        return SearchConfig(**payload["search"], final_epochs=payload["final_epochs"])
    except FileNotFoundError:
        raise SearchError(f"{run_dir}: not a kt_lrsearch run directory (no config.json)") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SearchError(f"{saved}: unreadable run configuration ({error})") from None


def regenerate(run_dir: str | os.PathLike[str], echo: Callable[[str], None] = print) -> dict:
    """Rebuilds every figure and the report of a run directory; trains nothing."""
    from kt_lrsearch.report import replay_figures

    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise SearchError(f"{run_dir}: no such run directory")
    config = read_config(run_dir)
    check_state_files(run_dir)
    oracle = _oracle(config, [])
    oracle._set_project_dir(str(run_dir), PROJECT)
    oracle.reload()
    trials = list(oracle.trials.values())
    written = replay_figures(lambda: _oracle(config, []), trials, run_dir / PLOTS)
    echo(f"redrew {len(written)} iteration figure(s) from {len(trials)} trial(s)")
    return write_artifacts(run_dir, config=dataclasses.asdict(config),
                           trials=load_trials(oracle, run_dir),
                           final=_previous_final(run_dir))  # fmt: skip


def _previous_final(run_dir: pathlib.Path) -> dict[str, Any] | None:
    """The final evaluation recorded in results.json; None if absent or unreadable."""
    try:
        final = json.loads((run_dir / "results.json").read_text()).get("final")
    except (OSError, ValueError, AttributeError):
        return None
    return final if isinstance(final, dict) else None


def _final_evaluation(
    oracle: GPEIOracle,
    hypermodel: LRHyperModel,
    config: SearchConfig,
    dataset: data_module.Dataset,
    run_dir: pathlib.Path,
    echo: Callable[[str], None],
) -> dict[str, Any] | None:
    """Retrains the best rate on train + validation; one evaluation on test."""
    import keras_tuner as kt
    import numpy as np

    best = oracle.get_best_trials(1)
    if not best or best[0].score is None or not math.isfinite(best[0].score):
        echo("no completed trial: nothing to retrain")
        return None
    lr = best[0].hyperparameters.values["learning_rate"]
    final = _previous_final(run_dir)
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
    x = data_module.to_model_input(np.concatenate([dataset.train.images,
                                                   dataset.validation.images]))  # fmt: skip
    y = np.concatenate([dataset.train.labels, dataset.validation.labels])
    start = time.monotonic()
    # Same seeded batches and divergence guard as the trials.
    hypermodel.fit(hp, model, x, y, epochs=config.final_epochs)
    loss, accuracy = model.evaluate(data_module.to_model_input(dataset.test.images),
                                    dataset.test.labels, verbose=0)  # fmt: skip
    echo(f"test accuracy {accuracy:.4f} (lr={lr:.4g}, {time.monotonic() - start:.0f}s)")
    return {"learning_rate": lr, "epochs": config.final_epochs, "test_accuracy": float(accuracy),
            "test_loss": float(loss), "test_images": len(dataset.test)}  # fmt: skip
