"""The report's head (what ran, on what, how long) and its final-study section.

``run_head`` gathers what a reader of a study needs before its numbers: the
date, the data and its sizes, the model, the optimizer, the epochs, the time and
the versions. ``write_figures`` draws the final training's curves and the
confusion matrix; ``head_html`` and ``study_html`` render them.
"""

from __future__ import annotations

import datetime
import html
import importlib.metadata
import pathlib
from collections.abc import Callable
from typing import Any

from kt_lrsearch.app.run_config import CONFUSION_FIGURE, CURVES_FIGURE
from kt_lrsearch.figures.study_plots import plot_confusion, plot_curves
from kt_lrsearch.figures.style import save_figure

_PACKAGES = ("keras", "keras-tuner", "tensorflow", "jax", "numpy")


def versions() -> dict[str, str]:
    """This package's version and the installed ones it runs on (absent ones left out)."""
    from kt_lrsearch import __version__

    found = {"kt_lrsearch": __version__}
    for name in _PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def run_head(
    config: dict[str, Any],
    final: dict[str, Any] | None,
    trials: list[dict[str, Any]],
    model: dict[str, Any],
) -> dict[str, Any]:
    """The report's head as plain data (results.json's ``run``).

    Args:
        config: The search's configuration (``SearchConfig`` as a dict).
        final: The final study (``evaluation.final_evaluation``), or None.
        trials: The trial rows (``report.load_trials``), for the time spent.
        model: ``{"name", "widths", "blocks_per_stage", "optimizer"}``.
    """
    final = final or {}
    spent = sum(t["duration_s"] or 0.0 for t in trials)
    final_s = final.get("seconds") or 0.0
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "data": final.get("data"),
        "model": {**model, "parameters": final.get("parameters")},
        "epochs": {"per_trial": config.get("epochs"), "final": config.get("final_epochs")},
        "seconds": {"trials": spent, "final": final_s, "total": spent + final_s},
        "versions": versions(),
    }


def write_figures(run_dir: pathlib.Path, final: dict[str, Any] | None) -> list[pathlib.Path]:
    """Draws the final training's curves and the confusion matrix, when the study has them."""
    written = []
    if final and final.get("curves"):
        fig = plot_curves(final["curves"], learning_rate=final["learning_rate"])
        written.append(save_figure(fig, run_dir / CURVES_FIGURE))
    if final and final.get("confusion_matrix"):
        fig = plot_confusion(final["confusion_matrix"], final["class_names"])
        written.append(save_figure(fig, run_dir / CONFUSION_FIGURE))
    return written


def head_html(head: dict[str, Any] | None) -> str:
    """A definition list of the run: date, data, model, optimizer, epochs, time, versions."""
    if not head:
        return ""
    data, model, seconds = head.get("data"), head["model"], head["seconds"]
    rows = [("date", head["date"])]
    if data:
        sizes = f"{data['train']} train / {data['validation']} validation / {data['test']} test"
        rows.append(("data", f"{sizes} images from {data['source']}"))
    widths = ", ".join(str(w) for w in model["widths"])
    params = f", {model['parameters']:,} parameters" if model.get("parameters") else ""
    rows.append(("model", f"{model['name']}: widths {widths}{params}"))
    rows.append(("optimizer", model["optimizer"]))
    epochs = head["epochs"]
    rows.append(("epochs", f"{epochs['per_trial']} per trial, {epochs['final']} final"))
    rows.append(
        (
            "time",
            f"{seconds['total']:.0f} s ({seconds['trials']:.0f} s in trials, "
            f"{seconds['final']:.0f} s final training)",
        )
    )
    rows.append(("versions", ", ".join(f"{k} {v}" for k, v in head["versions"].items())))
    body = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return f'<dl class="head">{body}</dl>'


def study_html(
    run_dir: pathlib.Path, final: dict[str, Any] | None, embed: Callable[[pathlib.Path], str]
) -> str:
    """The final study: the saved model, the curves, the confusion matrix, per-class accuracy."""
    if not final or not final.get("confusion_matrix"):
        return ""
    parts = ["<h2>The final model</h2>"]
    if final.get("model_file"):
        name = html.escape(final["model_file"])
        parts.append(f"<p>Saved as <code>{name}</code> (<code>keras.saving.load_model</code>).</p>")
    if (run_dir / CURVES_FIGURE).exists():
        parts.append(embed(run_dir / CURVES_FIGURE))
    # The matrix and the per-class table side by side: the page stays short.
    confusion = embed(run_dir / CONFUSION_FIGURE) if (run_dir / CONFUSION_FIGURE).exists() else ""
    cells = [
        (html.escape(name), "&ndash;" if acc is None else f"{acc:.3f}")
        for name, acc in zip(final["class_names"], final["per_class_accuracy"], strict=True)
    ]
    rows = "".join(f"<tr><td>{name}</td><td>{acc}</td></tr>" for name, acc in cells)
    table = f"<table><tr><th>class</th><th>test accuracy</th></tr>{rows}</table>"
    parts.append(f'<div class="side">{confusion}{table}</div>')
    return f'<section id="study">{"".join(parts)}</section>'
