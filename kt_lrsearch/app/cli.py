"""The command line: `kt-lrsearch search`, `kt-lrsearch report RUN_DIR`, `kt-lrsearch worker`.

Installed as the `kt-lrsearch` console script; `python cli.py ...` in a checkout
and `python -m kt_lrsearch ...` run the same commands. The only module that
imports click.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from kt_lrsearch import __version__
from kt_lrsearch.app.data import SAMPLE_DIR, DataError
from kt_lrsearch.app.distributed import LOOPBACK
from kt_lrsearch.app.faults import (
    StorageError,
    describe,
    hide_hdf5_close_errors,
    hide_hdf5_close_tracebacks,
    is_disk_full,
)
from kt_lrsearch.app.quiet import native_stderr_captured, quiet_environment
from kt_lrsearch.app.run_config import SearchConfig, SearchError
from kt_lrsearch.app.run_lock import LockError, RunInUse
from kt_lrsearch.app.search import regenerate, run_search, run_worker
from kt_lrsearch.tuning.warm_start import WarmStartError

DEFAULT_OUT = os.path.join("artifacts", "lr-search")
# --quick: a real search on a stratified subset, about a minute on 2 CPU cores.
QUICK = {"train_limit": 800, "max_trials": 6, "final_epochs": 1, "batch_size": 32}
DEFAULTS = SearchConfig()
# Workers run this package's CLI with the same interpreter, from a checkout or an
# installed copy alike (a `cli.py` path exists only in a checkout).
# This file is kt_lrsearch/app/cli.py: the folder that holds the package is three up.
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_WORKER_BOOT = (
    f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from kt_lrsearch.app.cli import main; main(prog_name='kt-lrsearch')"
)


# Problems a user can fix: each carries a message that says what, where and how.
# An OSError is one too (a full disk, a file made unreadable): faults.describe
# phrases it.
USER_ERRORS = (SearchError, DataError, LockError, WarmStartError, StorageError, OSError)


class _Status2(click.ClickException):
    """Exit status 2: a run directory in use (issue 14), a warm start refused (issue 15)."""

    exit_code = 2


def _fail(error: Exception) -> None:
    status2 = isinstance(error, RunInUse | WarmStartError)
    message = describe(error) if isinstance(error, OSError) else str(error)
    if is_disk_full(error):
        # Leave at once: at a normal exit HDF5 would flush the checkpoint it
        # could not write onto the full disk again, and can crash doing it.
        click.echo(f"Error: {message}", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    raise (_Status2 if status2 else click.ClickException)(message) from None


def _console(command: Callable[..., None]) -> Callable[..., None]:
    """Adds --verbose / --quiet and runs ``command(echo=...)`` with a calm console.

    Default: our progress lines only; TensorFlow's native log goes to a
    temporary file (replayed after a crash, see kt_lrsearch.app.quiet). --verbose
    shows TensorFlow's log as it comes; --quiet prints only warnings and the
    result line, which commands print with click.echo directly.
    """

    @click.option("--verbose", is_flag=True, help="Also show TensorFlow's own log lines.")
    @click.option("--quiet", is_flag=True, help="Print only warnings and the result.")
    @functools.wraps(command)
    def run(verbose: bool, quiet: bool, **options: Any) -> None:
        if verbose and quiet:
            raise click.UsageError("--verbose and --quiet exclude each other")
        echo = click.echo
        if quiet:
            echo = lambda line: click.echo(line) if line.startswith("warning:") else None  # noqa: E731
        if verbose:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # before TensorFlow loads, in the command
            logging.getLogger("tensorflow").setLevel(logging.INFO)
        with (
            contextlib.nullcontext() if verbose else native_stderr_captured((click.ClickException,))
        ):
            command(echo=echo, **options)

    return run


class _CalmGroup(click.Group):
    """The command group whose entry sets the calm console up before TensorFlow loads.

    The library leaves the process alone; the command line owns its console, so
    the quiet defaults (only where the user set none) are applied here, at entry.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        quiet_environment()
        # h5py's errors as it frees a checkpoint a full disk cut short: the
        # command's own message says it once.
        sys.unraisablehook = hide_hdf5_close_errors
        sys.excepthook = hide_hdf5_close_tracebacks
        return super().main(*args, **kwargs)


