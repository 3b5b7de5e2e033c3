"""Hypothesis: random spaces, scores and statuses never break the oracle."""

from __future__ import annotations

import math
import os
import tempfile

import keras_tuner as kt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_helpers import make_oracle, run_loop

# A score, a crash (None) or a divergence (NaN / +-inf).
outcomes = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([None, math.nan, math.inf, -math.inf]),
)


@st.composite
def spaces(draw) -> kt.HyperParameters:
    hps = kt.HyperParameters()
    every = ["log", "lin", "int", "choice", "bool", "step", "logint", "revlog", "revint"]
    kinds = draw(st.lists(st.sampled_from(every), min_size=1, max_size=3, unique=True))
    for kind in kinds:
        if kind == "log":
            lo = draw(st.floats(1e-6, 1e-2))
            hps.Float("log", lo, lo * draw(st.floats(2.0, 1e4)), sampling="log")
        elif kind == "lin":
            hps.Float("lin", -1.0, draw(st.floats(-0.5, 10.0)))
        elif kind == "int":
            hps.Int("int", 1, draw(st.integers(2, 64)))
        elif kind == "choice":
            hps.Choice(
                "choice", draw(st.lists(st.integers(0, 99), min_size=2, max_size=5, unique=True))
            )
        elif kind == "bool":
            hps.Boolean("bool")
        elif kind == "step":
            hps.Float("step", 0.0, 1.0, step=0.25)
        elif kind == "logint":  # Keras Tuner's default: no step on a log scale
            hps.Int("logint", 1, draw(st.integers(2, 5000)), sampling="log")
        elif kind == "revlog":
            hps.Float("revlog", 1e-4, draw(st.floats(0.01, 1.0)), sampling="reverse_log")
        else:
            hps.Int("revint", 1, draw(st.integers(2, 1000)), sampling="reverse_log")
    if draw(st.booleans()):  # a conditional branch, as in architecture searches
        hps.Choice("arch", ["a", "b", "c"])
        with hps.conditional_scope("arch", ["a", "c"]):
            hps.Float("a_rate", 1e-3, 1.0, sampling="log")
        with hps.conditional_scope("arch", "b"):
            hps.Int("b_units", 1, draw(st.integers(2, 16)))
        if draw(st.booleans()):  # one child name under two branches, a grandchild
            with hps.conditional_scope("arch", "a"):
                hps.Int("width", 1, 8)
            with hps.conditional_scope("arch", "c"):
                hps.Int("width", 16, 64, step=16)
                hps.Choice("act", ["x", "y"])
                with hps.conditional_scope("act", "y"):
                    hps.Float("gain", 0.5, 2.0)
    return hps


def in_space(hps: kt.HyperParameters, values: dict) -> bool:
    """Every active hyperparameter present and exactly in range; no inactive name set."""
    probe = hps.copy()
    probe.values = dict(values)
    for hp in hps.space:
        if not probe.is_active(hp):
            # A name two branches share is set while either of them is active.
            if hp.name in values and not probe.is_active(hp.name):
                return False
            continue
        if hp.name not in values:
            return False
        value = values[hp.name]
        if isinstance(hp, kt.engine.hyperparameters.Choice):
            ok = value in hp.values
        elif isinstance(hp, kt.engine.hyperparameters.Boolean):
            ok = isinstance(value, bool)
        else:
            ok = hp.min_value <= value <= hp.max_value
        if not ok:
            return False
    return True


# Keras Tuner's metric tracker warns about the all-NaN history of a NaN trial.
@pytest.mark.filterwarnings("ignore:All-NaN axis encountered:RuntimeWarning")
@settings(
    max_examples=int(os.environ.get("KT_LRSEARCH_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    space=spaces(),
    outcomes=st.lists(outcomes, min_size=1, max_size=8),
    running=st.integers(0, 2),
    seed=st.integers(1, 10_000),
)
def test_never_crashes_leaves_the_space_or_repeats(space, outcomes, running, seed) -> None:
    with tempfile.TemporaryDirectory() as directory:
        oracle = make_oracle(
            directory,
            space,
            max_trials=len(outcomes) + running + 1,
            num_initial_points=1,
            seed=seed,
        )
        oracle.max_consecutive_failed_trials = 100
        seen: list[str] = []
        for outcome in outcomes:
            trial = oracle.create_trial("t")
            if trial.status != "RUNNING":
                return  # a small discrete space can be exhausted: a clean stop
            values = trial.hyperparameters.values
            assert in_space(space, values)
            key = oracle._compute_values_hash(values)
            assert key not in seen
            seen.append(key)
            if outcome is None:
                trial.status = "FAILED"
            else:
                oracle.update_trial(trial.trial_id, {"score": outcome})
                trial.status = "COMPLETED"
            oracle.end_trial(trial)
        for worker in range(running):  # concurrent workers: distinct, unseen values
            trial = oracle.create_trial(f"w{worker}")
            if trial.status != "RUNNING":
                return
            assert in_space(space, trial.hyperparameters.values)
            key = oracle._compute_values_hash(trial.hyperparameters.values)
            assert key not in seen
            seen.append(key)
        # A diverged or failed trial never ranks above one with a finite score.
        finite = [
            t for t in oracle.trials.values() if t.score is not None and math.isfinite(t.score)
        ]
        if finite:
            assert math.isfinite(oracle.get_best_trials(1)[0].score)


def _box_search(tmp_path, name: str, hps: kt.HyperParameters, **kwargs) -> list[dict]:
    oracle = make_oracle(str(tmp_path / name), hps, max_trials=18, **kwargs)
    score = lambda v: -((v["x"] - 0.3) ** 2) - (v["y"] - 0.7) ** 2 - 0.01 * v.get("k", 0)  # noqa: E731
    return [t.hyperparameters.values for t in run_loop(oracle, score, 18)]


def test_the_trust_region_changes_only_a_numeric_spaces_last_third(tmp_path) -> None:
    """Trials 0-12 of 18 (d = 2, 3 initial) search everywhere; a Choice keeps the global search."""
    box = kt.HyperParameters()
    box.Float("x", 0.0, 1.0)
    box.Float("y", 0.0, 1.0)
    on, off = (_box_search(tmp_path, f"box{flag}", box, trust_region=flag) for flag in (1, 0))
    assert on[:13] == off[:13]
    assert on[13:] != off[13:]
    mixed = kt.HyperParameters()
    mixed.Float("x", 0.0, 1.0)
    mixed.Float("y", 0.0, 1.0)
    mixed.Choice("k", [0, 1, 2])
    on, off = (_box_search(tmp_path, f"mix{flag}", mixed, trust_region=flag) for flag in (1, 0))
    assert on == off


def test_a_small_integer_space_is_searched_to_the_last_point_with_the_box(tmp_path) -> None:
    """When the box holds only tried points, the search looks everywhere (it used to stop)."""
    hps = kt.HyperParameters()
    hps.Int("a", 1, 3)
    hps.Int("b", 1, 3)
    oracle = make_oracle(str(tmp_path / "ints"), hps, max_trials=9)
    trials = run_loop(oracle, lambda v: -((v["a"] - 2) ** 2) - 0.5 * (v["b"] - 3) ** 2, 9)
    assert len({(t.hyperparameters["a"], t.hyperparameters["b"]) for t in trials}) == 9
