"""kt_lrsearch: learning-rate search with a TFP Gaussian process and Expected Improvement.

The public names load lazily, so ``import kt_lrsearch.plotting`` (or the
numerical core) does not pay for TensorFlow or Keras Tuner at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

from kt_lrsearch.quiet import quiet_environment

# Before TensorFlow can load, wherever the package is entered (issue 14).
quiet_environment()

__version__ = "0.2.0"
__all__ = ["DecisionView", "GPEIOracle", "GPEITuner", "IterationPlotter", "__version__"]

_LOCATIONS = {
    "DecisionView": "kt_lrsearch.decision_view",
    "GPEIOracle": "kt_lrsearch.oracle",
    "GPEITuner": "kt_lrsearch.tuner",
    "IterationPlotter": "kt_lrsearch.callbacks",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'kt_lrsearch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
