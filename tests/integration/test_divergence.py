"""Learning rates that make SGD diverge never end a search (through the CLI)."""

from __future__ import annotations

import json

from process_helpers import SAMPLE, SLOW_WITH_SAMPLE, start

pytestmark = SLOW_WITH_SAMPLE
BASE = ("search", "--quick", "--final-epochs", "0", "--data-dir", str(SAMPLE))


def run(tmp_path, *args: str) -> tuple[dict, str]:
    out, log = tmp_path / "run", tmp_path / "run.log"
    assert start((*BASE, *args), out, log).wait(timeout=900) == 0, log.read_text()
    figures = sorted(p.name for p in (out / "plots").glob("*.png"))
    results = json.loads((out / "results.json").read_text())
    assert figures == [f"iteration_{i:02d}.png" for i in range(2, len(results["trials"]) + 1)]
    return results, log.read_text()


def test_a_range_reaching_divergence_is_searched_to_the_end(tmp_path) -> None:
    # Batch 32 on 800 images: lr >= 30 diverged when measured; chance level from ~1.
    results, log = run(
        tmp_path,
        "--lr-min",
        "1e-3",
        "--lr-max",
        "1000",
        "--max-trials",
        "6",
        "--initial-points",
        "2",
    )
    trials = results["trials"]
    assert len(trials) == 6
    diverged = [t for t in trials if t["status"] == "DIVERGED"]
    assert diverged and all(t["learning_rate"] >= 30 and t["score"] is None for t in diverged)
    assert "val_accuracy=diverged" in log
    # Steered away: the best is a finite score far below the diverged rates, and
    # the trials after the first divergence stay below it.
    best = results["best"]
    assert best["score"] > 0.2 and best["learning_rate"] < 1.0
    first = trials.index(diverged[0])
    assert all(t["learning_rate"] < diverged[0]["learning_rate"] for t in trials[first + 1 :])
    assert "DIVERGED" in (tmp_path / "run" / "report.html").read_text()


def test_more_diverged_trials_than_keras_tuners_failure_limit(tmp_path) -> None:
    # Every rate diverges; Keras Tuner stops after 3 consecutive *failed* trials.
    results, log = run(tmp_path, "--lr-min", "300", "--lr-max", "1e4", "--max-trials", "5")
    assert [t["status"] for t in results["trials"]] == ["DIVERGED"] * 5
    assert results["best"] is None and "no trial completed" in log
