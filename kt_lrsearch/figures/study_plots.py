"""The final model's figures: training curves and the test set's confusion matrix.

From plain lists of numbers, like the other figures; the caller saves them
(:func:`kt_lrsearch.figures.style.save_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from kt_lrsearch.figures.style import COLOURS

# (curve, label, colour, line style): training solid, test dashed.
_LINES = (
    ("loss", "training", COLOURS["mean"], "-"),
    ("test_loss", "test", COLOURS["latest"], "--"),
    ("accuracy", "training", COLOURS["mean"], "-"),
    ("test_accuracy", "test", COLOURS["latest"], "--"),
)


def plot_curves(curves: Mapping[str, Sequence[float]], *, learning_rate: float) -> Figure:
    """Loss (left) and accuracy (right) per epoch of the final training, training and test.

    Epochs are numbered from 1; each curve has one value per epoch (the
    training values are Keras's running means over the epoch, the test ones are
    measured at its end). Markers show a one-epoch training's single point.
    """
    fig = Figure(figsize=(8.0, 3.0), layout="constrained")
    loss_ax, acc_ax = fig.subplots(1, 2)
    count = max((len(curves.get(key, [])) for key, *_ in _LINES), default=0)
    for key, label, colour, style in _LINES:
        values = np.asarray(curves.get(key, []), dtype=np.float64)
        if values.size == 0:
            continue
        ax = loss_ax if key.endswith("loss") else acc_ax
        epochs = np.arange(1, values.size + 1)
        ax.plot(epochs, values, style, color=colour, marker="o", ms=4, label=label)
    for ax, name in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        # Whole epochs only: one tick per epoch up to 10, else Matplotlib's integer ticks.
        if count <= 10:
            ax.set_xticks(np.arange(1, count + 1))
        else:
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(0.5, max(count, 1) + 0.5)
        if ax.lines:
            ax.legend(loc="best", frameon=False)
    fig.suptitle(f"Final training at learning rate {learning_rate:.4g}")
    return fig


def plot_confusion(matrix: Sequence[Sequence[int]], class_names: Sequence[str]) -> Figure:
    """The confusion matrix as a heat map with counts: rows true, columns predicted.

    Cells are shaded by the row's share (so a rare class reads like a common
    one) and print the count; the diagonal is the per-class accuracy's numerator.
    """
    counts = np.asarray(matrix, dtype=np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    fig = Figure(figsize=(6.4, 5.4), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for (i, j), count in np.ndenumerate(counts):
        ax.text(
            j,
            i,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if share[i, j] > 0.6 else "black",
        )
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, label="share of the true class")
    ax.set_title(f"Test set: {int(counts.sum())} images")
    return fig
