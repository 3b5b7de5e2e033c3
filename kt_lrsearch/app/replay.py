"""Figure replay: redraw each iteration's figure from the trial records alone.

A decision is a pure function of (seed, options, trials), so giving a fresh
oracle the trials it had after k evaluations reproduces the figure drawn live
after evaluation k, without training anything.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import pathlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kt_lrsearch.core import trial_rules
from kt_lrsearch.figures.callbacks import IterationPlotter, iteration_filename
from kt_lrsearch.figures.convergence import is_whole_image
from kt_lrsearch.tuning import kt_private

TITLE = "GP-EI learning-rate search"


class _Inline(concurrent.futures.Executor):
    """Runs each job at once in this process (one core, or a pool that cannot start)."""

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _warm() -> None:
    """Loads the drawing code in a pool process (while the parent loads TensorFlow)."""
    import kt_lrsearch.figures.callbacks  # noqa: F401


@contextlib.contextmanager
def drawing_pool(workers: int | None = None) -> Iterator[concurrent.futures.Executor]:
    """Processes that draw figures while this one fits the next GP.

    Drawing is ~0.5 s of matplotlib per figure and the GP refit ~0.1 s, so on
    two cores a pool cuts `cli.py report` by a few seconds (issue 13: <= 15 s
    for 10 trials). The workers start at once and load matplotlib while the
    caller loads TensorFlow. "spawn", not "fork": the children import only
    numpy and matplotlib, never a copy of this process's TensorFlow threads.

    Args:
        workers: Processes (default: 2, or 1 on a one-core machine); 1 draws
            in this process.
    """
    workers = min(2, os.cpu_count() or 1) if workers is None else workers
    if workers < 2:
        yield _Inline()
        return
    try:
        pool = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn")
        )
        for _ in range(workers):
            pool.submit(_warm)
    except (OSError, ValueError):  # no semaphores, or no processes allowed: draw here
        yield _Inline()
        return
    with pool:
        yield pool


def replay_figures(
    oracle_factory: Callable[[], Any],
    trials: Sequence[Any],
    plots_dir: pathlib.Path,
    *,
    first: int = 2,
    only_missing: bool = False,
    progress: Callable[[str], None] | None = None,
    pool: concurrent.futures.Executor | None = None,
) -> list[pathlib.Path]:
    """Redraws the figure after each finished evaluation; returns the files written.

    ``oracle_factory()`` must build an oracle configured like the original
    (same space, seed, options); it is given the first k finished trials, in
    trial order, for each k. With ``only_missing``, only figures absent from
    ``plots_dir`` are drawn (after a kill between recording a trial and
    plotting it), or not whole images (a damaged file). ``progress``, when
    given, gets one line per figure; ``pool`` (see :func:`drawing_pool`)
    draws them, else this process does.
    """
    # Redrawing in any order: the figures past the first one drawn are this run's.
    plotter = IterationPlotter(plots_dir, first=first, title=TITLE, clear_later=False)
    ordered = sorted(trials, key=lambda t: trial_rules.order_key(t.trial_id))
    finished = [t for t in ordered if t.status != "RUNNING"]
    counts = [
        k
        for k in range(first, len(finished) + 1)
        if not (only_missing and is_whole_image(plots_dir / iteration_filename(k)))
    ]
    pool = pool or _Inline()
    jobs = []
    for count in counts:
        if progress is not None:
            progress(f"figure {count}/{len(finished)}: after {count} evaluations")
        oracle = oracle_factory()
        for trial in finished[:count]:
            oracle.trials[trial.trial_id] = trial
            kt_private.record_values(oracle, trial)
        jobs.append(
            pool.submit(
                plotter.draw,
                oracle.decision_view(),
                objective=oracle.objective.name,
                max_trials=oracle.max_trials,
            )
        )
    return [path for path in (job.result() for job in jobs) if path is not None]


def redraw_missing_figures(
    oracle_factory: Callable[[], Any], trials: Sequence[Any], plots_dir: pathlib.Path
) -> list[pathlib.Path]:
    """Draws only the iteration figures a kill left unwritten."""
    return replay_figures(oracle_factory, trials, plots_dir, only_missing=True)
