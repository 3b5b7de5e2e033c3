"""A run directory and its configuration: what a search is, where it lives, whether it resumes.

A run directory holds ``config.json`` (this module), the Keras Tuner project
(``tuner/``), the per-iteration figures (``plots/``), the progress records
(:mod:`kt_lrsearch.app.progress`) and the artifacts (:mod:`kt_lrsearch.app.report`).
Rerunning the same configuration resumes it; problems a user can fix raise
:class:`SearchError` with what, where and how to fix it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import shutil
from typing import Any

from kt_lrsearch.app import data as data_module
from kt_lrsearch.app.progress import DURATIONS, EVENTS
from kt_lrsearch.app.run_lock import LOCK
from kt_lrsearch.app.state_files import check_state_files, way_out
from kt_lrsearch.core.files import atomic_write_text, remove_temporaries

PROJECT = "tuner"
PLOTS = "plots"
OBJECTIVE = "val_accuracy"
LEARNING_RATE = "learning_rate"  # the one hyperparameter the search tunes
WORKER_LOGS = "workers"
TENSORBOARD = "tensorboard"
# The final study's files (app/study.py, app/study_report.py write them), named
# here beside OWNED so that this module stays free of Keras and figures.
MODEL_FILE = "final_model.keras"
CURVES_FIGURE = "final_curves.png"
CONFUSION_FIGURE = "confusion_matrix.png"
# What --overwrite may delete: only what a search writes, never other files.
OWNED = (
    "config.json",
    PROJECT,
    PLOTS,
    "results.json",
    "results.csv",
    "report.html",
    "convergence.png",
    "search.gif",
    MODEL_FILE,
    CURVES_FIGURE,
    CONFUSION_FIGURE,
    DURATIONS,
    EVENTS,
    WORKER_LOGS,
    TENSORBOARD,
)


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
    warm_start: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # config.json stores a list; the identity of a run compares lists.
        object.__setattr__(self, "warm_start", tuple(self.warm_start))

    def validate(self) -> None:
        """Raises SearchError naming the option and the accepted values."""
        if not (math.isfinite(self.lr_min) and self.lr_min > 0):
            raise SearchError(f"--lr-min must be a positive number, got {self.lr_min}")
        if not (math.isfinite(self.lr_max) and self.lr_max > self.lr_min):
            raise SearchError(
                f"--lr-max ({self.lr_max}) must be larger than --lr-min ({self.lr_min})"
            )
        for name, value, low in (
            ("--max-trials", self.max_trials, 1),
            ("--initial-points", self.initial_points, 1),
            ("--epochs", self.epochs, 1),
            ("--batch-size", self.batch_size, 1),
            ("--final-epochs", self.final_epochs, 0),
            ("--seed", self.seed, 0),
        ):
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
        """The fields config.json stores under "search" (final_epochs may change)."""
        fields = dataclasses.asdict(self)
        fields.pop("final_epochs")
        fields["warm_start"] = list(self.warm_start)
        return fields


def make_run_dir(run_dir: pathlib.Path, overwrite: bool) -> None:
    """Creates ``run_dir`` (or checks it is ours to use) without writing into it.

    Raises:
        SearchError: A file, an unwritable place, or a non-empty directory that
            is not a kt_lrsearch run (its files are never touched).
    """
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
    others = [p for p in run_dir.iterdir() if p.name != LOCK]
    if not overwrite and others and not (run_dir / "config.json").exists():
        if (run_dir / PROJECT).is_dir():
            raise SearchError(
                f"{run_dir / 'config.json'} is missing, but {run_dir / PROJECT} holds a "
                f"search: {way_out(run_dir / PROJECT)}"
            )
        raise SearchError(
            f"--out {run_dir}: not empty and not a kt_lrsearch run (no config.json); "
            "choose an empty or new directory so nothing there is overwritten"
        )


def prepare_run_dir(
    run_dir: pathlib.Path,
    config: SearchConfig,
    overwrite: bool,
    data_fingerprint: str | None = None,
) -> int | None:
    """Resets (``overwrite``) or checks a made run directory, then stores ``config``.

    Call under :func:`kt_lrsearch.app.run_lock.run_lock`, after :func:`make_run_dir`.
    ``data_fingerprint`` (:func:`kt_lrsearch.app.data.fingerprint`) identifies the
    data whatever its path is spelled like.

    Returns:
        The previous budget when ``config`` extends the run (a larger
        --max-trials), else None. The figure that was the last one is removed,
        to be redrawn as an ordinary step once the run goes on.
    """
    saved = run_dir / "config.json"
    extended = None
    if overwrite:
        for name in OWNED:
            target = run_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    elif saved.exists():
        extended = check_same_config(saved, config, data_fingerprint)
        check_state_files(run_dir / PROJECT, (config.lr_min, config.lr_max), LEARNING_RATE)
        if extended is not None:
            # Imported here: the figure module loads matplotlib, which a run
            # that only resumes or refuses does not need.
            from kt_lrsearch.figures.callbacks import iteration_filename

            (run_dir / PLOTS / iteration_filename(extended)).unlink(missing_ok=True)
    remove_temporaries(run_dir)  # left by a process killed mid-write
    payload = {
        "search": config.search_fields(),
        "final_epochs": config.final_epochs,
        "data_fingerprint": data_fingerprint,
    }
    atomic_write_text(saved, json.dumps(payload, indent=2))
    return extended


def _same_data(
    previous: dict[str, Any],
    config: SearchConfig,
    saved_fingerprint: str | None,
    fingerprint: str | None,
) -> bool:
    """Same files: by content when both fingerprints are known, else by resolved path."""
    if saved_fingerprint and fingerprint:
        return saved_fingerprint == fingerprint
    before, now = previous.get("data_dir"), config.data_dir
    if before is None or now is None:
        return before == now
    return os.path.realpath(before) == os.path.realpath(now)


def check_same_config(
    saved: pathlib.Path, config: SearchConfig, fingerprint: str | None = None
) -> int | None:
    """Raises SearchError unless ``config`` resumes or extends the saved run.

    Same run: every search field equal, the data the same files (see
    :func:`_same_data`), and --max-trials equal or larger (an extension).

    Returns:
        The saved --max-trials when ``config`` raises it, else None.
    """
    try:
        payload = json.loads(saved.read_text())
        previous = payload["search"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SearchError(
            f"{saved}: unreadable run configuration ({error}); {way_out(saved.parent / PROJECT)}"
        ) from None
    fields = config.search_fields()
    # A field added since the run was made counts as its default (e.g. warm_start).
    previous = {**SearchConfig().search_fields(), **previous}
    changed = {
        k: (previous.get(k), v)
        for k, v in fields.items()
        if k not in ("data_dir", "max_trials") and previous.get(k) != v
    }
    if not _same_data(previous, config, payload.get("data_fingerprint"), fingerprint):
        changed["data_dir"] = (previous.get("data_dir"), config.data_dir)
    before = previous.get("max_trials")
    if not isinstance(before, int) or config.max_trials < before:
        changed["max_trials"] = (before, config.max_trials)
    if changed:
        detail = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in sorted(changed.items()))
        raise SearchError(
            f"{saved.parent}: this run directory was made with a different configuration "
            f"({detail}); rerun with the same options to resume (a larger --max-trials "
            "extends it), add --overwrite to start afresh, or choose another --out"
        )
    return before if config.max_trials > before else None


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


def previous_final(run_dir: pathlib.Path) -> dict[str, Any] | None:
    """The final evaluation recorded in results.json; None if absent or unreadable."""
    try:
        final = json.loads((run_dir / "results.json").read_text()).get("final")
    except (OSError, ValueError, AttributeError):
        return None
    return final if isinstance(final, dict) else None
