"""The decision's thread bound (kt_lrsearch.core.threads): applied inside, restored outside."""

from __future__ import annotations

import keras_tuner as kt
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from kt_lrsearch import GPEIOracle
from kt_lrsearch.core import gp, threads


def blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_the_bound_holds_inside_the_block_only() -> None:
    outside = blas_threads()
    with threads.limited(1):
        assert blas_threads() == {1} and threads.session_threads() == 1
        with threads.limited(None):
            assert threads.session_threads() is None
        assert threads.session_threads() == 1
    assert blas_threads() == outside
    assert threads.session_threads() == threads.DEFAULT_THREADS


def test_the_gp_session_is_built_for_the_bound() -> None:
    x, y = np.linspace(0, 1, 5)[:, None], np.sin(np.arange(5.0))
    with threads.limited(2):
        gp.fit_gp(x, y)
    config = gp._RUNTIMES[2].session._config
    assert config.intra_op_parallelism_threads == 2 == config.inter_op_parallelism_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_bound_is_refused_with_its_name(bad) -> None:
    with pytest.raises(ValueError, match="`threads` must be None or an integer >= 1"):
        GPEIOracle(objective="score", threads=bad)


def test_the_bound_changes_speed_never_a_decision(tmp_path) -> None:
    """The same trials give the same proposal with one thread and with the machine's pools."""

    def proposals(bound: int | None) -> list[dict]:
        hps = kt.HyperParameters()
        hps.Float("a", 0.0, 1.0)
        hps.Float("b", 1e-3, 1.0, sampling="log")
        oracle = GPEIOracle(
            objective=kt.Objective("score", "max"),
            hyperparameters=hps,
            max_trials=8,
            seed=1000,
            threads=bound,
        )
        oracle._set_project_dir(str(tmp_path / str(bound)), "p")
        seen = []
        for i in range(6):
            trial = oracle.create_trial(f"t{i}")
            values = trial.hyperparameters.values
            seen.append(dict(values))
            score = -((values["a"] - 0.3) ** 2) - np.log10(values["b"] / 0.05) ** 2
            oracle.update_trial(trial.trial_id, {"score": score})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
        return seen

    one, wide = proposals(1), proposals(None)
    for a, b in zip(one, wide, strict=True):
        assert a.keys() == b.keys()
        assert all(a[k] == pytest.approx(b[k], rel=1e-6) for k in a)
