"""kt_lrsearch: learning-rate search with a TFP Gaussian process and Expected Improvement.

The public names load lazily, so ``import kt_lrsearch.figures.plotting`` (or the
numerical core) does not pay for TensorFlow or Keras Tuner at import time.
Importing the package changes nothing in the process: the calm console
(TensorFlow's log levels) belongs to the command line, ``kt_lrsearch.app.cli``.

Layers, one folder each; a lower one never imports a higher one:

- ``core``: kernel, GP, Expected Improvement, candidates and the decision
  (numpy, scipy, TensorFlow Probability);
- ``tuning``: the Keras Tuner integration, ``GPEIOracle`` and ``GPEITuner``;
- ``figures``: matplotlib figures and the ``IterationPlotter`` callback;
- ``app``: the Fashion-MNIST learning-rate search and its CLI.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"
__all__ = ["DecisionView", "GPEIOracle", "GPEITuner", "IterationPlotter", "__version__"]

_LOCATIONS = {
    "DecisionView": "kt_lrsearch.core.decision_view",
    "GPEIOracle": "kt_lrsearch.tuning.oracle",
    "GPEITuner": "kt_lrsearch.tuning.tuner",
    "IterationPlotter": "kt_lrsearch.figures.callbacks",
}


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'kt_lrsearch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
