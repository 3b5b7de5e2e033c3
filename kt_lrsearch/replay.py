"""Figure replay: redraw each iteration's figure from the trial records alone.

A decision is a pure function of (seed, options, trials), so giving a fresh
oracle the trials it had after k evaluations reproduces the figure drawn live
after evaluation k, without training anything.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Sequence
from typing import Any

from kt_lrsearch import trial_rules
from kt_lrsearch.callbacks import IterationPlotter, iteration_filename

TITLE = "GP-EI learning-rate search"


def replay_figures(
    oracle_factory: Callable[[], Any],
    trials: Sequence[Any],
    plots_dir: pathlib.Path,
    *,
    first: int = 2,
    only_missing: bool = False,
) -> list[pathlib.Path]:
    """Redraws the figure after each finished evaluation; returns the files written.

    ``oracle_factory()`` must build an oracle configured like the original
    (same space, seed, options); it is given the first k finished trials, in
    trial order, for each k. With ``only_missing``, only figures absent from
    ``plots_dir`` are drawn (after a kill between recording a trial and
    plotting it).
    """
    plotter = IterationPlotter(plots_dir, first=first, title=TITLE)
    ordered = sorted(trials, key=lambda t: trial_rules.order_key(t.trial_id))
    finished = [t for t in ordered if t.status != "RUNNING"]
    for count in range(first, len(finished) + 1):
        if only_missing and (plots_dir / iteration_filename(count)).exists():
            continue
        oracle = oracle_factory()
        for trial in finished[:count]:
            oracle.trials[trial.trial_id] = trial
            oracle._record_values(trial)
        plotter.draw(oracle.decision_view(), objective=oracle.objective.name,
                     max_trials=oracle.max_trials)  # fmt: skip
    return plotter.written


def redraw_missing_figures(oracle_factory: Callable[[], Any], trials: Sequence[Any],
                           plots_dir: pathlib.Path) -> list[pathlib.Path]:  # fmt: skip
    """Draws only the iteration figures a kill left unwritten."""
    return replay_figures(oracle_factory, trials, plots_dir, only_missing=True)
