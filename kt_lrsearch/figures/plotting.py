"""Figures from plain arrays: one BO iteration, convergence, an animated GIF.

Takes a :class:`~kt_lrsearch.core.decision_view.DecisionView` (plain arrays) or lists of
numbers; never imports TensorFlow or Keras Tuner, never picks a matplotlib
backend (the caller or ``MPLBACKEND`` does). Files are written atomically: to a
temporary name in the same directory, then renamed.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from kt_lrsearch.core.decision_view import AxisSlice, DecisionView, Relation
from kt_lrsearch.core.files import atomic_path
from kt_lrsearch.core.trial_rules import DIVERGED, FAILED, OK, best_index

_BAND_Z = 1.959964  # 95% two-sided normal quantile
_COLOURS = {"mean": "#1f4e79", "band": "#9ecae1", "obs": "#222222", "latest": "#d62728",
            "failed": "#7f7f7f", "ei": "#2ca02c", "next": "#ff7f0e", "best": "#ffbf00"}  # fmt: skip
# Where a point's number may go, in points from the point, tried in order: clear
# of the "latest" ring (radius ~6 pt), then further out (issue 13: "10" and "9"
# overprinted as "19", a label hid under the ring).
_LABEL_OFFSETS = [(dx, dy) for dy in (7, -15, 17, -25, 27, -35) for dx in (7, -15)]
_CAPTIONS = {
    "iteration": "Dots: evaluated values, numbered by trial; star: best trial; line and band: "
                 "the GP's estimate with 95% uncertainty. Lower panel: expected improvement, "
                 "where the next trial goes.",
    "slices": "Each panel: the GP along one hyperparameter through the best point, the others "
              "held there; green: expected improvement.",
    "convergence": "Best score so far after each evaluation (star: the best trial); dots: "
                   "each evaluation's own score.",
}  # fmt: skip


def unit_interval_metric(objective: str) -> bool:
    """Whether ``objective`` names a score that lives in [0, 1] (accuracy, AUC)."""
    name = objective.lower()
    return "acc" in name or name.endswith("auc")


def _clip_to_unit(ax: Axes) -> None:
    """Keeps an accuracy axis inside [0, 1] (a divergence once stretched it to -0.4)."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, 0.0), min(high, 1.0))


