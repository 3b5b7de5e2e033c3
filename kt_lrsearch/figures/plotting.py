"""The figure of one BO iteration in one dimension: the GP over the rates, and EI beneath.

Takes a :class:`~kt_lrsearch.core.decision_view.DecisionView` (plain arrays);
never imports TensorFlow or Keras Tuner, never picks a matplotlib backend. The
N-D figure is :mod:`kt_lrsearch.figures.slice_plots`, the convergence figure and
the GIF :mod:`kt_lrsearch.figures.convergence`, what they share
:mod:`kt_lrsearch.figures.style`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Annotation

from kt_lrsearch.core.decision_view import DecisionView, Relation
from kt_lrsearch.core.trial_rules import OK
from kt_lrsearch.figures.style import (
    BAND_Z,
    CAPTIONS,
    COLOURS,
    LABEL_OFFSETS,
    clip_to_unit,
    declutter_labels,
    draw_earlier,
    unit_interval_metric,
)


def _x_label(d: DecisionView) -> str:
    return d.names[0].replace("_", " ") if d.names else "value"


def plot_iteration(
    d: DecisionView,
    *,
    iteration: int,
    title: str | None = None,
    objective: str = "objective",
    budget_spent: bool = False,
) -> Figure:
    """The two-panel diagnostic figure of one BO iteration (1-D searches).

    Top: every observation (labelled with its trial number, the latest highlighted,
    failed/diverged ones as grey crosses at the value the GP saw), the GP
    posterior mean and its 95% band. Bottom: EI over the grid with the next
    proposed point. The x axis is the hyperparameter in real units, log-scaled
    when the grid is log-spaced.

    Args:
        d: The decision snapshot (``oracle.decision_view()``); needs ``d.grid``.
        iteration: Number of completed evaluations shown (for the title).
        title: Optional title prefix.
        objective: The objective's name, for the y axis.
        budget_spent: The search ends here: the proposal is drawn as the
            point that would come next, not as the next trial, and the
            recommended value and its range are marked.

    Raises:
        ValueError: For a search with more than one tuned dimension.
    """
    if d.grid is None or d.obs_x is None:
        raise ValueError("plot_iteration draws one-dimensional numeric searches only")
    # Wider than the plot needs: the legends stand to the right of the panels.
    fig = Figure(figsize=(10.5, 6.4), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1.0))
    log_x = d.grid[0] > 0 and np.allclose(np.diff(np.log(d.grid)), np.log(d.grid[1] / d.grid[0]))
    if budget_spent:
        _draw_recommendation(top, d)
    labels = _draw_posterior(top, d, objective)
    _draw_acquisition(bottom, d, budget_spent)
    for ax in (top, bottom):
        ax.set_xscale("log" if log_x else "linear")
        ax.grid(True, which="major", alpha=0.3)
    bottom.set_xlabel(_x_label(d) + (" (log scale)" if log_x else ""))
    heading = f"{title}: " if title else ""
    fig.suptitle(f"{heading}after {iteration} evaluation{'s' if iteration != 1 else ''}")
    fig.supxlabel(CAPTIONS["iteration"], fontsize=8, color="#555555", wrap=True)
    declutter_labels(fig, labels, [(a.xy[0], a.xy[1]) for a in labels])
    return fig


def _draw_recommendation(ax: Axes, d: DecisionView) -> None:
    """Shades the recommended range and marks the recommended value (the last figure)."""
    advice = d.recommend()
    if advice is None:
        return
    ax.axvspan(
        advice.low,
        advice.high,
        color=COLOURS["best"],
        alpha=0.18,
        lw=0,
        label=f"recommended: {advice.value:.2g} (range {advice.low:.2g} to {advice.high:.2g})",
    )
    ax.axvline(advice.value, color=COLOURS["best"], lw=1.5)


def _earlier_label(factors: tuple[float, ...], relation: Relation | None) -> str:
    """Legend of a warm start's markers: rescaled or not, and how related so far."""
    notes = ["warm start"]
    if factors:
        notes.append(f"rates x{factors[0]:.3g}" if len(factors) == 1 else "rates rescaled")
    if relation is not None:
        notes.append(f"P(related) {relation.probability:.2f}")
    return f"earlier search ({', '.join(notes)})"


