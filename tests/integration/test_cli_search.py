"""`python cli.py search --quick` end to end, then `report`, then a resume."""

from __future__ import annotations

import csv
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys

import pytest
from PIL import Image

from kt_lrsearch.app.data import SAMPLE_DIR

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = SAMPLE_DIR  # the real Fashion-MNIST sample shipped in the package


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


# Every line a default search may print (issue 14: a quiet console, progress only).
PROGRESS = [
    re.compile(p)
    for p in (
        r"loading data \(.+\)",
        r"data: \d+ train / \d+ validation / \d+ test images from \S+",
        r"starting: TensorFlow loads, then the first trial compiles the model \(10-40 s\)",
        r"loading TensorFlow to read the finished search \(a few seconds\)",
        r"\[[#.]+\] trial \d+/\d+  lr=\S+  val_accuracy=\S+  best=\S+  [\d.]+s  "
        r"\(elapsed \d+s(, about \d+s left)?\)",
        r"search finished in \d+s",
        r"warning: .+",
        r"retraining lr=\S+ for \d+ epoch\(s\) on train \+ validation",
        r"final training: epoch \d+/\d+  loss=\S+  accuracy=\S+  test_loss=\S+  "
        r"test_accuracy=\S+  \d+s(, about \d+s left)?",
        r"test accuracy \d\.\d{4} \(lr=\S+, \d+s\)",
        r"recommended learning rate \S+ \(range \S+ to \S+\); best trial: \S+ \(validation "
        r"accuracy \d\.\d{4}\); report: \S+/report\.html",
    )
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[pathlib.Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("run") / "quick"
    result = cli("search", "--quick", "--data-dir", str(SAMPLE), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out, result


@pytest.mark.slow
def test_quick_search_writes_every_artifact(quick_run) -> None:
    out, result = quick_run
    figures = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert figures == [f"iteration_{i:02d}.png" for i in range(2, 7)]  # 6 trials, from the 2nd
    for name in ("convergence.png", "search.gif", "results.json", "results.csv", "report.html"):
        assert (out / name).stat().st_size > 0, name
    with Image.open(out / "search.gif") as gif:
        assert gif.n_frames == 5
    results = json.loads((out / "results.json").read_text())
    assert len(results["trials"]) == 6 and results["config"]["max_trials"] == 6
    for trial in results["trials"]:
        assert 1e-4 <= trial["learning_rate"] <= 1e-1 and trial["status"] == "COMPLETED"
        assert 0 <= trial["score"] <= 1 and trial["duration_s"] > 0
    assert results["best"]["score"] == max(t["score"] for t in results["trials"])
    assert results["best"]["score"] > 0.2  # 800 images, 1 epoch: clearly above chance (0.1)
    assert 0 < results["final"]["test_accuracy"] <= 1 and results["final"]["test_images"] == 1000
    advice = results["recommendation"]
    low, high = advice["range"]
    assert 1e-4 <= low <= advice["learning_rate"] <= high <= 1e-1
    assert results["final"]["learning_rate"] == advice["learning_rate"]  # retrained
    with open(out / "results.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 6
    page = (out / "report.html").read_text()
    # 5 iteration figures + convergence, the last iteration figure again at the top,
    # and the final model's curves and confusion matrix.
    assert page.count("data:image/png;base64,") == 9 and "data:image/gif;base64," in page
    assert '<dl class="head">' in page and "78,426 parameters" in page
    assert "trial 6/6" in result.stdout
    assert result.stdout.count("recommended learning rate") == 1  # said once, at the end
    # The whole console: progress lines only, nothing from TensorFlow, absl or TFP.
    assert result.stderr == ""
    strays = [
        line for line in result.stdout.splitlines() if not any(p.fullmatch(line) for p in PROGRESS)
    ]
    assert strays == []
    # TensorBoard, in Keras Tuner's layout: per trial, its hyperparameters and metrics.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    for number, trial in enumerate(results["trials"]):
        run = out / "tensorboard" / str(number) / "execution0"
        hparams = EventAccumulator(str(run))
        hparams.Reload()
        assert "_hparams_/session_start_info" in hparams.Tags()["tensors"]
        validation = EventAccumulator(str(run / "validation"))
        validation.Reload()
        (epoch,) = validation.Tensors("epoch_accuracy")
        assert float(make_ndarray(epoch.tensor_proto)) == pytest.approx(trial["score"])
    # Every file honours the umask (0644 under the usual 022), Keras Tuner's included.
    mask = os.umask(0)
    os.umask(mask)
    modes = {
        p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in out.rglob("*")
        if p.is_file()
    }
    assert any(p.endswith("trial.json") for p in modes)
    assert {p: m for p, m in modes.items() if m != 0o666 & ~mask} == {}


@pytest.mark.slow
def test_quick_search_ends_with_the_study(quick_run) -> None:
    """The saved model, its curves (results.json, TensorBoard, a figure), the confusion matrix."""
    import keras
    import numpy as np

    from kt_lrsearch.app import data as data_module

    out, _ = quick_run
    results = json.loads((out / "results.json").read_text())
    final = results["final"]
    model = keras.saving.load_model(out / final["model_file"])
    dataset = data_module.load(str(SAMPLE), validation_fraction=0.2, seed=42, train_limit=800)
    images = data_module.to_model_input(dataset.test.images)
    _, accuracy = model.evaluate(images, dataset.test.labels, verbose=0)
    assert accuracy == pytest.approx(final["test_accuracy"], abs=1e-6)
    matrix = np.array(final["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 1000
    assert list(matrix.sum(axis=1)) == list(np.bincount(dataset.test.labels, minlength=10))
    assert np.trace(matrix) / 1000 == pytest.approx(final["test_accuracy"], abs=1e-6)
    assert final["class_names"][0] == "T-shirt/top" and len(final["per_class_accuracy"]) == 10
    epochs = results["config"]["final_epochs"]
    assert {k: len(v) for k, v in final["curves"].items()} == {
        "loss": epochs,
        "accuracy": epochs,
        "test_loss": epochs,
        "test_accuracy": epochs,
    }
    assert final["curves"]["test_accuracy"][-1] == pytest.approx(final["test_accuracy"], abs=1e-6)
    for figure in ("final_curves.png", "confusion_matrix.png"):
        assert (out / figure).stat().st_size > 0
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    board = EventAccumulator(str(out / "tensorboard" / "final" / "validation"))
    board.Reload()
    assert len(board.Tensors("epoch_accuracy")) == epochs
    head = results["run"]
    assert head["data"] == {"source": str(SAMPLE), "train": 800, "validation": 688, "test": 1000}
    assert head["model"]["parameters"] == model.count_params()
    assert head["versions"]["keras"] == keras.__version__
    assert head["seconds"]["total"] >= head["seconds"]["final"] > 0


@pytest.mark.slow
def test_report_regenerates_without_training(quick_run) -> None:
    out, _ = quick_run
    before = json.loads((out / "results.json").read_text())
    for figure in (out / "plots").glob("*.png"):
        figure.unlink()
    (out / "report.html").unlink()
    result = cli("report", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((out / "plots").glob("iteration_*.png"))) == 5
    assert (out / "report.html").exists()
    # A progress line first (before TensorFlow loads) and one per figure redrawn.
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"reading {out}")
    assert [line for line in lines if line.startswith("figure ")] == [
        f"figure {k}/6: after {k} evaluations" for k in range(2, 7)
    ]
    after = json.loads((out / "results.json").read_text())
    assert after["trials"] == before["trials"]
    assert after["recommendation"] == before["recommendation"]


@pytest.mark.slow
def test_rerunning_the_same_command_resumes(quick_run) -> None:
    out, _ = quick_run
    before = json.loads((out / "results.json").read_text())
    result = cli("search", "--quick", "--data-dir", str(SAMPLE), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "] trial " not in result.stdout  # nothing retrained: the search was complete
    assert "resuming: 6 trial(s) already on disk" in result.stdout
    assert "final evaluation already done" in result.stdout
    assert "nothing to do: the search had finished (6 trials)" in result.stdout
    assert "search finished in" not in result.stdout
    after = json.loads((out / "results.json").read_text())
    assert after["trials"] == before["trials"] and after["final"] == before["final"]


@pytest.mark.slow
def test_a_larger_budget_extends_a_finished_run(quick_run, tmp_path) -> None:
    from kt_lrsearch.app.assembly import oracle_for
    from kt_lrsearch.app.run_config import PROJECT, read_config
    from kt_lrsearch.core import trial_rules

    out, _ = quick_run
    run = tmp_path / "extended"
    shutil.copytree(out, run)
    before = json.loads((run / "results.json").read_text())["trials"]
    # The data spelled with a trailing slash: the same files, so the same run.
    result = cli(
        "search",
        "--quick",
        "--data-dir",
        f"{SAMPLE}/",
        "--out",
        str(run),
        "--max-trials",
        "8",
        "--quiet",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # --quiet: the result line (and any warning) only.
    lines = [line for line in result.stdout.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and PROGRESS[-1].fullmatch(lines[0]) and result.stderr == ""
    after = json.loads((run / "results.json").read_text())["trials"]
    assert len(after) == 8
    assert [(t["learning_rate"], t["score"]) for t in after[:6]] == [
        (t["learning_rate"], t["score"]) for t in before
    ]
    # Trials 7 and 8 are what a fresh 8-trial oracle decides from the trials before them.
    config = read_config(run)
    oracle = oracle_for(config, [], ())
    oracle._set_project_dir(str(run), PROJECT)
    oracle.reload()
    ordered = sorted(oracle.trials.values(), key=lambda t: trial_rules.order_key(t.trial_id))
    for k in (6, 7):
        fresh = oracle_for(config, [], ())
        for trial in ordered[:k]:
            fresh.trials[trial.trial_id] = trial
            fresh._record_values(trial)
        proposed = ordered[k].hyperparameters.values["learning_rate"]
        assert fresh.decision_view().next_x == pytest.approx(proposed, rel=1e-9)
    figures = sorted(p.name for p in (run / "plots").glob("iteration_*.png"))
    assert figures == [f"iteration_{i:02d}.png" for i in range(2, 9)]


@pytest.mark.slow
def test_a_search_warm_started_from_an_earlier_run_and_resumed(quick_run, tmp_path) -> None:
    out, _ = quick_run
    run = tmp_path / "warm"
    # Half the quick run's batch size: its rates count x0.5 (linear scaling rule).
    args = (
        "search",
        "--quick",
        "--max-trials",
        "3",
        "--batch-size",
        "16",
        "--warm-start",
        str(out),
        "--out",
        str(run),
    )
    result = cli(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "searched at batch size 32, this search at 16" in result.stdout
    earlier = json.loads((out / "results.json").read_text())
    best = earlier["best"]
    assert (
        f"warm start {out}: 6 earlier trial(s) (6 completed), best learning rate "
        f"{best['learning_rate'] / 2:.3g} (val_accuracy {best['score']:.4f})"
    ) in result.stdout
    results = json.loads((run / "results.json").read_text())
    assert len(results["trials"]) == 3  # only new trials count
    used = [(e["learning_rate"], e["score"], e["rate_factor"]) for e in results["warm_start"]]
    assert used == [
        (pytest.approx(t["learning_rate"] / 2), t["score"], 0.5) for t in earlier["trials"]
    ]
    assert results["config"]["warm_start"] == [str(out)]
    # How related the model judged the two searches, in results.json and on the console.
    relation = results["warm_start_relation"]
    assert 0.0 <= relation["probability_related"] <= 1.0
    assert f"warm start: {relation['verdict']}" in result.stdout
    # The first trial is the earlier search's best (no initial design).
    first = results["trials"][0]["learning_rate"]
    assert first == pytest.approx(earlier["best"]["learning_rate"] / 2, rel=0.25)
    again = cli(*args)
    assert again.returncode == 0 and "] trial " not in again.stdout  # resumed: nothing retrained
