"""Artifacts and progress lines from a real oracle's trials (no training).

One trial numbering everywhere (1-based), and the objective's own name and
direction: a minimised loss's best trial is its lowest.
"""

from __future__ import annotations

import csv
import json
import math

import keras_tuner as kt
from oracle_helpers import make_oracle, run_loop

from kt_lrsearch.app.progress import TrialLog
from kt_lrsearch.app.report import load_trials, write_artifacts
from kt_lrsearch.core.decision_view import Relation

LOSSES = [0.9, 0.4, math.inf, 0.6]


def minimised_search(tmp_path, lines: list[str]):
    losses = iter(LOSSES)
    oracle = make_oracle(
        str(tmp_path / "o"),
        objective=kt.Objective("score", "min"),
        max_trials=4,
        num_initial_points=4,
        callbacks=[TrialLog(tmp_path, 4, lines.append)],
    )
    run_loop(oracle, lambda values: next(losses), 4)
    return oracle


def test_report_honours_a_minimised_objective_and_numbers_trials_from_one(tmp_path) -> None:
    oracle = minimised_search(tmp_path, [])
    trials = load_trials(oracle, tmp_path)
    assert [t["trial"] for t in trials] == [1, 2, 3, 4]
    assert [t["status"] for t in trials] == ["COMPLETED", "COMPLETED", "DIVERGED", "COMPLETED"]
    results = write_artifacts(
        tmp_path, config={}, trials=trials, final=None, objective="score", direction="min"
    )
    assert results["best"]["trial"] == 2 and results["best"]["score"] == 0.4
    saved = json.loads((tmp_path / "results.json").read_text())
    assert (saved["objective"], saved["direction"]) == ("score", "min")
    with open(tmp_path / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["trial"] for row in rows] == ["1", "2", "3", "4"]
    page = (tmp_path / "report.html").read_text()
    assert "score 0.4000, trial 2" in page


def test_progress_line_uses_the_same_numbers_and_objective(tmp_path) -> None:
    lines: list[str] = []
    minimised_search(tmp_path, lines)
    assert [line.split("  ")[0].split("] ")[1] for line in lines] == [
        "trial 1/4",
        "trial 2/4",
        "trial 3/4",
        "trial 4/4",
    ]
    assert "score=diverged" in lines[2] and "best=0.4000" in lines[3]


def test_the_recommendation_leads_results_and_report_with_its_bound_warning(tmp_path) -> None:
    oracle = minimised_search(tmp_path, [])
    advice = oracle.decision_view().recommend()
    assert advice is not None and advice.low <= advice.value <= advice.high
    results = write_artifacts(
        tmp_path,
        config={},
        trials=load_trials(oracle, tmp_path),
        final=None,
        objective="score",
        direction="min",
        recommendation=advice,
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["recommendation"]["learning_rate"] == advice.value
    assert saved["recommendation"]["range"] == [advice.low, advice.high]
    assert results["warnings"] == ([] if advice.at_bound is None else saved["warnings"])
    page = (tmp_path / "report.html").read_text()
    assert (
        page.index("Recommended learning rate")
        < page.index("best trial")
        < page.index("<h2>Trials</h2>")
    )
    # At a bound, the warning says so and how to widen the range, in both places.
    import dataclasses

    upper = dataclasses.replace(advice, at_bound="upper")
    write_artifacts(
        tmp_path,
        config={},
        trials=load_trials(oracle, tmp_path),
        final=None,
        objective="score",
        direction="min",
        recommendation=upper,
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert len(saved["warnings"]) == 1 and "--lr-max" in saved["warnings"][0]
    assert "warning: " in (tmp_path / "report.html").read_text()
    assert saved["warm_start_relation"] is None  # a cold search
    # A warm start's judgement of the earlier search goes to both places.
    relation = Relation(correlation=0.12, probability=0.1).as_dict()
    write_artifacts(
        tmp_path,
        config={},
        trials=load_trials(oracle, tmp_path),
        final=None,
        objective="score",
        direction="min",
        recommendation=advice,
        relation=relation,
    )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["warm_start_relation"]["verdict"].startswith("unrelated:")
    page = (tmp_path / "report.html").read_text()
    assert page.index("Recommended learning rate") < page.index("Warm start: unrelated:")


def test_the_report_leads_with_the_decision_and_folds_the_iterations_away(tmp_path) -> None:
    from kt_lrsearch.figures.callbacks import IterationPlotter

    oracle = minimised_search(tmp_path, [])
    plotter = IterationPlotter(tmp_path / "plots")
    plotter.draw(oracle.decision_view(), objective="score", max_trials=4)
    final = {"learning_rate": 0.01, "epochs": 3, "test_accuracy": 0.5, "test_images": 10}
    write_artifacts(
        tmp_path,
        config={"seed": 1},
        trials=load_trials(oracle, tmp_path),
        final=final,
        objective="score",
        direction="min",
        recommendation=oracle.decision_view().recommend(),
    )
    page = (tmp_path / "report.html").read_text()
    order = [
        "Recommended learning rate",
        "Test accuracy",
        "iteration_04.png",
        "<h2>Trials</h2>",
        "convergence.png",
        "<table>",
        '<details id="iterations">',
        "search.gif",
        '<details id="configuration">',
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    # The final figure leads; every iteration figure is again inside the folded section.
    folded = page[page.index('<details id="iterations">') :]
    assert "iteration_04.png" in folded and "Every iteration (1 figures)" in folded
    # Only the best trial's row (trial 2, loss 0.4) is highlighted.
    assert page.count('<tr class="best">') == 1
    assert '<tr class="best"><td>2</td>' in page
