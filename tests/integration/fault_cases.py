"""Damage one file of a finished run directory, rerun a command, read the outcome.

The fault suite (test_faults.py) and bench/fault_suite.py share these helpers:
each case copies a finished quick run, damages one file in one way (corrupt,
empty, deleted, unreadable), reruns the command that made the run (or
``report``), and records the exit status, the output and whether every trial
record other than the damaged one is byte for byte what it was.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAULTS = ("corrupt", "empty", "deleted", "unreadable")
# Every file the tool reads back from a run directory (a 4-trial quick run's
# names). Not here: files it only writes (checkpoints, build_config.json,
# results.csv, TensorBoard logs) and .lock, which it opens but never parses.
STATE_FILES = (
    "config.json",
    "durations.json",
    "trial_events.jsonl",
    "results.json",
    "final_model.keras",
    "tuner/oracle.json",
    "tuner/tuner0.json",
    "tuner/trial_2/trial.json",
    "plots/iteration_03.png",
)
GARBAGE = b'{"truncated": [1, 2\x00\xff'


@dataclasses.dataclass
class Outcome:
    """What one rerun did: exit status, console text, trial records changed."""

    returncode: int
    output: str
    changed_trials: list[str]
    lost_trials: list[str]


def _trial_records(run: pathlib.Path) -> dict[str, bytes]:
    records = {}
    for path in sorted((run / "tuner").glob("trial_*/trial.json")):
        try:
            records[str(path.relative_to(run))] = path.read_bytes()
        except OSError:
            records[str(path.relative_to(run))] = b""
    return records


def damage(run: pathlib.Path, name: str, fault: str) -> None:
    """Applies ``fault`` to ``run / name``."""
    path = run / name
    if fault == "corrupt":
        path.write_bytes(GARBAGE)
    elif fault == "empty":
        path.write_bytes(b"")
    elif fault == "deleted":
        path.unlink()
    elif fault == "unreadable" and os.geteuid() != 0:
        path.chmod(0)
    elif fault == "unreadable":
        # Root reads a file whatever its mode; a folder in its place fails the
        # same way an unreadable file does (an OSError on open).
        path.unlink()
        path.mkdir()
    else:
        raise ValueError(f"unknown fault {fault!r}")


def cli(*args: str) -> subprocess.CompletedProcess:
    """``python cli.py ARGS`` from the checkout, its output captured."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "cli.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def run_case(
    base: pathlib.Path, work: pathlib.Path, name: str, fault: str, args: list[str]
) -> Outcome:
    """Copies ``base`` to ``work``, damages ``name``, runs ``cli.py ARGS`` on it."""
    shutil.copytree(base, work, symlinks=True)
    before = _trial_records(work)
    damage(work, name, fault)
    done = cli(*[a.replace("{run}", str(work)) for a in args])
    if fault == "unreadable" and (work / name).is_file():
        (work / name).chmod(0o644)
    after = _trial_records(work)
    changed = [k for k in before if k in after and after[k] != before[k] and k != name]
    lost = [k for k in before if k not in after and not (k == name and fault == "deleted")]
    return Outcome(done.returncode, done.stdout + done.stderr, changed, lost)
