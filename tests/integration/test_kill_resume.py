"""SIGKILL a real search at several points, rerun the same command each time.

The resumed run must end exactly where an uninterrupted run with the same seed
ends: the same trials (ids, learning rates, scores), no completed trial trained
twice, whole figures and JSON files, and no temporary files left behind.
"""

from __future__ import annotations

import json
import pathlib
import re
import signal
import time
from collections.abc import Callable

from PIL import Image
from process_helpers import SAMPLE, SLOW_WITH_SAMPLE, start

from kt_lrsearch.app.progress import read_events, reruns

MAX_TRIALS = 6
ARGS = (
    "search",
    "--quick",
    "--train-limit",
    "400",
    "--max-trials",
    str(MAX_TRIALS),
    "--final-epochs",
    "1",
    "--seed",
    "7",
    "--data-dir",
    str(SAMPLE),
)
LINE = re.compile(r"trial \d+/\d+  lr=(\S+)")

pytestmark = SLOW_WITH_SAMPLE


def trial_running(index: int) -> Callable[[pathlib.Path, str], bool]:
    """True once the index-th trial (0-based) has been handed out and is training."""

    def check(out: pathlib.Path, _: str) -> bool:
        try:
            state = json.loads((out / "tuner" / f"trial_{index}" / "trial.json").read_text())
        except (OSError, ValueError):
            return False
        return state.get("status") == "RUNNING"

    return check


def exists(pattern: str) -> Callable[[pathlib.Path, str], bool]:
    return lambda out, _: any(out.glob(pattern))


def printed(text: str) -> Callable[[pathlib.Path, str], bool]:
    return lambda _, log: text in log


# (what is interrupted, trigger, delay after the trigger in seconds). The 2nd trial
# (400 images, lr 1e-4) runs 0.5-0.6 s from hand-out to result: a 0.5 s delay let it
# finish first on a faster CPU (an AMD EPYC), so the kill comes 0.15 s in.
KILL_POINTS = [
    ("the 2nd trial while it runs", trial_running(1), 0.15),
    ("between trials (figure 3 just written)", exists("plots/iteration_03.png"), 0.0),
    ("while figure 5 is written", exists("plots/.tmp-iteration_05-*"), 0.0),
    ("final retraining", printed("retraining lr="), 0.3),
    ("writing the GIF and report", exists("convergence.png"), 0.0),
]


def kill_when(out: pathlib.Path, log: pathlib.Path, trigger, delay: float, what: str) -> int:
    """Starts a search, SIGKILLs it at the trigger; returns its pid."""
    process = start(ARGS, out, log)
    deadline = time.monotonic() + 600
    while not trigger(out, log.read_text()):
        assert process.poll() is None, (
            f"the run ended before the kill point: {what}\n{log.read_text()}"
        )
        assert time.monotonic() < deadline, f"kill point never reached: {what}"
        time.sleep(0.005)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL, what
    return process.pid


def run_to_end(out: pathlib.Path, log: pathlib.Path, *, try_a_second: bool = False) -> None:
    """Runs a search to its end; with ``try_a_second``, a second one meanwhile must fail."""
    process = start(ARGS, out, log)
    if try_a_second:
        deadline = time.monotonic() + 300
        lock = out / ".lock"
        while not (lock.exists() and lock.read_text().startswith(f"{process.pid} ")):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        second = start(ARGS, out, log.with_suffix(".second.log"))
        assert second.wait(timeout=300) == 2
        assert f"in use by process {process.pid}" in log.with_suffix(".second.log").read_text()
    assert process.wait(timeout=900) == 0, log.read_text()


def figures(out: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "plots").glob("*.png"))}


def trial_rows(out: pathlib.Path) -> list[tuple]:
    results = json.loads((out / "results.json").read_text())
    return [(t["trial"], t["learning_rate"], t["score"], t["status"]) for t in results["trials"]]


def test_sigkill_at_any_point_then_resume_matches_an_uninterrupted_run(tmp_path) -> None:
    reference = tmp_path / "reference"
    run_to_end(reference, tmp_path / "reference.log")

    killed = tmp_path / "killed"
    logs, pids = [], []
    for number, (what, trigger, delay) in enumerate(KILL_POINTS):
        logs.append(tmp_path / f"kill{number}.log")
        pids.append(kill_when(killed, logs[-1], trigger, delay, what))
    logs.append(tmp_path / "last.log")
    # While the last rerun holds the directory, a second search is refused, naming it.
    run_to_end(killed, logs[-1], try_a_second=True)
    # Each rerun took over the lock its SIGKILLed predecessor could not release.
    for pid, log in zip(pids, logs[1:], strict=True):
        assert f"taking over the lock of process {pid}" in log.read_text()

    # The same trials, scores and decisions as the uninterrupted run.
    assert trial_rows(killed) == trial_rows(reference)
    assert len(trial_rows(killed)) == MAX_TRIALS
    # The same final study, up to its wall time (the one measured, not computed, field).
    final = json.loads((killed / "results.json").read_text())["final"]
    expected = json.loads((reference / "results.json").read_text())["final"]
    assert final.pop("seconds") > 0 and expected.pop("seconds") > 0
    assert final == expected
    # No completed trial handed out again; the one killed in training ran again.
    finished_again, retried = reruns(read_events(killed / "trial_events.jsonl"))
    assert finished_again == [] and "1" in retried
    reported = [lr for log in logs for lr in LINE.findall(log.read_text())]
    assert len(reported) == len(set(reported)) <= MAX_TRIALS
    # Whole files, identical figures, nothing half-written left behind.
    assert figures(killed) == figures(reference)
    assert sorted(figures(killed)) == [f"iteration_{i:02d}.png" for i in range(2, 7)]
    for png in [*(killed / "plots").glob("*.png"), killed / "convergence.png"]:
        with Image.open(png) as image:
            image.verify()
    assert not [p for p in killed.rglob(".tmp-*")]
    oracle_state = json.loads((killed / "tuner" / "oracle.json").read_text())
    assert oracle_state["ongoing_trials"] == {}
    with Image.open(killed / "search.gif") as gif:
        assert gif.n_frames == MAX_TRIALS - 1
    # The iteration figures and convergence, the last figure again at the top, and
    # the final model's curves and confusion matrix.
    page = (killed / "report.html").read_text()
    assert page.count("data:image/png;base64,") == MAX_TRIALS + 3
