"""Running `python cli.py ...` as a real process, for the kill and distributed tests."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "data" / "fashion-mnist-sample"
# Model-training tests that need the shared sample.
SLOW_WITH_SAMPLE = [
    pytest.mark.slow,
    pytest.mark.skipif(not SAMPLE.is_dir(), reason="../shared sample not present"),
]


def start(args: tuple[str, ...], out: pathlib.Path, log: pathlib.Path) -> subprocess.Popen:
    """Starts `python cli.py ARGS --out OUT`, stdout and stderr into ``log``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "w") as handle:
        return subprocess.Popen([sys.executable, "cli.py", *args, "--out", str(out)], cwd=ROOT,
                                env=env, stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
