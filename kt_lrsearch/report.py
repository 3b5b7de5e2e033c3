"""Artifacts of a run: results.json/csv, convergence plot, GIF, report.html.

Every file is written atomically (temporary name, then rename), so a crash never
leaves half a JSON or PNG behind. Trials are numbered from 1 and ranked by
:mod:`kt_lrsearch.trial_rules`, in the objective's own direction.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import pathlib
from typing import Any

from kt_lrsearch import trial_rules
from kt_lrsearch.files import atomic_write_text
from kt_lrsearch.plotting import plot_convergence, save_figure, write_gif
from kt_lrsearch.progress import DURATIONS
from kt_lrsearch.recommendation import Recommendation, bound_warning

FIELDS = ("trial", "learning_rate", "score", "status", "duration_s")


def load_trials(oracle: Any, run_dir: pathlib.Path) -> list[dict[str, Any]]:
    """One row per trial in trial order (see FIELDS); ``trial`` is the 1-based number.

    ``status`` is the trial's outcome (:func:`kt_lrsearch.trial_rules.outcome`:
    COMPLETED, DIVERGED or FAILED) once finished, else Keras Tuner's status.
    """
    durations_file = run_dir / DURATIONS
    durations = json.loads(durations_file.read_text()) if durations_file.exists() else {}
    rows = []
    for trial in sorted(oracle.trials.values(), key=lambda t: trial_rules.order_key(t.trial_id)):
        score = trial.score
        rows.append({
            "trial": trial_rules.trial_number(trial.trial_id),
            "learning_rate": trial.hyperparameters.values.get("learning_rate"),
            "score": score if score is None or math.isfinite(score) else None,
            "status": trial_rules.outcome(trial.status, score) or str(trial.status),
            "duration_s": durations.get(trial.trial_id),
        })  # fmt: skip
    return rows


def _best(trials: list[dict[str, Any]], direction: str) -> dict[str, Any] | None:
    index = trial_rules.best_index([t["status"] for t in trials], [t["score"] for t in trials],
                                   direction)  # fmt: skip
    return None if index is None else trials[index]


def write_artifacts(run_dir: str | os.PathLike[str], *, config: dict[str, Any],
                    trials: list[dict[str, Any]], final: dict[str, Any] | None,
                    objective: str, direction: str,
                    recommendation: Recommendation | None = None) -> dict[str, Any]:  # fmt: skip
    """Writes results.json, results.csv, convergence.png, search.gif, report.html.

    results.json's ``recommendation`` is the model's rate and range (None when
    there is none); ``warnings`` lists what the user should act on.
    """
    run_dir = pathlib.Path(run_dir)
    warning = bound_warning(recommendation) if recommendation else None
    results = {"config": config, "objective": objective, "direction": direction,
               "recommendation": recommendation.as_dict() if recommendation else None,
               "warnings": [warning] if warning else [],
               "trials": trials, "best": _best(trials, direction), "final": final}  # fmt: skip
    atomic_write_text(run_dir / "results.json", json.dumps(results, indent=2))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(trials)
    atomic_write_text(run_dir / "results.csv", buffer.getvalue())
    if trials:
        scores = [t["score"] if t["score"] is not None else math.nan for t in trials]
        fig = plot_convergence(scores, [t["status"] for t in trials], direction=direction,
                               objective=objective)  # fmt: skip
        save_figure(fig, run_dir / "convergence.png")
    frames = sorted((run_dir / "plots").glob("iteration_*.png"))
    if frames:
        write_gif(frames, run_dir / "search.gif")
    atomic_write_text(run_dir / "report.html", render_html(run_dir, results, frames))
    return results


def _embed(path: pathlib.Path, mime: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.name)}" src="data:{mime};base64,{data}">'


def _fmt(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def render_html(run_dir: pathlib.Path, results: dict[str, Any],
                frames: list[pathlib.Path]) -> str:  # fmt: skip
    """A self-contained page (images inlined as base64) with every figure and the table."""
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{_fmt(t[k])}</td>" for k in FIELDS) + "</tr>"
        for t in results["trials"]
    )
    best, final = results["best"], results["final"]
    summary = []
    advice = results.get("recommendation")
    if advice:
        summary.append(f"<li>recommended learning rate: <b>{advice['learning_rate']:.2g}</b> "
                       f"(range {advice['range'][0]:.2g} to {advice['range'][1]:.2g}: rates "
                       "the model cannot tell apart)</li>")  # fmt: skip
    summary += [f'<li class="warning">warning: {html.escape(w)}</li>'
                for w in results.get("warnings", [])]  # fmt: skip
    summary.append(f"<li>trials: {len(results['trials'])}</li>")
    if best:
        summary.append(
            f"<li>best trial: learning rate {best['learning_rate']:.4g} "
            f"({html.escape(results['objective'])} {best['score']:.4f}, trial {best['trial']})</li>"
        )
    if final:
        summary.append(f"<li>test accuracy after retraining {final['epochs']} epoch(s) on "
                       f"train + validation: <b>{final['test_accuracy']:.4f}</b> "
                       f"({final['test_images']} test images)</li>")  # fmt: skip
    figures = []
    for name, mime in (("convergence.png", "image/png"), ("search.gif", "image/gif")):
        if (run_dir / name).exists():
            figures.append(f"<figure>{_embed(run_dir / name, mime)}</figure>")
    figures += [f"<figure>{_embed(frame, 'image/png')}</figure>" for frame in frames]
    config = html.escape(json.dumps(results["config"], indent=2))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kt_lrsearch report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}}
img{{max-width:100%}}pre{{background:#f5f5f5;padding:.5rem}}</style></head>
<body><h1>Learning-rate search</h1><ul>{"".join(summary)}</ul>
<h2>Trials</h2><table><tr>{"".join(f"<th>{k}</th>" for k in FIELDS)}</tr>
{rows}</table><h2>Figures</h2>{"".join(figures)}
<h2>Configuration</h2><pre>{config}</pre></body></html>
"""
