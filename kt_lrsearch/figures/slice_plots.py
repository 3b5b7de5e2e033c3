"""The figure of a decision in two or more dimensions: one panel per hyperparameter.

Each panel is a slice through the best point (:mod:`kt_lrsearch.tuning.slices`
computes them): the GP's mean and 95% band along one axis, the others held
there, and the expected improvement beneath.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kt_lrsearch.core.decision_view import AxisSlice, DecisionView
from kt_lrsearch.core.trial_rules import OK
from kt_lrsearch.figures.style import BAND_Z, CAPTIONS, COLOURS, clip_to_unit, unit_interval_metric


def plot_slices(
    d: DecisionView,
    *,
    iteration: int,
    title: str | None = None,
    objective: str = "objective",
    budget_spent: bool = False,
) -> Figure:
    """One panel per tuned hyperparameter: the posterior sliced through the incumbent.

    Each panel shows the posterior mean with its 95% band along that
    hyperparameter (Choice, Boolean and few-valued numbers as points with error
    bars), the other hyperparameters held at the incumbent's values; EI along
    the same slice on the right axis; every observation at its value of that
    hyperparameter (grey: the others differ, so they sit off the slice); the
    incumbent's value (dotted) and the next point (dashed).

    Args:
        d: The decision view; needs ``d.slices``.
        iteration: Number of completed evaluations shown (for the title).
        title: Optional title prefix.
        objective: The objective's name, for the y axes.
        budget_spent: The search ends here (the proposal would be next).

    Raises:
        ValueError: When the view has no slices.
    """
    if not d.slices:
        raise ValueError("plot_slices needs a decision view with slices (a fitted GP)")
    cols = min(3, len(d.slices))
    rows = -(-len(d.slices) // cols)
    fig = Figure(figsize=(4.4 * cols, 3.4 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, piece in zip(axes, d.slices, strict=False):
        _draw_slice(ax, piece, d, budget_spent)
    for ax in axes[len(d.slices) :]:
        ax.set_visible(False)
    axes[0].set_ylabel(
        objective.replace("_", " ") + (" (max)" if d.direction == "max" else " (min)")
    )
    heading = f"{title}: " if title else ""
    fig.suptitle(
        f"{heading}after {iteration} evaluation{'s' if iteration != 1 else ''}; "
        "each panel: one hyperparameter, the others at the incumbent"
    )
    if unit_interval_metric(objective):
        for ax in axes[: len(d.slices)]:
            clip_to_unit(ax)
    fig.supxlabel(CAPTIONS["slices"], fontsize=8, color="#555555")
    return fig


def _draw_slice(ax: Axes, piece: AxisSlice, d: DecisionView, budget_spent: bool) -> None:
    ok = np.asarray(d.obs_status) == OK
    if piece.discrete:
        ax.errorbar(
            piece.x,
            piece.mean,
            yerr=BAND_Z * piece.std,
            fmt="s",
            color=COLOURS["mean"],
            capsize=4,
            label="posterior (95%)",
        )
    else:
        band = BAND_Z * piece.std
        ax.fill_between(
            piece.x, piece.mean - band, piece.mean + band, color=COLOURS["band"], alpha=0.5
        )
        ax.plot(piece.x, piece.mean, color=COLOURS["mean"], lw=1.6, label="posterior mean")
    ax.scatter(
        piece.obs_x[ok],
        d.obs_scores[ok],
        color=COLOURS["failed"],
        s=16,
        zorder=3,
        label="observations",
    )
    if np.isfinite(piece.centre_x):
        ax.axvline(piece.centre_x, color=COLOURS["obs"], lw=0.8, ls=":", label="incumbent")
    if piece.next_x is not None and np.isfinite(piece.next_x):
        ax.axvline(
            piece.next_x,
            color=COLOURS["next"],
            lw=1.4,
            ls="--",
            label="would be next" if budget_spent else "next point",
        )
    ei_ax = ax.twinx()
    if piece.discrete:
        ei_ax.plot(piece.x, piece.ei, "^", color=COLOURS["ei"], ms=4, alpha=0.8)
    else:
        ei_ax.plot(piece.x, piece.ei, color=COLOURS["ei"], lw=1.0, alpha=0.8)
    ei_ax.set_ylim(bottom=0.0)
    ei_ax.tick_params(axis="y", colors=COLOURS["ei"], labelsize=7)
    ei_ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    if piece.labels:
        ax.set_xticks(piece.x, piece.labels)
    if piece.log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(piece.name.replace("_", " ") + "   (green: EI, right axis)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=7, framealpha=0.85)