def _draw_posterior(ax: Axes, d: DecisionView, objective: str) -> list[Annotation]:
    """Draws the top panel; returns the point labels, best trial first."""
    if d.has_model:
        lo, hi = d.mean - BAND_Z * d.std, d.mean + BAND_Z * d.std
        ax.fill_between(d.grid, lo, hi, color=COLOURS["band"], alpha=0.5, label="95% band")
        ax.plot(d.grid, d.mean, color=COLOURS["mean"], lw=1.8, label="GP posterior mean")
    status = np.asarray(d.obs_status)
    ok = status == OK
    bad = ~ok
    unit = unit_interval_metric(objective)
    # Failed points sit where the GP saw them, but never below an accuracy axis.
    shown = np.where(
        ok, d.obs_scores, np.maximum(d.obs_model_scores, 0.0) if unit else d.obs_model_scores
    )
    if d.earlier_x is not None:
        draw_earlier(
            ax, d.earlier_x, d.earlier_scores, _earlier_label(d.earlier_factors, d.relation)
        )
    ax.scatter(d.obs_x[ok], shown[ok], color=COLOURS["obs"], zorder=3, s=28, label="observations")
    if bad.any():
        label = " / ".join(sorted({s.lower() for s in status[bad]} & {"failed", "diverged"}))
        ax.scatter(
            d.obs_x[bad],
            shown[bad],
            marker="x",
            color=COLOURS["failed"],
            zorder=3,
            s=45,
            label=f"{label} (penalised)",
        )
    latest = len(status) - 1
    if latest >= 0:
        ax.scatter(
            [d.obs_x[latest]],
            [shown[latest]],
            s=140,
            facecolors="none",
            edgecolors=COLOURS["latest"],
            lw=2,
            zorder=4,
            label="latest",
        )
    best = d.best_index
    if best is not None:
        ax.scatter(
            [d.obs_x[best]],
            [shown[best]],
            marker="*",
            s=220,
            color=COLOURS["best"],
            edgecolors=COLOURS["obs"],
            lw=0.8,
            zorder=5,
            label=f"best: trial {d.trial_numbers[best]}, {d.obs_scores[best]:.4g}",
        )
    order = ([best] if best is not None else []) + [i for i in range(len(status)) if i != best]
    labels = [
        ax.annotate(
            str(d.trial_numbers[i]),
            (d.obs_x[i], shown[i]),
            textcoords="offset points",
            xytext=LABEL_OFFSETS[0],
            fontsize=8,
        )
        for i in order
    ]
    goal = " (maximised)" if d.direction == "max" else " (minimised)"
    ax.set_ylabel(objective.replace("_", " ") + goal)
    if unit:
        clip_to_unit(ax)
    _legend_beside(ax)
    return labels


def _legend_beside(ax: Axes) -> None:
    """The panel's legend to its right: inside, it covered the band at wide ranges."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)


def _ei_scale(ei: np.ndarray) -> tuple[float, str]:
    """(divisor, axis label) that put EI's peak between 1 and 10 on a plain axis.

    Matplotlib's offset text ("1e-23" above the axis) was read as a value.
    """
    peak = float(np.nanmax(ei)) if np.isfinite(ei).any() else 0.0
    if not peak > 0.0:
        return 1.0, "EI (zero everywhere)"
    exponent = int(np.floor(np.log10(peak)))
    if exponent in (-1, 0):
        return 1.0, "EI"
    return 10.0**exponent, f"EI (x 1e{exponent})"


def _draw_acquisition(ax: Axes, d: DecisionView, budget_spent: bool) -> None:
    scale, ylabel = _ei_scale(d.ei) if d.has_model else (1.0, "EI")
    if d.has_model:
        allowed = d.grid_allowed
        ei = np.where(allowed, d.ei, np.nan) / scale
        ax.plot(d.grid, ei, color=COLOURS["ei"], lw=1.5, label="expected improvement")
        ax.fill_between(d.grid, 0.0, ei, color=COLOURS["ei"], alpha=0.15)
        if not allowed.all():
            # Candidates too close to an evaluated or running point are never
            # proposed: draw their EI apart so the argmax is visibly the choice.
            ax.plot(
                d.grid,
                np.where(allowed, np.nan, d.ei) / scale,
                color=COLOURS["failed"],
                lw=1.0,
                ls=":",
                label="excluded (too close to a tried point)",
            )
    if d.next_x is not None:
        kind = "next (initial design)" if d.initial_design else "next point"
        if budget_spent:
            # The margin depends on the budget: a larger one may propose elsewhere.
            kind = "budget spent; would be next (same budget)"
        ax.axvline(
            d.next_x, color=COLOURS["next"], lw=1.5, ls="--", label=f"{kind}: {d.next_x:.3g}"
        )
    elif d.stop_reason:
        ax.text(0.5, 0.5, d.stop_reason, transform=ax.transAxes, ha="center", fontsize=9)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0.0)
    if ax.get_legend_handles_labels()[0]:
        _legend_beside(ax)
