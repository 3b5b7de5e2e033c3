"""One process per run directory (kt_lrsearch.app.run_lock), and its takeover after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from cli import main
from kt_lrsearch.app.run_lock import LOCK, LockError, RunInUse, run_lock

HOLD = (
    "import pathlib, sys, time; sys.path.insert(0, {root!r}); "
    "from kt_lrsearch.app.run_lock import run_lock\n"
    "with run_lock(pathlib.Path({run!r}), 'search'):\n"
    "    print('held', flush=True); time.sleep(120)"
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_held_run_is_refused_with_the_holders_pid(tmp_path) -> None:
    lines: list[str] = []
    with run_lock(tmp_path, "search", lines.append):
        assert (tmp_path / LOCK).read_text().startswith(f"{os.getpid()} search since ")
        refused = pytest.raises(RunInUse, match=f"in use by process {os.getpid()} \\(search since")
        with refused, run_lock(tmp_path, "report"):
            pass
    # Released cleanly: the next holder takes it without a takeover message.
    with run_lock(tmp_path, "report", lines.append):
        pass
    assert lines == [] and (tmp_path / LOCK).read_text() == ""


def test_a_killed_holders_lock_is_taken_over(tmp_path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(root=ROOT, run=str(tmp_path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunInUse, match=f"process {holder.pid}"), run_lock(tmp_path, "search"):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
        holder.stdout.close()
    lines: list[str] = []
    with run_lock(tmp_path, "search", lines.append):
        pass
    assert len(lines) == 1 and f"taking over the lock of process {holder.pid}" in lines[0]


@pytest.mark.parametrize("command", ["search", "report"])
def test_the_cli_exits_2_naming_the_pid_while_a_run_holds_the_directory(tmp_path, command):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"search": {}, "final_epochs": 3}')
    with run_lock(run, "search"):
        before = {p.name: p.read_bytes() for p in run.iterdir()}
        args = (
            ["search", "--quick", "--out", str(run)]
            if command == "search"
            else ["report", str(run)]
        )
        result = CliRunner().invoke(main, args)
        after = {p.name: p.read_bytes() for p in run.iterdir()}
    assert result.exit_code == 2, result.output
    assert f"in use by process {os.getpid()}" in result.output
    assert "Traceback" not in result.output
    assert after == before  # nothing written


def test_an_unwritable_directory_gets_a_clear_error(tmp_path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    tmp_path.chmod(0o555)
    try:
        refused = pytest.raises(LockError, match="cannot create the run's lock file")
        with refused, run_lock(tmp_path, "report"):
            pass
    finally:
        tmp_path.chmod(0o755)


def test_stamps_name_the_command_and_a_time(tmp_path) -> None:
    with run_lock(tmp_path, "report"):
        pid, command, since, day, clock = (tmp_path / LOCK).read_text().split()
    assert (int(pid), command, since) == (os.getpid(), "report", "since")
    assert time.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")
