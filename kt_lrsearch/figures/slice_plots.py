"""The figure of a decision in two or more dimensions: one panel per hyperparameter.

Each panel is a slice through the best point (:mod:`kt_lrsearch.tuning.slices`
computes them): the GP's mean and 95% band along one axis, the others held
there, and the expected improvement beneath.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kt_lrsearch.core.decision_view import AxisSlice, DecisionView
from kt_lrsearch.core.trial_rules import OK, trial_number
from kt_lrsearch.figures.style import (
    BAND_Z,
    CAPTIONS,
    COLOURS,
    clip_to_unit,
    draw_earlier,
    unit_interval_metric,
)


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
    # One legend for all panels, outside them: a legend inside covered data.
    handles, labels = _legend_entries(axes[: len(d.slices)])
    # The caption heads the legend: a separate caption and legend overlapped.
    legend = fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 7),
        fontsize=7,
        title=CAPTIONS["slices"],
        title_fontsize=8,
    )
    legend.get_title().set_color("#555555")
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
        label="observations (trial number)",
    )
    for x, score, trial_id in zip(
        piece.obs_x[ok], d.obs_scores[ok], np.asarray(d.obs_trial_ids)[ok], strict=True
    ):
        ax.annotate(
            str(trial_number(trial_id)),
            (x, score),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=6,
            color="#555555",
        )
    _draw_earlier(ax, piece, d)
    if np.isfinite(piece.centre_x):
        ax.axvline(piece.centre_x, color=COLOURS["obs"], lw=0.8, ls=":", label="incumbent")
    if piece.next_x is not None and np.isfinite(piece.next_x):
        ax.axvline(
            piece.next_x,
            color=COLOURS["next"],
            lw=1.4,
            ls="--",
            label=_next_label(d, budget_spent),
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


def _next_label(d: DecisionView, budget_spent: bool) -> str:
    """The proposal's legend entry, as the 1-D figure words it."""
    if budget_spent:
        return "would be next (same budget)"
    return "next (initial design)" if d.initial_design else "next point"


def _draw_earlier(ax: Axes, piece: AxisSlice, d: DecisionView) -> None:
    """A warm start's earlier observations, hollow, where they sit on this axis."""
    if d.earlier_scores is not None and len(piece.earlier_x):
        draw_earlier(ax, piece.earlier_x, d.earlier_scores, "earlier search (warm start)")


def _legend_entries(axes: Sequence[Axes]) -> tuple[list[Any], list[str]]:
    """Each label once across the panels (the first handle drawn for it)."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return list(entries.values()), list(entries)
