"""Running `python cli.py ...` as a real process, for the kill and distributed tests."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from kt_lrsearch.app.data import SAMPLE_DIR

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = SAMPLE_DIR  # the real Fashion-MNIST sample shipped in the package
# Model-training tests on the sample.
SLOW_WITH_SAMPLE = [pytest.mark.slow]


def start(args: tuple[str, ...], out: pathlib.Path, log: pathlib.Path) -> subprocess.Popen:
    """Starts `python cli.py ARGS --out OUT`, stdout and stderr into ``log``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "w") as handle:
        return subprocess.Popen(
            [sys.executable, "cli.py", *args, "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