@click.group(cls=_CalmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kt-lrsearch")
def main() -> None:
    """Find the best SGD learning rate of a ResNet on Fashion-MNIST with GP-EI."""


@main.command()
@_console
@click.option(
    "--lr-min",
    type=float,
    default=DEFAULTS.lr_min,
    show_default=True,
    help="Smallest learning rate searched (log scale).",
)
@click.option(
    "--lr-max",
    type=float,
    default=DEFAULTS.lr_max,
    show_default=True,
    help="Largest learning rate searched.",
)
@click.option(
    "--max-trials",
    type=int,
    default=None,
    help=f"Evaluation budget, initial points included.  [default: "
    f"{DEFAULTS.max_trials}; {QUICK['max_trials']} with --quick]",
)
@click.option(
    "--initial-points",
    type=int,
    default=DEFAULTS.initial_points,
    show_default=True,
    help="Trials from the seeded space-filling design before the GP decides.",
)
@click.option(
    "--epochs",
    type=int,
    default=DEFAULTS.epochs,
    show_default=True,
    help="Training epochs per evaluation.",
)
@click.option(
    "--batch-size",
    type=int,
    default=None,
    help=f"SGD batch size.  [default: {DEFAULTS.batch_size}; {QUICK['batch_size']} with --quick]",
)
@click.option(
    "--seed",
    type=int,
    default=DEFAULTS.seed,
    show_default=True,
    help="Seed of the split, the weights and the oracle.",
)
@click.option(
    "--validation-fraction",
    type=float,
    default=DEFAULTS.validation_fraction,
    show_default=True,
    help="Share of the training files held out as the objective.",
)
@click.option(
    "--train-limit",
    type=int,
    default=None,
    help=f"Train on at most this many images (stratified).  [default: all; "
    f"{QUICK['train_limit']} with --quick]",
)
@click.option(
    "--final-epochs",
    type=int,
    default=None,
    help=f"Epochs to retrain the best rate before the one test evaluation "
    f"(0 skips it).  [default: {DEFAULTS.final_epochs}; "
    f"{QUICK['final_epochs']} with --quick]",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Directory with the four Fashion-MNIST .gz files.  [default: Keras's "
    "cache, downloading when online; with --quick, the real sample shipped in the package]",
)
@click.option(
    "--warm-start",
    type=click.Path(),
    multiple=True,
    help="An earlier run directory (or Keras Tuner project) of a related search to start "
    "from; repeat for several. Its GP becomes this search's prior; a run at another "
    "--batch-size has its rates scaled by the batch ratio (linear scaling rule).",
)
@click.option(
    "--out",
    type=click.Path(),
    default=DEFAULT_OUT,
    show_default=True,
    help="Run directory; rerunning the same command there resumes the search.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Start afresh in --out (deletes only this tool's files there).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="A complete real search on a small subset, about 30 s on 2 CPU cores; offline, "
    "on the package's own Fashion-MNIST sample unless --data-dir is given.",
)
@click.option(
    "--workers",
    type=int,
    default=0,
    show_default=True,
    help="Train in this many worker processes, over Keras Tuner's gRPC distribution; "
    "this process becomes the chief (0: train here).",
)
@click.option(
    "--host",
    default=LOOPBACK,
    show_default=True,
    help="Address the chief serves the oracle on (with --workers); 0.0.0.0 lets "
    "workers on other machines join.",
)
@click.option(
    "--port",
    type=int,
    default=None,
    help="Port the chief serves on (with --workers).  [default: a free port]",
)
def search(
    quick: bool,
    out: str,
    overwrite: bool,
    workers: int,
    host: str,
    port: int | None,
    echo: Callable[[str], None],
    **options: object,
) -> None:
    """Search the learning rate, plot every iteration, retrain and test the best."""
    preset = QUICK if quick else {}
    for name in QUICK:
        if options[name] is None:
            options[name] = preset.get(name, getattr(DEFAULTS, name))
    if quick and options["data_dir"] is None:
        options["data_dir"] = str(SAMPLE_DIR)
    # Absolute, so the run's identity does not depend on where it is resumed from.
    options["warm_start"] = tuple(os.path.abspath(p) for p in options["warm_start"])
    worker_command = [sys.executable, "-c", _WORKER_BOOT, "worker", "--out", out]
    try:
        results = run_search(
            SearchConfig(**options),
            out,
            overwrite=overwrite,
            echo=echo,
            workers=workers,
            worker_command=worker_command,
            host=host,
            port=port,
        )
    except USER_ERRORS as error:
        _fail(error)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: rerun the same command to resume the run in {out}", err=True)
        sys.exit(130)
    best, advice = results["best"], results.get("recommendation")
    if advice and best:
        click.echo(
            f"recommended learning rate {advice['shown']}; best trial: "
            f"{best['learning_rate']:.4g} (validation accuracy {best['score']:.4f}); "
            f"report: {out}/report.html"
        )
    elif best:
        click.echo(
            f"best learning rate {best['learning_rate']:.4g} "
            f"(validation accuracy {best['score']:.4f}); report: {out}/report.html"
        )
    else:
        click.echo(f"no trial completed; report: {out}/report.html")


@main.command()
@click.option(
    "--out",
    type=click.Path(),
    required=True,
    help="The chief's run directory (its config.json defines the search).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the data lives on this machine.  [default: as the chief's config says]",
)
def worker(out: str, data_dir: str | None) -> None:
    """Train trials for a chief (see --workers); started by the chief or by hand.

    The chief is found through Keras Tuner's variables KERASTUNER_ORACLE_IP,
    KERASTUNER_ORACLE_PORT and KERASTUNER_TUNER_ID (an id unique to this worker).
    """
    try:
        run_worker(out, data_dir=data_dir, echo=click.echo)
    except USER_ERRORS as error:
        _fail(error)


@main.command()
@_console
@click.argument("run_dir", type=click.Path())
def report(run_dir: str, echo: Callable[[str], None]) -> None:
    """Redraw every figure and report.html of RUN_DIR without training."""
    echo(f"reading {run_dir} (TensorFlow loads first: a few seconds)")
    try:
        regenerate(run_dir, echo=echo)
    except USER_ERRORS as error:
        _fail(error)
    click.echo(f"report: {os.path.join(run_dir, 'report.html')}")


if __name__ == "__main__":
    main(prog_name="kt-lrsearch")
