"""Artifacts of a run: results.json/csv, convergence plot, GIF, report.html.

Every file is written atomically (temporary name, then rename), so a crash never
leaves half a JSON or PNG behind. Trials are numbered from 1 and ranked by
:mod:`kt_lrsearch.core.trial_rules`, in the objective's own direction.
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

from kt_lrsearch.app import study_report
from kt_lrsearch.app.progress import DURATIONS, read_durations
from kt_lrsearch.core import trial_rules
from kt_lrsearch.core.files import atomic_write_text
from kt_lrsearch.core.recommendation import Recommendation, bound_warning
from kt_lrsearch.figures.convergence import plot_convergence, write_gif
from kt_lrsearch.figures.style import save_figure

FIELDS = ("trial", "learning_rate", "score", "status", "duration_s")


def load_trials(oracle: Any, run_dir: pathlib.Path) -> list[dict[str, Any]]:
    """One row per trial in trial order (see FIELDS); ``trial`` is the 1-based number.

    ``status`` is the trial's outcome (:func:`kt_lrsearch.core.trial_rules.outcome`:
    COMPLETED, DIVERGED or FAILED) once finished, else Keras Tuner's status.
    """
    durations = read_durations(run_dir / DURATIONS)
    rows = []
    for trial in sorted(oracle.trials.values(), key=lambda t: trial_rules.order_key(t.trial_id)):
        score = trial.score
        rows.append(
            {
                "trial": trial_rules.trial_number(trial.trial_id),
                "learning_rate": trial.hyperparameters.values.get("learning_rate"),
                "score": score if score is None or math.isfinite(score) else None,
                "status": trial_rules.outcome(trial.status, score) or str(trial.status),
                "duration_s": durations.get(trial.trial_id),
            }
        )
    return rows


def _best(trials: list[dict[str, Any]], direction: str) -> dict[str, Any] | None:
    index = trial_rules.best_index(
        [t["status"] for t in trials], [t["score"] for t in trials], direction
    )
    return None if index is None else trials[index]


def write_artifacts(
    run_dir: str | os.PathLike[str],
    *,
    config: dict[str, Any],
    trials: list[dict[str, Any]],
    final: dict[str, Any] | None,
    objective: str,
    direction: str,
    recommendation: Recommendation | None = None,
    warm_start: list[dict[str, Any]] | None = None,
    relation: dict[str, Any] | None = None,
    head: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Writes results.json, results.csv, convergence.png, search.gif, report.html.

    With a final study (``final`` with curves and a confusion matrix), also
    final_curves.png and confusion_matrix.png. ``head`` is the run's head
    (:func:`kt_lrsearch.app.study_report.run_head`), results.json's ``run``.

    results.json's ``recommendation`` is the model's rate and range (None when
    there is none); ``warnings`` lists what the user should act on;
    ``warm_start`` the earlier observations the search started from, and
    ``warm_start_relation`` how related the model judged the two searches
    (``decision_view.Relation.as_dict``; None without a warm start).
    """
    run_dir = pathlib.Path(run_dir)
    warning = bound_warning(recommendation) if recommendation else None
    results = {
        "run": head,
        "config": config,
        "objective": objective,
        "direction": direction,
        "recommendation": recommendation.as_dict() if recommendation else None,
        "warnings": [warning] if warning else [],
        "warm_start": warm_start or [],
        "warm_start_relation": relation,
        "trials": trials,
        "best": _best(trials, direction),
        "final": final,
    }
    atomic_write_text(run_dir / "results.json", json.dumps(results, indent=2))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(trials)
    atomic_write_text(run_dir / "results.csv", buffer.getvalue())
    if trials:
        scores = [t["score"] if t["score"] is not None else math.nan for t in trials]
        fig = plot_convergence(
            scores, [t["status"] for t in trials], direction=direction, objective=objective
        )
        save_figure(fig, run_dir / "convergence.png")
    study_report.write_figures(run_dir, final)
    frames = sorted((run_dir / "plots").glob("iteration_*.png"))
    if frames:
        write_gif(frames, run_dir / "search.gif")
    atomic_write_text(run_dir / "report.html", render_html(run_dir, results, frames))
    return results


