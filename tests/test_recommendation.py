"""The recommended rate and its range (kt_lrsearch.core.recommendation), on arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kt_lrsearch.core import recommendation as rec
from kt_lrsearch.core.ties import tolerance

GRID = np.logspace(-4, -1, 301)
G = np.log10(GRID)


def peak(centre: float, width: float = 0.4) -> np.ndarray:
    return 0.2 + 0.6 * np.exp(-0.5 * ((G - centre) / width) ** 2)


def test_an_interior_peak_gives_its_rate_and_a_range_around_it() -> None:
    mean = peak(-2.0)
    out = rec.recommend(
        GRID,
        mean,
        0.05,
        np.array([1e-4, 1e-1]),
        np.array([0.2, 0.2]),
        np.array([True, True]),
        direction="max",
        rule=rec.GRID,
    )
    assert out.value == pytest.approx(1e-2)
    # Within 0.05 of the top of 0.6 * exp(-g^2 / 0.32): |g| <= 0.4 * sqrt(2 ln(0.6/0.55)).
    half = 0.4 * np.sqrt(2 * np.log(0.6 / 0.55))
    assert np.log10(out.low) == pytest.approx(-2.0 - half, abs=0.011)
    assert np.log10(out.high) == pytest.approx(-2.0 + half, abs=0.011)
    assert out.at_bound is None and rec.bound_warning(out) is None
    assert out.as_dict()["shown"] == f"0.01 (range {out.low:.2g} to {out.high:.2g})"


@pytest.mark.parametrize(
    ("centre", "side", "flag"), [(-0.5, "upper", "--lr-max"), (-4.5, "lower", "--lr-min")]
)
def test_a_best_at_the_edge_of_the_range_is_flagged(centre, side, flag) -> None:
    out = rec.recommend(
        GRID,
        peak(centre),
        0.01,
        np.array([1e-4, 1e-1]),
        np.array([0.5, 0.5]),
        np.array([True, True]),
        direction="max",
        obs_scores=np.array([0.5, 0.5]),
    )
    assert out.at_bound == side
    warning = rec.bound_warning(out)
    assert flag in warning and ("above" if side == "upper" else "below") in warning


def test_a_minimised_objective_recommends_its_lowest_mean() -> None:
    loss = 2.0 - peak(-3.0)
    out = rec.recommend(
        GRID,
        loss,
        0.02,
        np.array([1e-3, 1e-2]),
        np.array([1.4, 1.9]),
        np.array([True, True]),
        direction="min",
        rule=rec.GRID,
    )
    assert out.value == pytest.approx(1e-3) and out.mean == pytest.approx(1.2)
    tried = rec.recommend(
        GRID,
        loss,
        0.02,
        np.array([1e-3, 1e-2]),
        np.array([1.4, 1.9]),
        np.array([True, True]),
        direction="min",
        rule=rec.TRIED,
    )
    assert tried.value == 1e-3 and tried.rule == rec.TRIED


def test_the_tried_rule_skips_failed_trials_and_needs_one_completed() -> None:
    mean = peak(-2.0)
    obs_x, obs_mean = np.array([1e-2, 3e-3]), np.array([0.79, 0.6])
    out = rec.recommend(
        GRID, mean, 0.05, obs_x, obs_mean, np.array([False, True]), direction="max", rule=rec.TRIED
    )
    assert out.value == 3e-3
    for rule in rec.RULES:  # failures alone recommend nothing
        assert (
            rec.recommend(
                GRID,
                mean,
                0.05,
                obs_x,
                obs_mean,
                np.array([False, False]),
                direction="max",
                rule=rule,
                obs_scores=obs_mean,
            )
            is None
        )
    assert (
        rec.recommend(
            GRID,
            np.empty(0),
            0.05,
            obs_x,
            obs_mean,
            np.array([True, True]),
            direction="max",
            rule=rec.GRID,
        )
        is None
    )
    with pytest.raises(ValueError, match="rule"):
        rec.recommend(
            GRID,
            mean,
            0.05,
            obs_x,
            obs_mean,
            np.array([True, True]),
            direction="max",
            rule="luckiest",
        )
    with pytest.raises(ValueError, match="obs_scores"):
        rec.recommend(
            GRID,
            mean,
            0.05,
            obs_x,
            obs_mean,
            np.array([True, True]),
            direction="max",
            rule=rec.MEASURED,
        )


@pytest.mark.parametrize("direction", ["max", "min"])
def test_measured_rule_keeps_the_best_measured_trial_the_model_cannot_tell_apart(direction):
    sign = 1.0 if direction == "max" else -1.0
    mean = sign * peak(-2.0)  # contenders: about 10**-2.16 to 10**-1.84 at noise 0.05
    obs_x = np.array([10**-2.1, 10**-2.0, 10**-1.9, 10**-3.0, 10**-1.5])
    obs_mean = np.interp(np.log10(obs_x), G, mean)
    # The trial at 10**-1.9 measured best among the contenders; 10**-3 and 10**-1.5
    # measured better still, but the model rules them out (outside the range).
    scores = sign * np.array([0.78, 0.79, 0.81, 0.95, 0.9])
    out = rec.recommend(
        GRID,
        mean,
        0.05,
        obs_x,
        obs_mean,
        np.ones(5, bool),
        direction=direction,
        rule=rec.MEASURED,
        obs_scores=scores,
    )
    assert out.value == obs_x[2] and out.mean == pytest.approx(obs_mean[2])
    assert out.low < out.value < out.high and out.rule == rec.MEASURED
    # A failed trial inside the range is never the answer; with no completed
    # trial inside, the grid's best is.
    failed = rec.recommend(
        GRID,
        mean,
        0.05,
        obs_x,
        obs_mean,
        np.array([True, True, False, True, True]),
        direction=direction,
        rule=rec.MEASURED,
        obs_scores=scores,
    )
    assert failed.value == obs_x[1]
    outside = rec.recommend(
        GRID,
        mean,
        0.05,
        obs_x[3:],
        obs_mean[3:],
        np.ones(2, bool),
        direction=direction,
        rule=rec.MEASURED,
        obs_scores=scores[3:],
    )
    assert outside.value == pytest.approx(1e-2)


@settings(max_examples=60, deadline=None)
@given(
    mean=hnp.arrays(np.float64, 40, elements=st.floats(-5, 5)),
    noise=st.floats(0.0, 3.0),
    direction=st.sampled_from(["max", "min"]),
    rule=st.sampled_from([rec.GRID, rec.MEASURED]),
    tried=st.lists(st.integers(0, 39), min_size=2, max_size=8, unique=True),
    offsets=hnp.arrays(np.float64, 8, elements=st.floats(-1, 1)),
)
def test_the_range_is_the_close_run_around_the_pick(
    mean, noise, direction, rule, tried, offsets
) -> None:
    grid = np.logspace(-4, -1, 40)
    tried = [0, 39, *tried]
    scores = mean[tried] + np.resize(offsets, len(tried))
    out = rec.recommend(
        grid,
        mean,
        noise,
        grid[tried],
        mean[tried],
        np.ones(len(tried), bool),
        direction=direction,
        rule=rule,
        obs_scores=scores,
    )
    first, last = np.searchsorted(grid, [out.low, out.high])
    assert out.low <= out.value <= out.high
    frame = mean if direction == "max" else -mean
    inside = frame[first : last + 1]
    # Within noise of the pick, which is the best up to a tie (kt_lrsearch.core.ties).
    assert np.all(inside >= frame.max() - noise - tolerance(frame.max()))
    # The run stops where the next mean falls short (or at the grid's ends).
    assert first == 0 or frame[first - 1] < frame.max() - noise
    assert last == grid.size - 1 or frame[last + 1] < frame.max() - noise


def test_no_rate_beyond_the_tried_ones_is_recommended_but_the_bound_is_still_flagged() -> None:
    rising = 0.2 + 0.6 * (G + 4) / 3  # the model believes "higher is better" to the bound
    obs_x = np.array([1e-4, 1e-3, 1e-2])
    out = rec.recommend(
        GRID,
        rising,
        0.01,
        obs_x,
        np.interp(np.log10(obs_x), G, rising),
        np.array([True, True, True]),
        direction="max",
        rule=rec.GRID,
    )
    assert out.value == pytest.approx(1e-2) and out.high == pytest.approx(1e-2)
    warning = rec.bound_warning(out)
    assert out.at_bound == "upper" and "(0.1)" in warning and warning.endswith("--lr-max 1")
    free = rec.recommend(
        GRID,
        rising,
        0.01,
        obs_x,
        obs_x,
        np.array([True, True, True]),
        direction="max",
        rule=rec.GRID,
        within_tried=False,
    )
    assert free.value == pytest.approx(1e-1)
