"""What every figure shares: colours, captions, point labels that do not overprint, saving.

Never imports TensorFlow or Keras Tuner, never picks a matplotlib backend (the
caller or ``MPLBACKEND`` does). Files are written atomically: to a temporary
name in the same directory, then renamed.
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

from kt_lrsearch.core.files import atomic_path

BAND_Z = 1.959964  # 95% two-sided normal quantile


COLOURS = {
    "mean": "#1f4e79",
    "band": "#9ecae1",
    "obs": "#222222",
    "latest": "#d62728",
    "failed": "#7f7f7f",
    "ei": "#2ca02c",
    "next": "#ff7f0e",
    "best": "#ffbf00",
}


# Where a point's number may go, in points from the point, tried in order: clear
# of the "latest" ring (radius ~6 pt), then further out (issue 13: "10" and "9"
# overprinted as "19", a label hid under the ring).
LABEL_OFFSETS = [(dx, dy) for dy in (7, -15, 17, -25, 27, -35) for dx in (7, -15)]


CAPTIONS = {
    "iteration": "Dots: evaluated values, numbered by trial; star: best trial; line and band: "
    "the GP's estimate with 95% uncertainty. Lower panel: expected improvement, "
    "where the next trial goes.",
    "slices": "Each panel: the GP along one hyperparameter through the best point, the others "
    "held there; green: expected improvement.",
    "convergence": "Best score so far after each evaluation (star: the best trial); dots: "
    "each evaluation's own score.",
}


def unit_interval_metric(objective: str) -> bool:
    """Whether ``objective`` names a score that lives in [0, 1] (accuracy, AUC)."""
    name = objective.lower()
    return "acc" in name or name.endswith("auc")


# An accuracy axis may show this much above 1: the posterior band can pass the
# ceiling, and cutting it at 1 hid how uncertain the model is there.
UNIT_HEADROOM = 0.1


def clip_to_unit(ax: Axes) -> None:
    """Keeps an accuracy axis in [0, 1 + UNIT_HEADROOM], the ceiling marked.

    The floor stays near 0: a divergence once stretched the axis to -0.4.
    """
    low, high = ax.get_ylim()
    # A little below 0, so a marker at 0 (a diverged trial) is drawn whole.
    ax.set_ylim(max(low, -0.03), min(high, 1.0 + UNIT_HEADROOM))
    if high > 1.0:
        ax.axhline(1.0, color="#999999", lw=0.6, ls="-", zorder=0)


def declutter_labels(
    fig: Figure, labels: Sequence[Annotation], obstacles: Sequence[tuple[float, float]] = ()
) -> None:
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
        for offset in LABEL_OFFSETS:
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


def draw_earlier(ax: Axes, x: np.ndarray, scores: np.ndarray, label: str) -> None:
    """A warm start's earlier observations, hollow; those without a finite x or score left out."""
    shown = np.isfinite(x) & np.isfinite(scores)
    ax.scatter(
        x[shown],
        scores[shown],
        facecolors="none",
        edgecolors=COLOURS["failed"],
        zorder=2,
        s=28,
        label=label,
    )
