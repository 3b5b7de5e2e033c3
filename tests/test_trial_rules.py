"""Trial rules shared by the oracle, the report, the progress line and the figures."""

from __future__ import annotations

import math

import pytest

from kt_lrsearch.core import trial_rules
from kt_lrsearch.core.trial_rules import DIVERGED, FAILED, OK


@pytest.mark.parametrize(
    ("status", "score", "expected"),
    [
        ("COMPLETED", 0.5, OK),
        ("STOPPED", 0.5, OK),  # stopped early with a score: a result like any other
        ("COMPLETED", math.nan, DIVERGED),
        ("COMPLETED", -math.inf, DIVERGED),
        ("STOPPED", math.inf, DIVERGED),
        ("COMPLETED", None, None),
        ("FAILED", None, FAILED),
        ("INVALID", 0.3, FAILED),
        ("RUNNING", None, None),
        ("IDLE", None, None),
    ],
)
def test_outcome(status: str, score: float | None, expected: str | None) -> None:
    assert trial_rules.outcome(status, score) == expected


def test_order_and_numbering() -> None:
    ids = ["10", "9", "1", "0"]
    assert sorted(ids, key=trial_rules.order_key) == ["0", "1", "9", "10"]
    assert [trial_rules.trial_number(t) for t in ("0", "09", "10")] == [1, 10, 11]


ROWS = [
    ("COMPLETED", 0.5),
    ("FAILED", None),
    ("COMPLETED", math.inf),
    ("COMPLETED", 0.7),
    ("COMPLETED", 0.2),
    ("COMPLETED", 0.7),
    ("RUNNING", None),
]


def test_best_honours_the_direction_and_ties_go_to_the_earlier_trial() -> None:
    statuses, scores = zip(*ROWS, strict=True)
    assert trial_rules.best_index(statuses, scores, "max") == 3
    assert trial_rules.best_index(statuses, scores, "min") == 4
    assert trial_rules.best_index(["FAILED", "RUNNING"], [None, None], "max") is None
    assert trial_rules.best_index([], [], "max") is None


def test_rank_puts_results_first_then_diverged_then_the_rest() -> None:
    order = sorted(range(len(ROWS)), key=lambda i: trial_rules.rank_key(*ROWS[i], "max"))
    assert order == [3, 5, 0, 4, 2, 1, 6]


def test_direction_is_checked() -> None:
    assert trial_rules.sign("max") == 1.0 and trial_rules.sign("min") == -1.0
    with pytest.raises(ValueError, match="'max' or 'min'"):
        trial_rules.sign("maximise")
