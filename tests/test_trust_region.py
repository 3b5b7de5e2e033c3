"""The trust region: TuRBO's side rule replayed from scores, the box, and the decision in it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch.core import policy, trust_region
from kt_lrsearch.core.options import PolicyOptions
from kt_lrsearch.core.trial_rules import FAILED, OK
from kt_lrsearch.core.trust_region import SIDE_MAX, SIDE_MIN, SIDE_START

ALL_OK = lambda n: np.ones(n, dtype=bool)  # noqa: E731


def test_three_improvements_in_a_row_double_the_side_up_to_its_maximum() -> None:
    rising = np.arange(10.0)  # the first 2 are the initial design
    assert trust_region.side(rising[:4], ALL_OK(4), 2, 2) == SIDE_START  # two improvements
    assert trust_region.side(rising[:5], ALL_OK(5), 2, 2) == 2 * SIDE_START
    assert trust_region.side(rising, ALL_OK(10), 2, 2) == SIDE_MAX  # capped at 1.6


def test_max_4_d_trials_without_improvement_halve_the_side() -> None:
    flat = np.r_[1.0, np.zeros(12)]  # the initial point stays the best
    for dim, tolerance in ((2, 4), (4, 4), (6, 6)):
        assert trust_region.failures_to_shrink(dim) == tolerance
        sides = [
            trust_region.side(flat[: 1 + n], ALL_OK(1 + n), 1, dim)
            for n in (tolerance - 1, tolerance, 2 * tolerance)
        ]
        assert sides == [SIDE_START, SIDE_START / 2, SIDE_START / 4]


def test_an_improvement_must_beat_the_best_by_a_thousandth_of_its_size() -> None:
    creeping = 100.0 + 0.05 * np.arange(5)  # +0.05 < 1e-3 * 100: no improvement
    assert trust_region.side(creeping, ALL_OK(5), 1, 2) == SIDE_START / 2
    jumping = 100.0 + 0.2 * np.arange(4)  # +0.2 > 0.1: three improvements
    assert trust_region.side(jumping, ALL_OK(4), 1, 2) == SIDE_MAX


def test_a_failed_trial_is_no_improvement_and_resets_a_run_of_successes() -> None:
    frame = np.array([0.0, 1.0, 2.0, np.nan, 3.0, 4.0])
    ok = np.array([True, True, True, False, True, True])
    assert trust_region.side(frame, ok, 1, 2) == SIDE_START  # 2 successes, a failure, 2 more
    assert trust_region.side(frame[:3], np.array([False, True, True]), 1, 2) == SIDE_START


def test_below_the_minimum_side_the_region_starts_again() -> None:
    halvings = math.ceil(math.log2(SIDE_START / SIDE_MIN))  # 0.8 / 2^7 < 0.5^7
    flat = np.r_[1.0, np.zeros(4 * halvings)]
    before = trust_region.side(flat[:-1], ALL_OK(flat.size - 1), 1, 2)
    assert before == SIDE_START / 2 ** (halvings - 1)
    assert trust_region.side(flat, ALL_OK(flat.size), 1, 2) == SIDE_START


@settings(max_examples=60, deadline=None)
@given(
    frame=hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e3, 1e3)),
    data=st.data(),
    n_initial=st.integers(1, 5),
    dim=st.integers(2, 8),
)
def test_the_side_stays_within_its_bounds(frame, data, n_initial, dim) -> None:
    ok = data.draw(hnp.arrays(np.bool_, frame.shape))
    length = trust_region.side(np.where(ok, frame, np.nan), ok, n_initial, dim)
    assert SIDE_MIN <= length <= SIDE_MAX


@settings(max_examples=60, deadline=None)
@given(
    scales=hnp.arrays(np.float64, st.integers(2, 6), elements=st.floats(0.05, 5.0)),
    length=st.floats(0.01, 0.2),
)
def test_the_box_keeps_the_volume_of_a_cube_of_side_l_and_is_long_where_smooth(scales, length):
    centre = np.full(scales.shape, 0.5)
    assume(scales.max() / math.exp(np.mean(np.log(scales))) * length < 1.0)  # no side clipped
    region = trust_region.box(centre, length, scales)
    sides = region.upper - region.lower
    assert math.isclose(float(np.prod(sides)), length**scales.size, rel_tol=1e-9)
    assert np.all(np.diff(sides[np.argsort(scales)]) >= -1e-12)  # ordered as the length scales
    assert region.contains(centre[None, :])[0]


def test_the_box_is_clipped_to_the_cube_and_maps_points_into_itself() -> None:
    region = trust_region.box(np.array([0.05, 0.9]), 0.4, np.ones(2))
    np.testing.assert_allclose(region.lower, [0.0, 0.7])
    np.testing.assert_allclose(region.upper, [0.25, 1.0])
    corners = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(region.spread(corners), [[0.0, 0.7], [0.25, 1.0], [0.125, 0.85]])
    np.testing.assert_allclose(region.clip(np.array([[0.6, 0.1]])), [[0.25, 0.7]])
    assert list(region.contains(np.array([[0.1, 0.8], [0.3, 0.8]]))) == [True, False]
    assert list(trust_region.inside(None, corners)) == [True, True, True]


def test_the_region_is_for_the_last_third_of_the_model_based_trials_only() -> None:
    assert not trust_region.in_last_third(14, 3, 20)  # 3 * 11 < 2 * 17
    assert trust_region.in_last_third(15, 3, 20)
    assert not trust_region.in_last_third(12, 3, 18)  # 15 model-based trials: the last 5
    assert trust_region.in_last_third(13, 3, 18)
    assert not trust_region.in_last_third(100, 3, None)  # no budget, no last third
    unit = np.array([[0.1, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.3]])
    frame = np.array([0.0, np.nan, 0.5, 0.2])
    ok = np.array([True, False, True, True])
    kwargs = dict(n_initial=3, max_trials=20)
    assert trust_region.region(unit, frame, ok, np.ones(2), trials_so_far=14, **kwargs) is None
    region = trust_region.region(unit, frame, ok, np.ones(2), trials_so_far=15, **kwargs)
    np.testing.assert_allclose((region.lower + region.upper) / 2, [0.4, 0.6])  # the best, not NaN
    one_axis = trust_region.region(unit[:, :1], frame, ok, np.ones(1), trials_so_far=15, **kwargs)
    assert one_axis is None  # the learning-rate search keeps its grid


@given(st.integers(1, 12), st.integers(0, 60))
def test_the_box_takes_the_last_third_of_the_trials_rounded_down(n_initial, extra) -> None:
    """Of the model-based trials, the last floor((max_trials - n_initial) / 3) are boxed."""
    max_trials = n_initial + extra
    boxed = [
        t
        for t in range(n_initial, max_trials)
        if trust_region.in_last_third(t, n_initial, max_trials)
    ]
    assert len(boxed) == extra // 3
    assert boxed == list(range(max_trials - extra // 3, max_trials))


def decision_2d(trials_so_far: int, *, boxable: bool, options: PolicyOptions | None = None):
    """(observations, decision) of a 2-D search whose trials all lie in one corner."""
    rng = np.random.default_rng(3)
    unit = np.r_[[[0.15, 0.15], [0.2, 0.1], [0.1, 0.25], [0.3, 0.2]], rng.uniform(0, 0.35, (6, 2))]
    frame = -np.sum((unit - 0.2) ** 2, axis=1)
    frame[0], frame[4] = 0.0, np.nan  # the best trial, and a failed one
    status = tuple(FAILED if i == 4 else OK for i in range(unit.shape[0]))
    obs = policy.Observations(unit=unit, status=status, frame=frame)
    decision = policy.decide(
        obs,
        np.empty((0, 2)),
        options or PolicyOptions(),
        dim=2,
        seed=5,
        trials_so_far=trials_so_far,
        max_trials=20,
        snap=lambda p: p,
        is_taken=lambda point: False,
        boxable=boxable,
    )
    return obs, decision


def test_the_last_third_proposes_inside_the_box_and_the_trials_before_it_anywhere() -> None:
    obs, late = decision_2d(15, boxable=True)
    post = late.posterior
    region = trust_region.region(
        obs.unit,
        obs.frame,
        obs.ok,
        post.model.hyperparameters.length_scale,
        n_initial=3,
        trials_so_far=15,
        max_trials=20,
    )
    assert region.contains(late.next_point[None, :])[0]
    assert np.all(region.contains(post.candidates[post.allowed]))
    assert np.all(region.upper - region.lower < 1.0)  # a real restriction here
    _, unboxed = decision_2d(15, boxable=False)
    assert not np.all(region.contains(unboxed.posterior.candidates[unboxed.posterior.allowed]))
    _, switched_off = decision_2d(15, boxable=True, options=PolicyOptions(trust_region=False))
    np.testing.assert_array_equal(switched_off.next_point, unboxed.next_point)
    _, early = decision_2d(14, boxable=True)
    np.testing.assert_array_equal(early.next_point, decision_2d(14, boxable=False)[1].next_point)


@pytest.mark.parametrize(("value", "stored"), [(0, False), (1, True), (np.bool_(True), True)])
def test_the_option_is_stored_as_a_plain_bool_for_oracle_json(value, stored) -> None:
    assert PolicyOptions(trust_region=value).trust_region is stored
