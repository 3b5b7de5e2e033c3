"""Long searches: the refit schedule, the margin's horizon and the distance filter."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kt_lrsearch.core import candidates, gp, policy, refit
from kt_lrsearch.core.options import EXPLORING_TRIALS, LATE_RADIUS, PolicyOptions
from kt_lrsearch.core.trial_rules import OK


@given(st.integers(1, 5000))
def test_the_hyperparameters_come_from_at_least_nine_tenths_of_the_trials(n: int) -> None:
    rows = refit.hyperparameter_rows(n)
    assert rows <= n
    if n <= refit.REFIT_EVERY_UNTIL:
        assert rows == n
    else:
        assert rows * refit.REFIT_GROWTH + 1 >= n
        assert refit.hyperparameter_rows(n + 1) >= rows  # a prefix only ever grows


def test_a_schedule_step_refits_on_its_prefix_and_conditions_on_every_point() -> None:
    rng = np.random.default_rng(1000)
    x = rng.random((80, 2))
    y = np.sin(6 * x[:, 0]) + x[:, 1] + 0.01 * rng.normal(size=80)
    stale = gp.fit_gp(x, y, fit_rows=60)
    prefix = gp.fit_gp(x[:60], y[:60])
    np.testing.assert_allclose(stale.theta, prefix.theta, rtol=1e-6, atol=1e-9)
    assert stale.x_obs.shape == (80, 2)
    # The last 20 points, unseen by the hyperparameter fit, are still interpolated.
    mean, _ = stale.predict(x[60:])
    np.testing.assert_allclose(mean, y[60:], atol=0.1)


def test_the_margin_decays_over_the_exploring_trials_of_a_long_budget() -> None:
    margins = [policy.current_xi(2.0, True, k, 160) for k in range(160)]
    h = EXPLORING_TRIALS
    np.testing.assert_allclose(margins[:h], [2.0 * (h - 1 - k) / (h - 1) for k in range(h)])
    assert not any(margins[h:])
    # A budget inside the horizon decays over itself, as before.
    assert policy.current_xi(2.0, True, 5, 10) == 2.0 * 4 / 9


def test_the_filter_keeps_min_distance_while_exploring_then_only_distinct_points() -> None:
    options = PolicyOptions(min_distance=0.02)
    assert options.distance(EXPLORING_TRIALS - 1) == 0.02
    assert options.distance(EXPLORING_TRIALS) == LATE_RADIUS


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60),
    st.floats(1e-4, 0.4),
)
def test_the_radius_halves_only_until_a_candidate_is_free(distances, radius) -> None:
    distances = np.array(distances)
    free = candidates.free_radius(distances, radius)
    assert candidates.SMALLEST_RADIUS <= free <= radius
    if np.any(distances >= radius):
        assert free == radius
    elif free > candidates.SMALLEST_RADIUS:
        assert np.any(distances >= free) and not np.any(distances >= 2 * free)


def test_a_grid_filled_at_min_distance_still_gets_a_model_based_proposal() -> None:
    """Trials every 0.01 of the unit line: the filter shrinks instead of giving up."""
    unit = np.linspace(0.0, 1.0, 101)
    obs = policy.Observations(
        unit=unit[:, None], status=(OK,) * unit.size, frame=-((unit - 0.37) ** 2)
    )
    decision = policy.decide(
        obs,
        np.empty((0, 1)),
        PolicyOptions(num_initial_points=1),
        dim=1,
        seed=1000,
        trials_so_far=EXPLORING_TRIALS - 1,  # still at the full radius
        max_trials=EXPLORING_TRIALS,
        snap=lambda points: np.asarray(points, dtype=np.float64),
        is_taken=lambda point: False,
    )
    assert decision.outcome == policy.PROPOSE
    assert abs(float(decision.next_point[0]) - 0.37) < 0.02
