"""Expected Improvement: golden values, a naive reference, log-EI, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch.core.acquisition import (
    expected_improvement,
    log_expected_improvement,
    log_h,
    normal_cdf,
    normal_pdf,
)

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False)


def naive_ei(mu: float, sigma: float, best: float, xi: float = 0.0) -> float:
    """Textbook EI with math.erf, the reference the vectorised code must match."""
    z = (mu - best - xi) / sigma
    cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return sigma * (pdf + z * cdf)


def test_golden_value_from_botorch() -> None:
    # BoTorch's analytic EI test: mean -0.5, variance 1, best 0, maximising.
    ei = expected_improvement(np.array([-0.5]), np.array([1.0]), 0.0)
    assert ei[0] == pytest.approx(0.19780, abs=1e-5)


@pytest.mark.parametrize(
    ("mu", "sigma", "best", "xi"),
    [(0.0, 1.0, 0.0, 0.0), (1.3, 0.2, 1.0, 0.01), (-2.0, 0.5, 0.0, 0.0), (5.0, 3.0, 4.0, 0.5)],
)
def test_matches_textbook_formula(mu: float, sigma: float, best: float, xi: float) -> None:
    ei = expected_improvement(np.array([mu]), np.array([sigma]), best, xi=xi)
    assert ei[0] == pytest.approx(naive_ei(mu, sigma, best, xi), rel=1e-12)


def test_normal_helpers_match_math() -> None:
    z = np.array([-3.0, -0.5, 0.0, 1.7])
    expected_cdf = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z]
    np.testing.assert_allclose(normal_cdf(z), expected_cdf, rtol=1e-14)
    np.testing.assert_allclose(normal_pdf(z), np.exp(-z * z / 2) / math.sqrt(2 * math.pi))


def test_log_h_is_continuous_across_regimes() -> None:
    # The three formulas meet at z = -1 and z = -25; no step at either seam.
    for seam in (-1.0, -25.0):
        left, right = log_h(np.array([seam - 1e-9, seam + 1e-9]))
        assert abs(left - right) < 1e-6 * abs(left) + 1e-8


def test_log_ei_keeps_order_where_ei_underflows() -> None:
    mean = -np.linspace(60.0, 40.0, 50)  # z from -60 to -40: EI is exactly 0
    std = np.ones_like(mean)
    assert np.all(expected_improvement(mean, std, 0.0) == 0.0)
    log_ei = log_expected_improvement(mean, std, 0.0)
    assert np.all(np.isfinite(log_ei))
    assert np.all(np.diff(log_ei) > 0)


def test_log_ei_agrees_with_log_of_naive_ei() -> None:
    # Down to z = -5.5 only: below that the textbook formula itself cancels.
    mus = np.linspace(-3.6, 3.0, 40)
    log_ei = log_expected_improvement(mus, np.full_like(mus, 0.7), 0.2, xi=0.05)
    reference = [math.log(naive_ei(m, 0.7, 0.2, 0.05)) for m in mus]
    np.testing.assert_allclose(log_ei, reference, rtol=1e-8)


def test_zero_std_is_plain_improvement() -> None:
    mean = np.array([1.0, 0.5, -1.0])
    ei = expected_improvement(mean, np.zeros(3), 0.5)
    np.testing.assert_array_equal(ei, [0.5, 0.0, 0.0])
    assert log_expected_improvement(mean, np.zeros(3), 0.5)[1] == -math.inf


@pytest.mark.parametrize(
    ("mean", "std", "best", "xi", "message"),
    [
        ([0.0], [-1.0], 0.0, 0.0, "non-negative"),
        ([0.0], [1.0], 0.0, -0.1, "xi"),
        ([np.nan], [1.0], 0.0, 0.0, "finite"),
        ([0.0], [1.0], math.inf, 0.0, "best"),
        ([0.0, 1.0], [1.0], 0.0, 0.0, "shape"),
    ],
)
def test_rejects_bad_input(mean, std, best, xi, message) -> None:
    with pytest.raises(ValueError, match=message):
        log_expected_improvement(np.array(mean), np.array(std), best, xi=xi)


@settings(max_examples=200, deadline=None)
@given(mu=finite, sigma=positive, best=finite)
def test_ei_is_non_negative_and_finite(mu: float, sigma: float, best: float) -> None:
    ei = expected_improvement(np.array([mu]), np.array([sigma]), best)[0]
    assert math.isfinite(ei) and ei >= 0.0
    # EI is at least the certain improvement and at most it plus sigma*phi(0).
    assert ei >= max(mu - best, 0.0) - 1e-9 * (1 + abs(mu - best))
    assert ei <= max(mu - best, 0.0) + sigma / math.sqrt(2 * math.pi) + 1e-9


@settings(max_examples=200, deadline=None)
@given(mu=finite, best=finite, s1=positive, s2=positive)
def test_ei_grows_with_std(mu: float, best: float, s1: float, s2: float) -> None:
    lo, hi = sorted((s1, s2))
    log_ei = log_expected_improvement(np.array([mu, mu]), np.array([lo, hi]), best)
    assert log_ei[1] >= log_ei[0] - 1e-12 * abs(log_ei[0])


@settings(max_examples=200, deadline=None)
@given(m1=finite, m2=finite, sigma=positive, best=finite)
def test_log_ei_grows_with_mean(m1: float, m2: float, sigma: float, best: float) -> None:
    lo, hi = sorted((m1, m2))
    log_ei = log_expected_improvement(np.array([lo, hi]), np.array([sigma, sigma]), best)
    assert log_ei[1] >= log_ei[0] - 1e-12 * abs(log_ei[0])


@settings(max_examples=100, deadline=None)
@given(mu=finite, best=finite)
def test_ei_tends_to_improvement_as_std_vanishes(mu: float, best: float) -> None:
    target = max(mu - best, 0.0)
    ei = expected_improvement(np.array([mu]), np.array([1e-9]), best)[0]
    assert ei == pytest.approx(target, abs=1e-9)
