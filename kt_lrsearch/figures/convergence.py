"""A search's progress: the best score so far per evaluation, and the animated GIF.

From plain lists of numbers and PNG paths; files are written atomically.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from kt_lrsearch.core.files import atomic_path
from kt_lrsearch.core.trial_rules import DIVERGED, FAILED, OK, best_index
from kt_lrsearch.figures.style import CAPTIONS, COLOURS, clip_to_unit, unit_interval_metric


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
        ax.plot(
            np.append(n, n[-1] + 0.5),
            np.append(running, running[-1]),
            drawstyle="steps-post",
            color=COLOURS["mean"],
            lw=2,
            label="best so far",
        )
    ax.scatter(n[good], values[good], color=COLOURS["obs"], s=25, zorder=3, label="evaluation")
    pick = best_index(list(statuses), values.tolist(), direction)
    if pick is not None:
        ax.scatter(
            [n[pick]],
            [values[pick]],
            marker="*",
            s=220,
            color=COLOURS["best"],
            edgecolors=COLOURS["obs"],
            lw=0.8,
            zorder=4,
            label=f"best: trial {n[pick]}, {values[pick]:.4g}",
        )
    failed = np.isin(np.asarray(statuses), [FAILED, DIVERGED])
    if failed.any():
        low = np.nanmin(values[good]) if good.any() else 0.0
        ax.scatter(
            n[failed],
            np.full(failed.sum(), low),
            marker="x",
            color=COLOURS["failed"],
            s=45,
            zorder=3,
            label="failed / diverged",
        )
    ax.set_xlabel("evaluation")
    ax.set_ylabel(objective.replace("_", " "))
    ax.set_xticks(n)
    if n.size:
        ax.set_xlim(0.5, n[-1] + 0.5)
    if unit_interval_metric(objective):
        clip_to_unit(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Convergence")
    fig.supxlabel(CAPTIONS["convergence"], fontsize=8, color="#555555")
    return fig


def is_whole_image(path: pathlib.Path) -> bool:
    """Whether ``path`` is an image file PIL reads through (not cut short, not emptied)."""
    from PIL import Image  # matplotlib's own dependency

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, ValueError, SyntaxError):  # PIL reports a bad PNG chunk as SyntaxError
        return False
    return True


def write_gif(
    frames: Sequence[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    *,
    seconds_per_frame: float = 1.2,
) -> pathlib.Path:
    """Animates PNG ``frames`` (in order) into a looping GIF, written atomically."""
    from PIL import Image  # matplotlib's own dependency

    if not frames:
        raise ValueError("no frames to animate")
    path = pathlib.Path(path)
    images = [Image.open(frame).convert("RGB") for frame in frames]
    size = images[0].size
    images = [im if im.size == size else im.resize(size) for im in images]
    with atomic_path(path) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=int(seconds_per_frame * 1000),
            loop=0,
        )
    return path
