"""Replays recorded GPEIOracle decisions: the same inputs must give the same proposal.

tests/fixtures/decisions.json.gz holds populate_space calls recorded by
tests/fixtures/record_decisions.py (1-D and mixed spaces, failures, diverged
scores, running trials, reloads). Each case rebuilds an oracle from the saved
oracle and trial states, asks it again, and compares.

The numbers come from an L-BFGS fit in float64 whose arithmetic depends on the
CPU: oneDNN and OpenBLAS pick kernels by instruction set, and threads reorder
sums, so each result moves in its last bits. Where a value is the end of a
continuous optimisation (a refined proposal), the objective is flat to second
order there, so a perturbation of size e moves the optimum by about sqrt(e):
float64 noise of 1e-16 moves a proposal by about 1e-8. On an AMD EPYC with
AVX-512, against the recording machine, 2-D Branin proposals moved by 2.4e-13
(x1 -1.6448474118486454 against -1.6448474118490313) and by up to 4.0e-8
relative (x1 8.916032041 against 8.916031685). So:

- discrete values (Int, Choice, Boolean, Fixed, stepped Float) compare exactly,
  and so does every decision (status, which trial, which candidate won): ties
  are broken with a tolerance (:mod:`kt_lrsearch.core.ties`), so last-bit noise
  cannot flip them;
- continuous values compare to a relative ``VALUE_RTOL`` = 1e-6, 25 times the
  largest move seen and far below a move of the model (a changed kernel, rule or
  tie regrouping moved proposals by 1e-3 or more);
- the figure arrays' sums compare to a relative 1e-4: log EI far from the
  incumbent is a difference of tiny numbers (up to 9.6e-6 seen, 2-D Branin).
"""

from __future__ import annotations

import gzip
import json
import pathlib
from typing import Any

import keras_tuner as kt
import pytest
from keras_tuner.engine import trial as trial_module

from kt_lrsearch import GPEIOracle

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "decisions.json.gz"
CASES: list[dict[str, Any]] = json.loads(gzip.decompress(FIXTURE.read_bytes()))["cases"]


def test_fixture_is_broad() -> None:
    assert len(CASES) >= 200
    scenarios = {case["scenario"] for case in CASES}
    assert {"1d-failures", "1d-running", "mixed", "mixed-running", "reload"} <= scenarios
    statuses = [t["status"] for case in CASES for t in case["trials"].values()]
    assert {"COMPLETED", "FAILED", "RUNNING"} <= set(statuses)
    assert any(case["state"]["retry_queue"] for case in CASES)


def rebuild(case: dict[str, Any], directory: pathlib.Path) -> GPEIOracle:
    oracle = GPEIOracle(
        objective=kt.Objective(*case["objective"]),
        hyperparameters=kt.HyperParameters.from_config(case["space"]),
        **case["options"],
    )
    oracle._set_project_dir(str(directory), "project")
    oracle.verbose = 0
    oracle.trials = {t: trial_module.Trial.from_state(s) for t, s in case["trials"].items()}
    oracle.set_state(case["state"])
    return oracle


VALUE_RTOL = 1e-6


def continuous_names(hps: kt.HyperParameters) -> set[str]:
    """The names of the space's unstepped Float hyperparameters."""
    return {
        hp.name
        for hp in hps.space
        if isinstance(hp, kt.engine.hyperparameters.Float) and not hp.step
    }


def same_values(
    actual: dict[str, Any] | None, expected: dict[str, Any] | None, continuous: set[str]
) -> bool:
    """Equal keys; continuous values within VALUE_RTOL, the rest exactly equal."""
    if actual is None or expected is None or actual.keys() != expected.keys():
        return actual == expected
    return all(
        actual[k] == pytest.approx(v, rel=VALUE_RTOL, abs=1e-15)
        if k in continuous
        else actual[k] == v
        for k, v in expected.items()
    )


def close(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, float):
        return actual == pytest.approx(expected, rel=1e-4, abs=1e-12)
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        return all(close(a, e) for a, e in zip(actual, expected, strict=True))
    return actual == expected


@pytest.mark.parametrize("index", range(len(CASES)))
def test_recorded_decision_is_replayed(index: int, tmp_path: pathlib.Path) -> None:
    from fixtures.record_decisions import view_summary

    case = CASES[index]
    oracle = rebuild(case, tmp_path)
    response = oracle.populate_space(case["trial_id"])
    expected = case["expected"]
    assert response["status"] == expected["status"], case["scenario"]
    continuous = continuous_names(oracle.hyperparameters)
    assert same_values(response["values"], expected["values"], continuous), (
        case["scenario"],
        response["values"],
        expected["values"],
    )
    view = view_summary(oracle)
    mismatched = {k: (view[k], v) for k, v in expected["view"].items() if not close(view[k], v)}
    assert not mismatched, (case["scenario"], mismatched)