def _embed(path: pathlib.Path, mime: str, caption: str = "") -> str:
    """A figure with the image inlined; the PNGs carry their caption in the image."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    below = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><img alt="{html.escape(path.name)}" '
        f'src="data:{mime};base64,{data}">{below}</figure>'
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def _decision(results: dict[str, Any]) -> str:
    """The decision, first: recommended rate and range, test accuracy, warnings, best trial."""
    lines = []
    advice, best, final = results.get("recommendation"), results["best"], results["final"]
    if advice:
        low, high = advice["range"]
        lines.append(
            f'<p class="answer">Recommended learning rate: '
            f"<b>{advice['learning_rate']:.2g}</b> (range {low:.2g} to {high:.2g}: "
            "rates the model cannot tell apart)</p>"
        )
    if final:
        lines.append(
            f"<p>Test accuracy after retraining {final['epochs']} epoch(s) on "
            f"train + validation at {final['learning_rate']:.4g}: "
            f"<b>{final['test_accuracy']:.4f}</b> ({final['test_images']} test "
            "images)</p>"
        )
    lines += [
        f'<p class="warning">warning: {html.escape(w)}</p>' for w in results.get("warnings", [])
    ]
    relation = results.get("warm_start_relation")
    if relation:
        lines.append(f"<p>Warm start: {html.escape(relation['verdict'])}</p>")
    trials = len(results["trials"])
    if best:
        lines.append(
            f"<p>{trials} trial(s); best trial: learning rate {best['learning_rate']:.4g} "
            f"({html.escape(results['objective'])} {best['score']:.4f}, trial "
            f"{best['trial']})</p>"
        )
    else:
        lines.append(f"<p>{trials} trial(s); none completed</p>")
    return "\n".join(lines)


def _table(results: dict[str, Any]) -> str:
    """The trial table; the best trial's row carries class "best" (highlighted)."""
    best = results["best"]["trial"] if results["best"] else None
    rows = "\n".join(
        ('<tr class="best">' if t["trial"] == best else "<tr>")
        + "".join(f"<td>{_fmt(t[k])}</td>" for k in FIELDS)
        + "</tr>"
        for t in results["trials"]
    )
    head = "".join(f"<th>{k}</th>" for k in FIELDS)
    return f"<table><tr>{head}</tr>\n{rows}</table>"


_STYLE = """body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.15rem .6rem;text-align:right}
tr.best{background:#fff3c4;font-weight:bold}img{max-width:100%}figure{margin:1rem 0}
figcaption{color:#555;font-size:.85rem}.answer{font-size:1.4rem}.warning{color:#a33}
dl.head{display:grid;grid-template-columns:max-content auto;gap:.1rem 1rem;color:#444}
dl.head dd{margin:0}summary{cursor:pointer;font-weight:bold;margin:1rem 0}
pre{background:#f5f5f5;padding:.5rem}.side{display:flex;gap:1.5rem;align-items:center}
.side figure{flex:0 1 68%}"""


def render_html(run_dir: pathlib.Path, results: dict[str, Any], frames: list[pathlib.Path]) -> str:
    """A self-contained page (images inlined as base64) that leads with the decision.

    Order: the run's head (date, data, model, time, versions); the decision
    and the final iteration figure; the final model's study; convergence and the
    trial table (best row highlighted); then, collapsed, every iteration's
    figure, the animation and the configuration.
    """
    embedded = [_embed(f, "image/png") for f in frames]  # the last one is shown twice
    final_figure = embedded[-1] if embedded else ""
    convergence = ""
    if (run_dir / "convergence.png").exists():
        convergence = _embed(run_dir / "convergence.png", "image/png")
    iterations = "".join(embedded)
    if (run_dir / "search.gif").exists():
        iterations = (
            _embed(
                run_dir / "search.gif", "image/gif", "The whole search, one frame per evaluation."
            )
            + iterations
        )
    config = html.escape(json.dumps(results["config"], indent=2))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kt_lrsearch report</title>
<style>{_STYLE}</style></head>
<body><h1>Learning-rate search</h1>
{study_report.head_html(results.get("run"))}
<section id="decision">{_decision(results)}{final_figure}</section>
{study_report.study_html(run_dir, results["final"], lambda p: _embed(p, "image/png"))}
<section id="trials"><h2>Trials</h2>{convergence}{_table(results)}</section>
<details id="iterations"><summary>Every iteration ({len(frames)} figures)</summary>
{iterations}</details>
<details id="configuration"><summary>Configuration</summary><pre>{config}</pre></details>
</body></html>
"""