def declutter_labels(fig: Figure, labels: Sequence[Annotation],
                     obstacles: Sequence[tuple[float, float]] = ()) -> None:  # fmt: skip
    """Moves each point label to the first offset where it overlaps no earlier label.

    Args:
        fig: The figure, laid out and measured here with an Agg renderer.
        labels: Annotations with offsets in points, in priority order.
        obstacles: (x, y) data points of the labels' axes that labels should
            not cover (the markers themselves).
    """
    if not labels:
        return
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = labels[0].axes
    pixels = ax.transData.transform(np.asarray(obstacles, dtype=float).reshape(-1, 2))
    taken = [Bbox.from_bounds(px - 4, py - 4, 8, 8) for px, py in pixels]
    for label in labels:
        for offset in _LABEL_OFFSETS:
            label.xyann = offset
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in taken):
                break
        taken.append(label.get_window_extent(renderer))
    # The measuring draw above already ran the layout engine; freezing its result
    # spares savefig a second constrained-layout pass (~0.3 s a figure, most of
    # `cli.py report`'s time on a 10-trial run).
    fig.set_layout_engine("none")


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 110) -> pathlib.Path:
    """Writes ``fig`` to ``path`` atomically (no half-written PNG after a crash)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path


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
    fig = Figure(figsize=(8.0, 6.4), layout="constrained")
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
    fig.supxlabel(_CAPTIONS["iteration"], fontsize=8, color="#555555", wrap=True)
    declutter_labels(fig, labels, [(a.xy[0], a.xy[1]) for a in labels])
    return fig


def _draw_recommendation(ax: Axes, d: DecisionView) -> None:
    """Shades the recommended range and marks the recommended value (the last figure)."""
    advice = d.recommend()
    if advice is None:
        return
    ax.axvspan(advice.low, advice.high, color=_COLOURS["best"], alpha=0.18, lw=0,
               label=f"recommended: {advice.value:.2g} (range {advice.low:.2g} to "
                     f"{advice.high:.2g})")  # fmt: skip
    ax.axvline(advice.value, color=_COLOURS["best"], lw=1.5)


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
        lo, hi = d.mean - _BAND_Z * d.std, d.mean + _BAND_Z * d.std
        ax.fill_between(d.grid, lo, hi, color=_COLOURS["band"], alpha=0.5, label="95% band")
        ax.plot(d.grid, d.mean, color=_COLOURS["mean"], lw=1.8, label="GP posterior mean")
    status = np.asarray(d.obs_status)
    ok = status == OK
    bad = ~ok
    unit = unit_interval_metric(objective)
    # Failed points sit where the GP saw them, but never below an accuracy axis.
    shown = np.where(ok, d.obs_scores, np.maximum(d.obs_model_scores, 0.0) if unit
                     else d.obs_model_scores)  # fmt: skip
    if d.earlier_x is not None:
        done = np.isfinite(d.earlier_scores)
        ax.scatter(d.earlier_x[done], d.earlier_scores[done], facecolors="none",
                   edgecolors=_COLOURS["failed"], zorder=2, s=28,
                   label=_earlier_label(d.earlier_factors, d.relation))  # fmt: skip
    ax.scatter(d.obs_x[ok], shown[ok], color=_COLOURS["obs"], zorder=3, s=28,
               label="observations")  # fmt: skip
    if bad.any():
        label = " / ".join(sorted({s.lower() for s in status[bad]} & {"failed", "diverged"}))
        ax.scatter(d.obs_x[bad], shown[bad], marker="x", color=_COLOURS["failed"],
                   zorder=3, s=45, label=f"{label} (penalised)")  # fmt: skip
    latest = len(status) - 1
    if latest >= 0:
        ax.scatter([d.obs_x[latest]], [shown[latest]], s=140, facecolors="none",
                   edgecolors=_COLOURS["latest"], lw=2, zorder=4, label="latest")  # fmt: skip
    best = d.best_index
    if best is not None:
        ax.scatter([d.obs_x[best]], [shown[best]], marker="*", s=220, color=_COLOURS["best"],
                   edgecolors=_COLOURS["obs"], lw=0.8, zorder=5,
                   label=f"best: trial {d.trial_numbers[best]}, "
                         f"{d.obs_scores[best]:.4g}")  # fmt: skip
    order = ([best] if best is not None else []) + [i for i in range(len(status)) if i != best]
    labels = [ax.annotate(str(d.trial_numbers[i]), (d.obs_x[i], shown[i]),
                          textcoords="offset points", xytext=_LABEL_OFFSETS[0], fontsize=8)
              for i in order]  # fmt: skip
    goal = " (maximised)" if d.direction == "max" else " (minimised)"
    ax.set_ylabel(objective.replace("_", " ") + goal)
    if unit:
        _clip_to_unit(ax)
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    return labels


def _draw_acquisition(ax: Axes, d: DecisionView, budget_spent: bool) -> None:
    if d.has_model:
        allowed = d.grid_allowed
        ei = np.where(allowed, d.ei, np.nan)
        ax.plot(d.grid, ei, color=_COLOURS["ei"], lw=1.5, label="expected improvement")
        ax.fill_between(d.grid, 0.0, ei, color=_COLOURS["ei"], alpha=0.15)
        if not allowed.all():
            # Candidates too close to an evaluated or running point are never
            # proposed: draw their EI apart so the argmax is visibly the choice.
            ax.plot(d.grid, np.where(allowed, np.nan, d.ei), color=_COLOURS["failed"], lw=1.0,
                    ls=":", label="excluded (too close to a tried point)")  # fmt: skip
    if d.next_x is not None:
        kind = "next (initial design)" if d.initial_design else "next point"
        if budget_spent:
            kind = "budget spent; would be next"
        ax.axvline(d.next_x, color=_COLOURS["next"], lw=1.5, ls="--",
                   label=f"{kind}: {d.next_x:.3g}")  # fmt: skip
    elif d.stop_reason:
        ax.text(0.5, 0.5, d.stop_reason, transform=ax.transAxes, ha="center", fontsize=9)
    ax.set_ylabel("EI")
    ax.set_ylim(bottom=0.0)
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8, framealpha=0.85)


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
    axes[0].set_ylabel(objective.replace("_", " ") + (" (max)" if d.direction == "max"
                                                        else " (min)"))  # fmt: skip
    heading = f"{title}: " if title else ""
    fig.suptitle(f"{heading}after {iteration} evaluation{'s' if iteration != 1 else ''}; "
                 "each panel: one hyperparameter, the others at the incumbent")  # fmt: skip
    if unit_interval_metric(objective):
        for ax in axes[: len(d.slices)]:
            _clip_to_unit(ax)
    fig.supxlabel(_CAPTIONS["slices"], fontsize=8, color="#555555")
    return fig


def _draw_slice(ax: Axes, piece: AxisSlice, d: DecisionView, budget_spent: bool) -> None:
    ok = np.asarray(d.obs_status) == OK
    if piece.discrete:
        ax.errorbar(piece.x, piece.mean, yerr=_BAND_Z * piece.std, fmt="s",
                    color=_COLOURS["mean"], capsize=4, label="posterior (95%)")  # fmt: skip
    else:
        band = _BAND_Z * piece.std
        ax.fill_between(piece.x, piece.mean - band, piece.mean + band, color=_COLOURS["band"],
                        alpha=0.5)  # fmt: skip
        ax.plot(piece.x, piece.mean, color=_COLOURS["mean"], lw=1.6, label="posterior mean")
    ax.scatter(piece.obs_x[ok], d.obs_scores[ok], color=_COLOURS["failed"], s=16, zorder=3,
               label="observations")  # fmt: skip
    if np.isfinite(piece.centre_x):
        ax.axvline(piece.centre_x, color=_COLOURS["obs"], lw=0.8, ls=":", label="incumbent")
    if piece.next_x is not None and np.isfinite(piece.next_x):
        ax.axvline(piece.next_x, color=_COLOURS["next"], lw=1.4, ls="--",
                   label="would be next" if budget_spent else "next point")  # fmt: skip
    ei_ax = ax.twinx()
    if piece.discrete:
        ei_ax.plot(piece.x, piece.ei, "^", color=_COLOURS["ei"], ms=4, alpha=0.8)
    else:
        ei_ax.plot(piece.x, piece.ei, color=_COLOURS["ei"], lw=1.0, alpha=0.8)
    ei_ax.set_ylim(bottom=0.0)
    ei_ax.tick_params(axis="y", colors=_COLOURS["ei"], labelsize=7)
    ei_ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    if piece.labels:
        ax.set_xticks(piece.x, piece.labels)
    if piece.log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(piece.name.replace("_", " ") + "   (green: EI, right axis)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=7, framealpha=0.85)


def best_so_far(scores: Sequence[float], direction: str) -> np.ndarray:
    """Running best of ``scores`` (NaN/inf entries never improve it), shape (n,)."""
    values = np.asarray(scores, dtype=np.float64)
    sign = 1.0 if direction == "max" else -1.0
    frame = np.where(np.isfinite(values), sign * values, -np.inf)
    running = np.maximum.accumulate(frame) if frame.size else frame
    return np.where(np.isfinite(running), sign * running, np.nan)


def plot_convergence(
    scores: Sequence[float], statuses: Sequence[str], *, direction: str, objective: str
) -> Figure:
    """Best-so-far objective against the evaluation number; failures marked.

    The best-so-far line runs half a step past the last evaluation, so an
    improvement at the last trial shows as a level, not a bare vertical edge.
    """
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.subplots()
    n = np.arange(1, len(scores) + 1)
    values = np.asarray(scores, dtype=np.float64)
    good = np.isfinite(values) & (np.asarray(statuses) == OK)
    running = best_so_far(scores, direction)
    if n.size:
        ax.plot(np.append(n, n[-1] + 0.5), np.append(running, running[-1]),
                drawstyle="steps-post", color=_COLOURS["mean"], lw=2,
                label="best so far")  # fmt: skip
    ax.scatter(n[good], values[good], color=_COLOURS["obs"], s=25, zorder=3, label="evaluation")
    pick = best_index(list(statuses), values.tolist(), direction)
    if pick is not None:
        ax.scatter([n[pick]], [values[pick]], marker="*", s=220, color=_COLOURS["best"],
                   edgecolors=_COLOURS["obs"], lw=0.8, zorder=4,
                   label=f"best: trial {n[pick]}, {values[pick]:.4g}")  # fmt: skip
    failed = np.isin(np.asarray(statuses), [FAILED, DIVERGED])
    if failed.any():
        low = np.nanmin(values[good]) if good.any() else 0.0
        ax.scatter(n[failed], np.full(failed.sum(), low), marker="x", color=_COLOURS["failed"],
                   s=45, zorder=3, label="failed / diverged")  # fmt: skip
    ax.set_xlabel("evaluation")
    ax.set_ylabel(objective.replace("_", " "))
    ax.set_xticks(n)
    if n.size:
        ax.set_xlim(0.5, n[-1] + 0.5)
    if unit_interval_metric(objective):
        _clip_to_unit(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Convergence")
    fig.supxlabel(_CAPTIONS["convergence"], fontsize=8, color="#555555")
    return fig


def write_gif(frames: Sequence[str | os.PathLike[str]], path: str | os.PathLike[str], *,
              seconds_per_frame: float = 1.2) -> pathlib.Path:  # fmt: skip
    """Animates PNG ``frames`` (in order) into a looping GIF, written atomically."""
    from PIL import Image  # matplotlib's own dependency

    if not frames:
        raise ValueError("no frames to animate")
    path = pathlib.Path(path)
    images = [Image.open(frame).convert("RGB") for frame in frames]
    size = images[0].size
    images = [im if im.size == size else im.resize(size) for im in images]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=int(seconds_per_frame * 1000), loop=0)  # fmt: skip
    return path
