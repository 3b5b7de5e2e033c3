"""Figures from real oracle snapshots (protocol loop, no training)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure
from oracle_helpers import make_oracle, peaked, run_loop
from PIL import Image

from kt_lrsearch.core.decision_view import Relation
from kt_lrsearch.figures import convergence, plotting, style


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    oracle = make_oracle(str(tmp_path_factory.mktemp("o")), max_trials=10, num_initial_points=1)
    scores = iter([0.5, None, 0.7, 0.8, math.inf])  # one crash, one divergence

    def objective(values):
        score = next(scores)
        return peaked(values) if score == 0.7 else score

    oracle.max_consecutive_failed_trials = 10
    run_loop(oracle, objective, 5)
    return oracle.decision_view()


def test_iteration_figure_has_both_panels_on_a_log_axis(snapshot) -> None:
    fig = plotting.plot_iteration(snapshot, iteration=5, title="t")
    top, bottom = fig.axes[:2]
    assert top.get_xscale() == "log" and bottom.get_xscale() == "log"
    assert bottom.get_xlabel() == "learning rate (log scale)"
    assert "after 5 evaluations" in fig._suptitle.get_text()
    labels = top.get_legend_handles_labels()[1]
    assert "95% band" in labels and "GP posterior mean" in labels and "latest" in labels
    assert any("failed" in label and "diverged" in label for label in labels)
    assert any(label.startswith("next point") for label in bottom.get_legend_handles_labels()[1])
    # Every observation is numbered.
    assert sorted(t.get_text() for t in top.texts) == ["1", "2", "3", "4", "5"]


def test_save_figure_is_atomic_and_a_real_png(tmp_path, snapshot) -> None:
    path = style.save_figure(plotting.plot_iteration(snapshot, iteration=5), tmp_path / "a.png")
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size[0] > 600
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temporary left behind


def test_multi_dimensional_snapshot_is_refused(snapshot) -> None:
    import dataclasses

    with pytest.raises(ValueError, match="one-dimensional"):
        plotting.plot_iteration(dataclasses.replace(snapshot, grid=None), iteration=1)


@pytest.mark.parametrize(
    ("scores", "direction", "expected"),
    [
        ([0.3, 0.5, 0.4, math.nan, 0.6], "max", [0.3, 0.5, 0.5, 0.5, 0.6]),
        ([2.0, 1.0, math.inf, 1.5], "min", [2.0, 1.0, 1.0, 1.0]),
        ([math.nan, 0.2], "max", [math.nan, 0.2]),
    ],
)
def test_best_so_far(scores, direction, expected) -> None:
    np.testing.assert_array_equal(convergence.best_so_far(scores, direction), expected)


def test_convergence_and_gif(tmp_path, snapshot) -> None:
    fig = convergence.plot_convergence(
        [0.5, math.nan, 0.7],
        ["COMPLETED", "FAILED", "COMPLETED"],
        direction="max",
        objective="val_accuracy",
    )
    assert isinstance(fig, Figure) and fig.axes[0].get_xlabel() == "evaluation"
    frames = [
        style.save_figure(plotting.plot_iteration(snapshot, iteration=i), tmp_path / f"f{i}.png")
        for i in (4, 5)
    ]
    gif = convergence.write_gif(frames, tmp_path / "s.gif")
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 2
    with pytest.raises(ValueError, match="no frames"):
        convergence.write_gif([], tmp_path / "empty.gif")


def crowded(snapshot):
    """The snapshot with 10 observations, trials 9 and 10 at almost the same point."""
    import dataclasses

    x = np.array([1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.0301, 0.0304])
    scores = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.60, 0.601])
    status = ("COMPLETED",) * 10
    return dataclasses.replace(
        snapshot,
        obs_x=x,
        obs_unit=np.log10(x)[:, None],
        obs_scores=scores,
        obs_model_scores=scores,
        obs_mean=scores,
        obs_status=status,
        obs_values=tuple({"learning_rate": v} for v in x),
        obs_trial_ids=tuple(f"{i:02d}" for i in range(10)),
    )


def test_point_labels_never_overlap_and_the_best_trial_is_starred(snapshot) -> None:
    fig = plotting.plot_iteration(crowded(snapshot), iteration=10, objective="val_accuracy")
    top = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    boxes = [t.get_window_extent(renderer) for t in top.texts]
    assert sorted(t.get_text() for t in top.texts) == sorted(str(i) for i in range(1, 11))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    labels = top.get_legend_handles_labels()[1]
    assert "best: trial 10, 0.601" in labels
    assert fig._supxlabel.get_text().startswith("Dots: evaluated values")


def test_an_accuracy_axis_stays_near_zero_to_one(snapshot) -> None:
    import dataclasses

    status = np.asarray(snapshot.obs_status)
    assert (status != "COMPLETED").any()
    # As after a divergence: the GP saw the failed trials far below every score.
    deep = dataclasses.replace(
        snapshot, obs_model_scores=np.where(status == "COMPLETED", snapshot.obs_scores, -0.4)
    )
    low, high = (
        plotting.plot_iteration(deep, iteration=5, objective="val_accuracy").axes[0].get_ylim()
    )
    assert -0.03 <= low < high <= 1.0 + style.UNIT_HEADROOM
    # Any other objective keeps its scale: the failed trials show where the GP saw them.
    low, _ = plotting.plot_iteration(deep, iteration=5, objective="score").axes[0].get_ylim()
    assert low <= -0.4
    assert style.unit_interval_metric("val_accuracy") and style.unit_interval_metric("auc")
    assert not style.unit_interval_metric("val_loss")


@pytest.mark.parametrize("direction", ["max", "min"])
def test_the_convergence_line_reaches_the_last_improvement(direction) -> None:
    scores = [0.30, 0.50, 0.516, 0.40, 0.5218]
    if direction == "min":
        scores = [1 - s for s in scores]
    fig = convergence.plot_convergence(
        scores, ["COMPLETED"] * 5, direction=direction, objective="score"
    )
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    assert x[-1] > 5 and y[-1] == pytest.approx(scores[-1])
    assert ax.get_xlim()[1] >= x[-1]
    assert f"best: trial 5, {scores[-1]:.4g}" in ax.get_legend_handles_labels()[1]


def test_the_last_figure_marks_the_recommended_rate_and_its_range(snapshot) -> None:
    advice = snapshot.recommend()
    fig = plotting.plot_iteration(snapshot, iteration=5, budget_spent=True)
    top = fig.axes[0]
    shown = f"recommended: {advice.value:.2g} (range {advice.low:.2g} to {advice.high:.2g})"
    assert shown in top.get_legend_handles_labels()[1]
    span = next(p for p in top.patches if p.get_label() == shown)
    # axvspan draws a Rectangle whose x and width are in data units.
    assert (span.get_x(), span.get_x() + span.get_width()) == pytest.approx(
        (advice.low, advice.high)
    )
    # Before the budget is spent the search is still deciding: nothing is recommended yet.
    early = plotting.plot_iteration(snapshot, iteration=5).axes[0].get_legend_handles_labels()[1]
    assert not any(label.startswith("recommended") for label in early)


def test_a_warm_starts_earlier_observations_are_drawn_hollow(snapshot) -> None:
    import dataclasses

    earlier = dataclasses.replace(
        snapshot,
        earlier_x=np.array([1e-3, 3e-2, 5e-2]),
        earlier_scores=np.array([0.3, 0.7, np.nan]),
    )
    top = plotting.plot_iteration(earlier, iteration=5).axes[0]
    handles, labels = top.get_legend_handles_labels()
    hollow = handles[labels.index("earlier search (warm start)")]
    assert hollow.get_offsets().shape == (2, 2)  # the failed one is left out
    assert hollow.get_facecolors().size == 0  # no fill: hollow markers
    rescaled = dataclasses.replace(earlier, earlier_factors=(4.0,))
    labels = plotting.plot_iteration(rescaled, iteration=5).axes[0].get_legend_handles_labels()[1]
    assert "earlier search (warm start, rates x4)" in labels
    mixed = dataclasses.replace(earlier, earlier_factors=(0.5, 4.0))
    labels = plotting.plot_iteration(mixed, iteration=5).axes[0].get_legend_handles_labels()[1]
    assert "earlier search (warm start, rates rescaled)" in labels
    judged = dataclasses.replace(rescaled, relation=Relation(correlation=0.81, probability=0.967))
    labels = plotting.plot_iteration(judged, iteration=5).axes[0].get_legend_handles_labels()[1]
    assert "earlier search (warm start, rates x4, P(related) 0.97)" in labels
