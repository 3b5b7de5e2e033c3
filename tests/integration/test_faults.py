"""The fault suite: damaged run files and a full disk, each answered in words.

Every case reruns the command that made a finished quick run (or a search on a
disk that fills up) as a real process and asserts: no traceback, no signal, a
message that names the file with a way out (or a clean recovery), and every
trial record as it was.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
from fault_cases import FAULTS, ROOT, STATE_FILES, cli, run_case
from process_helpers import SAMPLE, SLOW_WITH_SAMPLE

pytestmark = SLOW_WITH_SAMPLE
ARGS = ["search", "--quick", "--train-limit", "400", "--max-trials", "4", "--seed", "7"]
ARGS += ["--data-dir", str(SAMPLE)]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> pathlib.Path:
    """A finished quick run (4 trials), made once for the module."""
    run = tmp_path_factory.mktemp("finished") / "run"
    done = cli(*ARGS, "--out", str(run))
    assert done.returncode == 0, done.stdout + done.stderr
    return run


def assert_answered(outcome, run: pathlib.Path, target: pathlib.Path) -> None:
    """A message naming ``target`` and a way out, or a clean recovery; nothing lost."""
    assert outcome.returncode in (0, 1, 2), outcome.output  # never a signal
    assert "Traceback" not in outcome.output
    assert outcome.changed_trials == [] and outcome.lost_trials == []
    if outcome.returncode == 0:
        assert json.loads((run / "results.json").read_text())["final"]["test_accuracy"] > 0
        assert (run / "report.html").is_file()
    else:
        assert str(target) in outcome.output
        assert any(way in outcome.output for way in ("rerun", "restore", "delete", "move"))


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", STATE_FILES)
def test_a_damaged_run_file_is_answered(finished_run, tmp_path, name: str, fault: str) -> None:
    work = tmp_path / "run"
    outcome = run_case(finished_run, work, name, fault, [*ARGS, "--out", "{run}"])
    assert_answered(outcome, work, work / name)
    if outcome.returncode != 0 and fault != "deleted":
        assert (work / name).exists()  # the damaged file is left for the user to see


@pytest.mark.parametrize("name", ["tuner/oracle.json", "tuner/trial_2/trial.json"])
def test_the_way_out_of_damaged_state_keeps_every_other_trial(
    finished_run, tmp_path, name: str
) -> None:
    """The message's way out (a new run warm-started from the damaged one) works."""
    work = tmp_path / "run"
    outcome = run_case(finished_run, work, name, "corrupt", [*ARGS, "--out", "{run}"])
    assert outcome.returncode == 1 and "--warm-start" in outcome.output
    if name.endswith("trial.json"):
        shutil.move(work / "tuner" / "trial_2", tmp_path / "trial_2-damaged")  # as it says
    new = cli(*ARGS, "--out", str(tmp_path / "new"), "--warm-start", str(work / "tuner"))
    assert new.returncode == 0, new.stdout + new.stderr
    kept = 4 if name.endswith("oracle.json") else 3
    assert f"{kept} earlier trial(s) ({kept} completed)" in new.stdout


def _small_disk(script: str) -> subprocess.CompletedProcess:
    """Runs ``script`` in a private mount namespace, where it may mount a small tmpfs."""
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here to mount a small disk")
    probe = subprocess.run([*unshare, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here: {probe.stderr.decode().strip()}")
    return subprocess.run([*unshare, "sh", "-c", script], capture_output=True, text=True)


@pytest.mark.parametrize("size", ["1500k", "4200k", "4700k"])
def test_a_full_disk_is_one_message_and_the_rerun_resumes(
    finished_run, tmp_path, size: str
) -> None:
    """Full at a trial's checkpoint, at the animation, at the report; then freed."""
    disk, keep = tmp_path / "disk", tmp_path / "kept"
    disk.mkdir()
    search = " ".join([sys.executable, "cli.py", *ARGS, "--out", str(disk / "run")])
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {disk} && cd {ROOT} && "
        f"TF_CPP_MIN_LOG_LEVEL=3 {search} > {tmp_path}/full.log 2>&1; echo $? > {tmp_path}/rc; "
        f"cp -a {disk}/run {tmp_path}/at-full && mount -o remount,size=64m {disk} && "
        f"TF_CPP_MIN_LOG_LEVEL=3 {search} > {tmp_path}/resumed.log 2>&1; "
        f"echo $? > {tmp_path}/rc2; cp -a {disk}/run {keep}"
    )
    done = _small_disk(script)
    assert done.returncode == 0, done.stderr
    full = (tmp_path / "full.log").read_text()
    assert (tmp_path / "rc").read_text().strip() == "1", full
    assert "Error: disk full: could not write" in full and "Traceback" not in full
    assert full.count("disk full") == 1
    assert (tmp_path / "rc2").read_text().strip() == "0", (tmp_path / "resumed.log").read_text()
    at_full = tmp_path / "at-full"
    for record in at_full.glob("tuner/trial_*/trial.json"):
        state = json.loads(record.read_text())
        if state["status"] == "COMPLETED":  # a finished trial is kept as it was
            assert (keep / record.relative_to(at_full)).read_bytes() == record.read_bytes()

    def final(run: pathlib.Path) -> list[float]:
        study = json.loads((run / "results.json").read_text())["final"]
        return [study["learning_rate"], study["test_accuracy"], study["test_loss"]]

    # The resumed run ends where an uninterrupted one does (same machine, same seed).
    assert final(keep) == pytest.approx(final(finished_run), rel=1e-6)
