"""SilenceWatch: a stopped worker process and a worker stuck on one trial are reported once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import keras_tuner as kt
import pytest

from kt_lrsearch.app.worker_watch import SilenceWatch, is_stopped

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def test_a_stopped_process_is_reported_once_and_its_return_said() -> None:
    lines: list[str] = []
    watch = SilenceWatch(lines.append, stopped_grace_s=0.0)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        spawned = [("tuner0", process)]
        watch.check({}, spawned)
        assert lines == [] and not is_stopped(process.pid)
        process.send_signal(signal.SIGSTOP)
        for _ in range(100):  # the kernel marks it stopped within moments
            if is_stopped(process.pid):
                break
            time.sleep(0.01)
        watch.check({}, spawned)
        watch.check({}, spawned)
        assert len(lines) == 1 and f"tuner0 (pid {process.pid}) is stopped" in lines[0]
        assert f"kill -CONT {process.pid}" in lines[0]
        process.send_signal(signal.SIGCONT)
        for _ in range(100):
            if not is_stopped(process.pid):
                break
            time.sleep(0.01)
        watch.check({}, spawned)
        assert lines[1] == f"chief: worker tuner0 (pid {process.pid}) goes on"
    finally:
        process.kill()
        process.wait()


def test_a_worker_on_one_trial_far_longer_than_usual_is_reported_once() -> None:
    lines: list[str] = []
    watch = SilenceWatch(lines.append, silent_floor_s=0.0, silent_factor=5.0)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    first, second = (kt.engine.trial.Trial(kt.HyperParameters(), trial_id=i) for i in "01")
    try:
        spawned = [("tuner0", process)]
        watch.check({"tuner0": first}, spawned)
        time.sleep(0.05)
        watch.check({"tuner0": second}, spawned)  # the first took ~0.05 s
        time.sleep(0.05)
        watch.check({"tuner0": second}, spawned)
        assert lines == []  # about as long as usual
        time.sleep(0.5)
        watch.check({"tuner0": second}, spawned)
        watch.check({"tuner0": second}, spawned)
        assert len(lines) == 1 and "has been on one trial for" in lines[0]
        assert "x the usual trial" in lines[0] and "may be hung" in lines[0]
    finally:
        process.kill()
        process.wait()
