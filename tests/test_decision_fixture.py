"""Replays recorded GPEIOracle decisions: the same inputs must give the same proposal.

tests/fixtures/decisions.json.gz holds populate_space calls recorded by
tests/fixtures/record_decisions.py (1-D and mixed spaces, failures, diverged
scores, running trials, reloads). Each case rebuilds an oracle from the saved
oracle and trial states, asks it again, and compares: the values exactly, the
figure arrays' sums to a relative 1e-4. They come from an L-BFGS fit in float64
whose arithmetic depends on the CPU (oneDNN picks kernels by instruction set):
on an AMD EPYC, against a fixture recorded on another machine, every proposal was
identical and the sums differed by up to 9.6e-6 (log EI, 2-D Branin), 2.1e-6
(std) and 3.6e-7 (mean). A change of the model moves them by far more.
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
    oracle = GPEIOracle(objective=kt.Objective(*case["objective"]),
                        hyperparameters=kt.HyperParameters.from_config(case["space"]),
                        **case["options"])  # fmt: skip
    oracle._set_project_dir(str(directory), "project")
    oracle.verbose = 0
    oracle.trials = {t: trial_module.Trial.from_state(s) for t, s in case["trials"].items()}
    oracle.set_state(case["state"])
    return oracle


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
    assert response["values"] == expected["values"], case["scenario"]
    view = view_summary(oracle)
    mismatched = {k: (view[k], v) for k, v in expected["view"].items() if not close(view[k], v)}
    assert not mismatched, (case["scenario"], mismatched)
