"""Test-wide set-up: quiet TensorFlow, headless matplotlib, fixed seeds."""

from __future__ import annotations

import os

# Must precede any TensorFlow import: keeps its C++ start-up chatter and
# oneDNN notices out of the test output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import random

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run and every machine, so a red
# CI is reproducible here and a green one is not luck; no example database, so a
# local failure does not replay into later runs unnoticed.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")

SEED = 1234


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same global random state."""
    random.seed(SEED)
    np.random.seed(SEED)  # noqa: NPY002 - third-party code draws from the legacy state
