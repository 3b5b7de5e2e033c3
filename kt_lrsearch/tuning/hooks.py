"""The oracle's callback protocol and its dispatch (no plotting, no Keras Tuner).

Keras Tuner has no tuner-level callback API, so GPEIOracle calls these hooks
itself (see :mod:`kt_lrsearch.figures.callbacks` for the ready ones).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Protocol


class OracleCallback(Protocol):
    """Anything with ``on_trial_end(oracle, trial)``; called after the trial is saved.

    It may also define ``on_trial_begin(oracle, trial)``, called when the oracle
    hands a trial (new or retried) to a tuner.
    """

    def on_trial_end(self, oracle: Any, trial: Any) -> None: ...


def notify(callbacks: Sequence[Any], event: str, oracle: Any, trial: Any) -> None:
    """Calls ``event`` ("on_trial_begin"/"on_trial_end") on each callback that has it.

    An exception in one becomes a warning: a plot or a log must never end a
    search (in distributed tuning a raising oracle hangs the chief).
    """
    for callback in callbacks:
        method = getattr(callback, event, None)
        if method is None:
            continue
        try:
            method(oracle, trial)
        except Exception as error:
            warnings.warn(
                f"GPEIOracle callback {type(callback).__name__}.{event} failed for trial "
                f"{trial.trial_id}: {error!r}",
                RuntimeWarning,
                stacklevel=4,
            )
