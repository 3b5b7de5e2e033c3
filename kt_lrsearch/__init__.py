"""kt_lrsearch: learning-rate search with a TFP Gaussian process and Expected Improvement.

The public names load lazily, so ``import kt_lrsearch.plotting`` (or the
numerical core) does not pay for TensorFlow or Keras Tuner at import time.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DecisionView", "GPEIOracle"]

_LOCATIONS = {
    "DecisionView": "kt_lrsearch.decision_view",
    "GPEIOracle": "kt_lrsearch.oracle",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'kt_lrsearch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
