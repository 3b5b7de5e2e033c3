"""`python cli.py search --workers 2`: a chief and two workers on loopback, for real."""

from __future__ import annotations

import itertools
import json
import math
import os
import pathlib
import re
import signal
import time

from PIL import Image
from process_helpers import SAMPLE, SLOW_WITH_SAMPLE, start

MAX_TRIALS = 6
ARGS = (
    "search",
    "--quick",
    "--train-limit",
    "400",
    "--max-trials",
    str(MAX_TRIALS),
    "--initial-points",
    "2",
    "--final-epochs",
    "0",
    "--workers",
    "2",
    "--data-dir",
    str(SAMPLE),
)

pytestmark = SLOW_WITH_SAMPLE


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: only its parent has not collected it yet.
    status = pathlib.Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def ongoing(out: pathlib.Path) -> dict:
    try:
        return json.loads((out / "tuner" / "oracle.json").read_text())["ongoing_trials"]
    except (OSError, ValueError, KeyError):
        return {}


def wait_while_running(
    chief, log: pathlib.Path, done, deadline: float, pause: float = 0.01
) -> None:
    """Waits until ``done()``, with the chief alive and before ``deadline``."""
    while not done():
        assert chief.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(pause)


def start_until_tuner1_trains(out: pathlib.Path, log: pathlib.Path, trials_done: int):
    """Starts the chief; returns (chief, deadline) once ``trials_done`` trials have
    ended and tuner1 is in the middle of one (the chief saves oracle.json whenever
    it hands a trial out)."""
    chief = start(ARGS, out, log)
    deadline = time.monotonic() + 600
    progress = f"trial {trials_done}/{MAX_TRIALS}"
    wait_while_running(
        chief, log, lambda: progress in log.read_text() and "tuner1" in ongoing(out), deadline
    )
    return chief, deadline


def worker_pids(log: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"(tuner\d) \(pid (\d+)\)", log)}


def check_finished_run(out: pathlib.Path) -> None:
    results = json.loads((out / "results.json").read_text())
    trials = results["trials"]
    assert len(trials) == MAX_TRIALS and len({t["trial"] for t in trials}) == MAX_TRIALS
    assert all(t["status"] == "COMPLETED" and 0 <= t["score"] <= 1 for t in trials)
    # No duplicate or near-identical suggestions (min_distance is 0.01 of the log range).
    logs = sorted(math.log10(t["learning_rate"]) for t in trials)
    assert min(b - a for a, b in itertools.pairwise(logs)) >= 0.01 * 3 - 1e-9
    figures = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert figures == [f"iteration_{i:02d}.png" for i in range(2, MAX_TRIALS + 1)]
    for name in figures:
        with Image.open(out / "plots" / name) as image:
            image.verify()
    state = json.loads((out / "tuner" / "oracle.json").read_text())
    assert state["ongoing_trials"] == {}  # a later resume re-runs nothing
    durations = json.loads((out / "durations.json").read_text())
    assert sorted(int(k) + 1 for k in durations) == sorted(t["trial"] for t in trials)


def test_two_workers_on_loopback(tmp_path) -> None:
    out, log = tmp_path / "run", tmp_path / "chief.log"
    assert start(ARGS, out, log).wait(timeout=900) == 0, log.read_text()
    text = log.read_text()
    check_finished_run(out)
    assert "chief: workers exited: tuner0 (0), tuner1 (0)" in text
    assert not any(alive(pid) for pid in worker_pids(text).values())
    for worker in ("tuner0", "tuner1"):  # both were told the search is over
        worker_log = (out / "workers" / f"{worker}.log").read_text()
        assert "the chief says the search is over" in worker_log
    assert len(re.findall(r"trial \d+/6", text)) == MAX_TRIALS  # progress from the chief


def test_a_killed_worker_stops_the_search_and_a_rerun_resumes(tmp_path) -> None:
    out, log = tmp_path / "run", tmp_path / "first.log"
    # Two trials done, and tuner1 in the middle of one.
    chief, _ = start_until_tuner1_trains(out, log, trials_done=2)
    pids = worker_pids(log.read_text())
    os.kill(pids["tuner1"], signal.SIGKILL)
    assert chief.wait(timeout=120) == 1
    text = log.read_text()
    assert "worker tuner1 exited with code -9" in text and "rerun the same command" in text
    assert "Traceback" not in text
    assert not any(alive(pid) for pid in pids.values())  # no orphan left waiting for the chief
    assert "tuner1" in ongoing(out)  # its trial was interrupted, and will run again

    rerun = tmp_path / "rerun.log"
    assert start(ARGS, out, rerun).wait(timeout=900) == 0, rerun.read_text()
    check_finished_run(out)


def test_a_stopped_worker_is_reported_and_the_search_goes_on_when_it_does(tmp_path) -> None:
    out, log = tmp_path / "run", tmp_path / "chief.log"
    chief, deadline = start_until_tuner1_trains(out, log, trials_done=1)
    pid = worker_pids(log.read_text())["tuner1"]
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped = f"worker tuner1 (pid {pid}) is stopped"
        wait_while_running(chief, log, lambda: stopped in log.read_text(), deadline, 0.1)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert chief.wait(timeout=900) == 0, log.read_text()
    text = log.read_text()
    assert f"kill -CONT {pid}" in text and f"worker tuner1 (pid {pid}) goes on" in text
    check_finished_run(out)
