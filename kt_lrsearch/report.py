"""Artifacts of a run: results.json/csv, convergence plot, GIF, report.html.

Every file is written atomically (temporary name, then rename), so a crash never
leaves half a JSON or PNG behind. :func:`regenerate` rebuilds all of them from a
run directory without training: each iteration's figure is recomputed by giving
a fresh oracle the trials it had at that point (a decision is a pure function
of seed, options and trials), so the replay shows what the search saw.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import json
import math
import os
import pathlib
from typing import Any

from kt_lrsearch.files import atomic_write_text
from kt_lrsearch.plotting import plot_convergence, save_figure, write_gif

FIELDS = ("trial_id", "learning_rate", "score", "status", "duration_s")


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The lines of a ``trial_events.jsonl``, skipping one a kill cut short."""
    events = []
    with contextlib.suppress(FileNotFoundError), open(path) as handle:
        for line in handle:
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
    return events


def reruns(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(finished trials handed out again, trials begun again after an interruption)."""
    ended: set[str] = set()
    begun: set[str] = set()
    finished_again, retried = [], []
    for event in events:
        trial_id = event["trial_id"]
        if event["event"] == "begin":
            if trial_id in ended:
                finished_again.append(trial_id)
            elif trial_id in begun:
                retried.append(trial_id)
            begun.add(trial_id)
        else:
            ended.add(trial_id)
    return finished_again, retried


def _status(trial: Any) -> str:
    if trial.status == "COMPLETED" and trial.score is not None and not math.isfinite(trial.score):
        return "DIVERGED"
    return "FAILED" if trial.status in ("FAILED", "INVALID") else str(trial.status)


def load_trials(oracle: Any, run_dir: pathlib.Path) -> list[dict[str, Any]]:
    """One row per trial in trial-id order (see FIELDS)."""
    durations_file = run_dir / "durations.json"
    durations = json.loads(durations_file.read_text()) if durations_file.exists() else {}
    rows = []
    for trial in sorted(oracle.trials.values(), key=lambda t: (len(t.trial_id), t.trial_id)):
        score = trial.score
        rows.append({
            "trial_id": trial.trial_id,
            "learning_rate": trial.hyperparameters.values.get("learning_rate"),
            "score": score if score is None or math.isfinite(score) else None,
            "status": _status(trial),
            "duration_s": durations.get(trial.trial_id),
        })  # fmt: skip
    return rows


def _best(trials: list[dict[str, Any]]) -> dict[str, Any] | None:
    done = [t for t in trials if t["status"] == "COMPLETED" and t["score"] is not None]
    return max(done, key=lambda t: t["score"]) if done else None


def write_artifacts(run_dir: str | os.PathLike[str], *, config: dict[str, Any],
                    trials: list[dict[str, Any]],
                    final: dict[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    """Writes results.json, results.csv, convergence.png, search.gif, report.html."""
    run_dir = pathlib.Path(run_dir)
    results = {"config": config, "objective": "val_accuracy", "direction": "max",
               "trials": trials, "best": _best(trials), "final": final}  # fmt: skip
    atomic_write_text(run_dir / "results.json", json.dumps(results, indent=2))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(trials)
    atomic_write_text(run_dir / "results.csv", buffer.getvalue())
    if trials:
        scores = [t["score"] if t["score"] is not None else math.nan for t in trials]
        fig = plot_convergence(scores, [t["status"] for t in trials], direction="max",
                               objective="validation accuracy")  # fmt: skip
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
    summary = [f"<li>trials: {len(results['trials'])}</li>"]
    if best:
        summary.append(
            f"<li>best learning rate: <b>{best['learning_rate']:.4g}</b> "
            f"(validation accuracy {best['score']:.4f}, trial {best['trial_id']})</li>"
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


def replay_figures(
    oracle_factory: Any,
    trials: list[Any],
    plots_dir: pathlib.Path,
    *,
    first: int = 2,
    only_missing: bool = False,
) -> list[pathlib.Path]:
    """Redraws the figure after each finished evaluation from the trial records.

    ``oracle_factory()`` must build an oracle configured like the original
    (same space, seed, options); it is given the first k trials for each k.
    With ``only_missing``, only figures absent from ``plots_dir`` are drawn
    (after a kill between recording a trial and plotting it).
    """
    from kt_lrsearch.callbacks import IterationPlotter, iteration_filename

    plotter = IterationPlotter(plots_dir, first=first, title="GP-EI learning-rate search")
    ordered = sorted(trials, key=lambda t: (len(t.trial_id), t.trial_id))
    finished = [t for t in ordered if t.status != "RUNNING"]
    for count in range(first, len(finished) + 1):
        if only_missing and (plots_dir / iteration_filename(count)).exists():
            continue
        oracle = oracle_factory()
        for trial in finished[:count]:
            oracle.trials[trial.trial_id] = trial
            oracle._record_values(trial)
        plotter.draw(oracle.diagnostics(), objective=oracle.objective.name,
                     max_trials=oracle.max_trials)  # fmt: skip
    return plotter.written
