"""The decision policy on plain arrays: each rule alone, then whole decisions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch.core import candidates, gp, policy, surface
from kt_lrsearch.core.options import DEFAULT_XI, PolicyOptions
from kt_lrsearch.core.trial_rules import DIVERGED, FAILED, OK

OPTIONS = policy.PolicyOptions(num_initial_points=1)
NEVER_TAKEN = lambda point: False  # noqa: E731


def identity(points: np.ndarray) -> np.ndarray:
    return np.asarray(points, dtype=np.float64)


def observations(unit: list[float], frame: list[float], status: list[str] | None = None):
    status = status or [OK] * len(unit)
    return policy.Observations(
        unit=np.array(unit, float)[:, None], status=tuple(status), frame=np.array(frame, float)
    )


def test_xi_decays_linearly_to_zero_over_the_budget() -> None:
    margins = [policy.current_xi(2.0, True, k, 10) for k in range(12)]
    np.testing.assert_allclose(margins[:10], [2.0 * (9 - k) / 9 for k in range(10)])
    assert margins[10:] == [0.0, 0.0]  # past the budget: no negative margin
    assert policy.current_xi(0.5, False, 7, 10) == 0.5
    assert policy.current_xi(0.5, True, 7, None) == 0.5  # no budget: nothing to decay over
    assert policy.current_xi(0.5, True, 0, 1) == 0.5


def test_the_default_margin_shrinks_with_the_dimension_and_is_off_in_2d_and_3d() -> None:
    default = PolicyOptions()
    assert default.margin(1) == DEFAULT_XI
    assert default.margin(2) == default.margin(3) == 0.0
    for dim in (4, 6, 10):
        assert default.margin(dim) == DEFAULT_XI / dim


def test_an_explicit_margin_is_used_in_every_dimension() -> None:
    for dim in (1, 2, 6):
        assert PolicyOptions(xi=1.5).margin(dim) == 1.5 / dim
    assert PolicyOptions(xi=0).margin(1) == 0.0


def test_failures_enter_below_the_worst_success() -> None:
    frame = np.array([0.2, np.nan, 0.6, np.inf])
    ok = np.array([True, False, True, False])
    out = policy.penalise(frame, ok, 0.5)
    np.testing.assert_allclose(out, [0.2, 0.0, 0.6, 0.0], atol=1e-12)  # 0.2 - 0.5 * 0.4
    # One success: the spread falls back to |worst|, then to 1.
    np.testing.assert_allclose(policy.penalise(np.array([0.4, np.nan]), ok[:2], 1.0), [0.4, 0.0])
    np.testing.assert_allclose(policy.penalise(np.array([0.0, np.nan]), ok[:2], 1.0), [0.0, -1.0])
    assert np.all(policy.penalise(frame, np.zeros(4, bool), 0.5) == 0.0)


@settings(max_examples=50, deadline=None)
@given(
    frame=hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e6, 1e6)),
    data=st.data(),
    penalty=st.floats(0.0, 10.0),
)
def test_penalised_scores_are_finite_and_failures_never_beat_a_success(frame, data, penalty):
    ok = data.draw(hnp.arrays(np.bool_, frame.shape))
    out = policy.penalise(np.where(ok, frame, np.nan), ok, penalty)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[ok], frame[ok])
    if ok.any() and (~ok).any():
        assert out[~ok].max() <= out[ok].min()


def test_fantasies_keep_the_mean_and_shrink_the_uncertainty() -> None:
    x = np.array([[0.1], [0.5], [0.9]])
    model = gp.fit_gp(x, np.array([0.0, 1.0, 0.2]))
    pending = np.array([[0.3]])
    query = np.array([[0.3], [0.7]])
    mean, std = model.predict(query)
    f_mean, f_std = surface.fantasise(model, pending).predict(query)
    np.testing.assert_allclose(f_mean[0], mean[0], atol=1e-6)
    assert f_std[0] < 0.5 * std[0]
    assert surface.fantasise(model, np.empty((0, 1))) is model


def test_distance_filter_and_ranking() -> None:
    points = np.array([[0.0], [0.1], [0.2], [0.5]])
    allowed = candidates.allowed_mask(points, np.array([[0.105]]), 0.01)
    np.testing.assert_array_equal(allowed, [True, False, True, True])
    log_ei = np.array([-1.0, 5.0, 2.0, 2.0])
    assert policy.rank_candidates(log_ei, allowed) == [2, 3, 0]  # tie: lower index first


def test_acquire_stops_on_the_ei_threshold_and_reports_exhaustion() -> None:
    model = gp.fit_gp(np.array([[0.1], [0.9]]), np.array([0.0, 1.0]))
    post = policy.Posterior(
        candidates=np.array([[0.2], [0.8]]),
        mean=np.zeros(2),
        std=np.ones(2),
        log_ei=np.log([1e-4, 2e-4]),
        allowed=np.array([True, True]),
        incumbent=0.0,
        model=model,
        reference=0.0,
        margin=0.0,
        centre=np.array([0.9]),
        obs_mean=np.zeros(2),
    )
    outcome, point, reason = policy.acquire(post, 1e-3, NEVER_TAKEN)
    assert (outcome, point) == (policy.STOP, None) and "best EI 0.0002" in reason
    outcome, point, _ = policy.acquire(post, None, NEVER_TAKEN)
    assert outcome == policy.PROPOSE and point[0] == 0.8
    outcome, point, _ = policy.acquire(post, None, lambda p: p[0] == 0.8)
    assert outcome == policy.PROPOSE and point[0] == 0.2
    assert policy.acquire(post, None, lambda p: True)[0] == policy.EXHAUSTED


def design_point(taken: np.ndarray, is_taken=NEVER_TAKEN) -> np.ndarray | None:
    return policy.initial_point(
        observations([], []),
        taken,
        dim=1,
        seed=3,
        trials_so_far=0,
        min_distance=0.01,
        snap=identity,
        is_taken=is_taken,
    )


def test_initial_design_skips_taken_points_and_is_seeded() -> None:
    first = design_point(np.empty((0, 1)))
    np.testing.assert_array_equal(first, design_point(np.empty((0, 1))))
    skipped = design_point(first[None, :])
    assert abs(skipped[0] - first[0]) >= 0.01
    assert design_point(np.empty((0, 1)), is_taken=lambda p: True) is None


def decide(
    obs: policy.Observations, pending=None, options=OPTIONS, trials_so_far=None, **kwargs
) -> policy.Decision:
    n = obs.unit.shape[0]
    pending = np.empty((0, 1)) if pending is None else pending
    return policy.decide(
        obs,
        pending,
        options,
        dim=1,
        seed=5,
        trials_so_far=n + pending.shape[0] if trials_so_far is None else trials_so_far,
        max_trials=10,
        snap=identity,
        is_taken=kwargs.get("is_taken", NEVER_TAKEN),
    )


def test_first_decision_is_the_initial_design_without_a_model() -> None:
    decision = decide(observations([], []))
    assert decision.outcome == policy.PROPOSE and decision.initial_design
    assert decision.posterior is None and decision.next_point.shape == (1,)


def test_model_based_decision_maximises_ei_away_from_tried_points() -> None:
    obs = observations([0.1, 0.4, 0.9], [0.2, 0.8, 0.1])
    decision = decide(obs)
    post = decision.posterior
    assert decision.outcome == policy.PROPOSE and not decision.initial_design
    assert post.candidates.shape == (2048, 1)
    best = policy.rank_candidates(post.log_ei, post.allowed)[0]
    np.testing.assert_array_equal(decision.next_point, post.candidates[best])
    assert np.min(np.abs(decision.next_point[0] - obs.unit[:, 0])) >= OPTIONS.min_distance
    assert post.incumbent == pytest.approx(0.8, abs=0.1)


def test_failed_and_diverged_points_are_penalised_for_the_gp() -> None:
    obs = observations(
        [0.1, 0.4, 0.9, 0.95], [0.2, 0.8, np.nan, np.inf], [OK, OK, FAILED, DIVERGED]
    )
    decision = decide(obs)
    np.testing.assert_allclose(decision.model_scores, [0.2, 0.8, -0.1, -0.1])
    assert decision.next_point[0] < 0.85  # away from the broken end


def test_pending_points_are_not_proposed_again() -> None:
    obs = observations([0.1, 0.9], [0.2, 0.3])
    free = decide(obs).next_point
    busy = decide(obs, pending=free[None, :]).next_point
    assert abs(busy[0] - free[0]) >= OPTIONS.min_distance


def test_every_candidate_taken_means_exhausted() -> None:
    obs = observations([0.1, 0.9], [0.2, 0.3])
    decision = decide(obs, is_taken=lambda p: True)
    assert decision.outcome == policy.EXHAUSTED and decision.next_point is None
    assert "every candidate" in decision.reason
    early = decide(observations([], []), is_taken=lambda p: True)
    assert early.outcome == policy.EXHAUSTED and early.initial_design


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("grid_size", 100),
        ("num_candidates", 10),
        ("xi", -0.1),
        ("min_distance", 0.7),
        ("failure_penalty", -1.0),
        ("ei_stop_threshold", -1e-3),
        ("num_initial_points", 0),
    ],
)
def test_options_name_what_is_wrong(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"`{option}` must be"):
        policy.PolicyOptions(**{option: value})


def test_a_slice_runs_through_the_centre_with_the_decisions_ei() -> None:
    decision = decide(observations([0.1, 0.4, 0.9], [0.2, 0.8, 0.1]))
    post = decision.posterior
    assert post.centre[0] == 0.4  # the completed point with the best posterior mean
    positions = np.linspace(0.0, 1.0, 11)
    mean, std, log_ei = surface.axis_slice(post, 0, positions, identity)
    # In one dimension the slice is the posterior itself at those points.
    ref_mean, ref_std = post.model.predict(positions[:, None])
    np.testing.assert_allclose(mean, ref_mean)
    np.testing.assert_allclose(std, ref_std)
    assert log_ei.shape == (11,) and np.all(np.isfinite(log_ei))
