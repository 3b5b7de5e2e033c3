"""Callbacks that GPEIOracle calls after each trial it records.

Keras Tuner has no tuner-level callback API (``search(callbacks=...)`` are Keras
fit callbacks, which run before the trial is recorded, and on the workers in
distributed tuning). Attaching to the oracle instead works inside any tuner and,
in distributed tuning, runs on the chief, which owns the oracle::

    oracle = GPEIOracle(..., callbacks=[IterationPlotter("artifacts/plots")])
"""

from __future__ import annotations

import pathlib
import warnings
from typing import Any

from kt_lrsearch.core.decision_view import DecisionView
from kt_lrsearch.figures.plotting import plot_iteration
from kt_lrsearch.figures.slice_plots import plot_slices
from kt_lrsearch.figures.style import save_figure


def iteration_filename(evaluations: int) -> str:
    """The file name of the figure drawn after ``evaluations`` evaluations."""
    return f"iteration_{evaluations:02d}.png"


class IterationPlotter:
    """Writes the diagnostic figure after every completed evaluation.

    The figure shows the decision the oracle takes next, from
    ``oracle.decision_view()``: exactly the arrays the next trial is chosen with.

    Args:
        directory: Where ``iteration_NN.png`` files go (created if needed).
        first: First evaluation count that gets a figure (2: the task plots
            from the second iteration on; 1 adds the single-point figure).
        title: Optional figure-title prefix.
        clear_later: At the first figure drawn, remove the folder's figures
            numbered past it (an earlier, longer search's). Off for redrawing
            a search's own figures out of order.
    """

    def __init__(
        self,
        directory: str | pathlib.Path,
        *,
        first: int = 2,
        title: str | None = None,
        clear_later: bool = True,
    ) -> None:
        if first < 1:
            raise ValueError(f"first must be >= 1, got {first}")
        self.directory = pathlib.Path(directory)
        self.first = first
        self.title = title
        self.written: list[pathlib.Path] = []
        self._warned = False
        self._cleared = not clear_later

    def on_trial_end(self, oracle: Any, trial: Any) -> None:
        self.draw(
            oracle.decision_view(), objective=oracle.objective.name, max_trials=oracle.max_trials
        )

    def _clear_later_figures(self, evaluations: int) -> None:
        """Removes figures numbered past this search's first: another search's, stale.

        A search drawing its figure for ``evaluations`` first (a new search, or
        a resumed one) has drawn nothing beyond it; a later-numbered figure in
        the folder was left by an earlier, longer search into the same folder,
        and would stand beside this one's as if it belonged to it.
        """
        self._cleared = True
        for path in self.directory.glob("iteration_*.png"):
            number = path.stem.removeprefix("iteration_")
            if number.isdigit() and int(number) > evaluations:
                path.unlink(missing_ok=True)

    def draw(
        self, view: DecisionView, *, objective: str = "objective", max_trials: int | None = None
    ) -> pathlib.Path | None:
        """Writes the figure for one decision; None when there is nothing to draw.

        A single numeric hyperparameter gets the two-panel figure over the
        dense grid; any other space one panel per hyperparameter (slices
        through the incumbent). A space with nothing tuned gets a one-time
        warning instead of silence.
        """
        evaluations = len(view.obs_status)
        if evaluations < self.first:
            return None
        if view.grid is None and not view.slices:
            if not view.names and not self._warned:
                self._warned = True
                warnings.warn(
                    "IterationPlotter draws nothing: the search space has no tuned "
                    "hyperparameter (only Fixed values)",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return None
        if not self._cleared:
            self._clear_later_figures(evaluations)
        spent = max_trials is not None and evaluations >= max_trials
        draw = plot_iteration if view.grid is not None else plot_slices
        fig = draw(
            view, iteration=evaluations, title=self.title, objective=objective, budget_spent=spent
        )
        path = save_figure(fig, self.directory / iteration_filename(evaluations))
        self.written.append(path)
        return path
