"""The warm-start sources of a command-line run: earlier run directories, rescaled.

``--warm-start DIR`` names earlier kt_lrsearch runs or Keras Tuner projects;
here they become the oracle's sources (:mod:`kt_lrsearch.tuning.warm_start`),
checked before anything is written.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Callable, Sequence

from kt_lrsearch.app.run_config import (
    LEARNING_RATE,
    OBJECTIVE,
    SearchConfig,
    SearchError,
    read_config,
)
from kt_lrsearch.tuning import warm_start
from kt_lrsearch.tuning.warm_start import WarmStartError


def read_warm_start(
    config: SearchConfig,
    sources: Sequence[warm_start.Source],
    run_dir: pathlib.Path,
    echo: Callable[[str], None] | None = None,
) -> list[warm_start.EarlierTrial]:
    """The earlier trials of ``sources`` (``warm_sources(config)``), read once.

    Checked before anything is written: each source readable, of this
    objective, over the learning rate, and not the run directory itself.
    With ``echo``, one line per source says what it brings
    (:func:`describe_source`).

    Raises:
        WarmStartError: A source that cannot warm-start this search.
    """
    earlier: list[warm_start.EarlierTrial] = []
    for path, source in zip(config.warm_start, sources, strict=True):
        if pathlib.Path(path).resolve() == run_dir.resolve():
            raise WarmStartError(
                f"--warm-start {path}: that is --out itself; name an earlier run directory"
            )
        trials = warm_start.load([source], OBJECTIVE, "max")
        for trial in trials:
            if LEARNING_RATE not in trial.values:
                raise WarmStartError(
                    f"--warm-start {path}: a different search space (its trials tune "
                    f"{', '.join(sorted(trial.values)) or 'nothing'}, not {LEARNING_RATE})"
                )
        earlier += trials
        if echo is not None:
            echo(describe_source(path, trials))
    return earlier


def describe_source(path: str, trials: Sequence[warm_start.EarlierTrial]) -> str:
    """``warm start PATH: N earlier trials (K completed), best learning rate R (score S)``."""
    done = [t for t in trials if t.score is not None and math.isfinite(t.score)]
    line = f"warm start {path}: {len(trials)} earlier trial(s) ({len(done)} completed)"
    if done:
        best = max(done, key=lambda t: t.score)
        # Values come rescaled already (Rescaled): the rate as this search counts it.
        rate = best.values[LEARNING_RATE]
        line += f", best learning rate {rate:.3g} ({OBJECTIVE} {best.score:.4f})"
    return line


def warm_sources(config: SearchConfig) -> list[warm_start.Source]:
    """``config.warm_start`` as the oracle's sources.

    An earlier kt_lrsearch run at another batch size has its learning rates
    multiplied by this batch size over its own (the linear scaling rule,
    :class:`kt_lrsearch.tuning.warm_start.Rescaled`): its best rate then lands where
    this search's is likely to be. A Keras Tuner project (``RUN/tuner``)
    carries no batch size and is used as it is.
    """
    sources: list[warm_start.Source] = []
    for path in config.warm_start:
        earlier = _batch_size_of(pathlib.Path(path))
        if earlier is not None and earlier != config.batch_size:
            factor = config.batch_size / earlier
            sources.append(warm_start.Rescaled(path, {LEARNING_RATE: factor}))
        else:
            sources.append(path)
    return sources


def _batch_size_of(path: pathlib.Path) -> int | None:
    """The batch size an earlier run directory searched at; None if it is not one."""
    if not warm_start.is_run_directory(path):
        return None
    try:
        return read_config(path).batch_size
    except SearchError as error:
        raise WarmStartError(
            f"warm start {path}: {error}; repair it, or name its Keras "
            f"Tuner project {path / 'tuner'} instead"
        ) from None
