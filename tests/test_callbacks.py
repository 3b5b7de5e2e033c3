"""IterationPlotter attached to GPEIOracle: protocol loop and a stock tuner."""

from __future__ import annotations

import keras
import keras_tuner as kt
import numpy as np
import pytest
from oracle_helpers import make_oracle, peaked, run_loop

from kt_lrsearch import GPEIOracle
from kt_lrsearch.figures.callbacks import IterationPlotter


def test_one_figure_per_evaluation_from_the_second(tmp_path) -> None:
    plotter = IterationPlotter(tmp_path / "plots")
    oracle = make_oracle(
        str(tmp_path / "o"), max_trials=4, num_initial_points=1, callbacks=[plotter]
    )
    run_loop(oracle, peaked, 4)
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == ["iteration_02.png", "iteration_03.png", "iteration_04.png"]


def mixed_3d() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    hps.Int("units", 8, 64, step=8)
    hps.Choice("optimizer", ["sgd", "adam", "rmsprop"])
    return hps


def mixed_score(values: dict) -> float:
    lr, units = values["learning_rate"], values["units"]
    return (
        peaked({"learning_rate": lr})
        - abs(units - 40) / 400
        + 0.05 * (values["optimizer"] == "adam")
    )


def test_a_figure_per_evaluation_in_a_3d_mixed_space(tmp_path) -> None:
    from PIL import Image

    plotter = IterationPlotter(tmp_path / "plots")
    oracle = make_oracle(str(tmp_path / "o"), mixed_3d(), max_trials=6, callbacks=[plotter])
    run_loop(oracle, mixed_score, 6)
    assert [p.name for p in plotter.written] == [f"iteration_{i:02d}.png" for i in range(2, 7)]
    with Image.open(plotter.written[-1]) as image:
        assert image.size[0] > 2 * image.size[1]  # three panels side by side
    view = oracle.decision_view()
    assert view.grid is None and [s.name for s in view.slices] == list(view.names)
    lr, units, optimizer = view.slices
    assert not lr.discrete and lr.log_scale and lr.x[0] == pytest.approx(1e-4)
    assert units.discrete and list(units.x) == list(range(8, 65, 8))
    assert optimizer.labels == ("sgd", "adam", "rmsprop") and list(optimizer.x) == [0, 1, 2]
    for piece in view.slices:
        assert piece.mean.shape == piece.std.shape == piece.ei.shape == piece.x.shape
        assert np.all(piece.std >= 0) and np.all(piece.ei >= 0)
        assert piece.obs_x.shape == (6,)
    # Through the incumbent: the slice's mean at the incumbent's value is the incumbent.
    at = int(np.argmin(np.abs(units.x - units.centre_x)))
    assert units.mean[at] == pytest.approx(view.incumbent, abs=1e-6)


def test_slices_read_later_are_the_slices_of_their_own_decision(tmp_path) -> None:
    # The slices are computed when first read: a view kept while the search goes
    # on must still describe the decision it came from, not a later one.
    now = make_oracle(str(tmp_path / "now"), mixed_3d(), max_trials=8)
    later = make_oracle(str(tmp_path / "later"), mixed_3d(), max_trials=8)
    run_loop(now, mixed_score, 5)
    run_loop(later, mixed_score, 5)
    expected = now.decision_view().slices
    kept = later.decision_view()
    run_loop(later, mixed_score, 3)
    assert later.decision_view() is not kept and len(later.trials) == 8
    assert [s.name for s in kept.slices] == [s.name for s in expected] == list(kept.names)
    for got, want in zip(kept.slices, expected, strict=True):
        for field in ("x", "mean", "std", "ei", "obs_x"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
        assert got.centre_x == want.centre_x and got.next_x == want.next_x


def test_a_space_with_nothing_to_tune_warns_once(tmp_path) -> None:
    hps = kt.HyperParameters()
    hps.Fixed("learning_rate", 0.01)
    plotter = IterationPlotter(tmp_path / "plots", first=1)
    oracle = make_oracle(str(tmp_path / "o"), hps, max_trials=3, callbacks=[plotter])
    with pytest.warns(RuntimeWarning, match="no tuned hyperparameter") as record:
        run_loop(oracle, lambda values: 0.5, 3)
    assert len([w for w in record if "IterationPlotter" in str(w.message)]) == 1
    assert plotter.written == []


def test_a_failing_callback_warns_and_the_search_goes_on(tmp_path) -> None:
    class Broken:
        def on_trial_end(self, oracle, trial):
            raise OSError("disk full")

    oracle = make_oracle(str(tmp_path), max_trials=3, num_initial_points=1, callbacks=[Broken()])
    with pytest.warns(RuntimeWarning, match="disk full"):
        trials = run_loop(oracle, peaked, 3)
    assert len(trials) == 3


def test_rejects_first_below_one(tmp_path) -> None:
    with pytest.raises(ValueError, match="first"):
        IterationPlotter(tmp_path, first=0)


def build(hp: kt.HyperParameters) -> keras.Model:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    learning_rate = hp.Float("learning_rate", 1e-3, 1.0, sampling="log")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.mark.slow
def test_plots_from_inside_a_stock_tuner(tmp_path) -> None:
    """Not our tuner: a stock keras_tuner.Tuner, given the oracle and its callback."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    plotter = IterationPlotter(tmp_path / "plots")
    oracle = GPEIOracle(
        objective=kt.Objective("val_accuracy", "max"),
        max_trials=3,
        num_initial_points=1,
        seed=1,
        callbacks=[plotter],
    )
    tuner = kt.Tuner(oracle=oracle, hypermodel=build, directory=str(tmp_path), project_name="p")
    tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert [p.name for p in plotter.written] == ["iteration_02.png", "iteration_03.png"]


def test_the_slice_figure_draws_what_the_1d_figure_does(tmp_path) -> None:
    from kt_lrsearch.figures.slice_plots import plot_slices

    earlier = [
        ({"learning_rate": 3e-3, "units": 40, "optimizer": "adam"}, 0.9),
        ({"learning_rate": 1e-2, "units": 16, "optimizer": "nadam"}, 0.7),  # not a choice now
    ]
    oracle = make_oracle(str(tmp_path / "o"), mixed_3d(), max_trials=6, warm_start=[earlier])
    run_loop(oracle, mixed_score, 2)
    view = oracle.decision_view()
    lr, units, optimizer = view.slices
    # Each earlier trial sits on every axis where its value is one of this search's.
    assert list(lr.earlier_x) == pytest.approx([3e-3, 1e-2]) and list(units.earlier_x) == [40, 16]
    assert optimizer.earlier_x[0] == 1 and np.isnan(optimizer.earlier_x[1])
    assert list(view.earlier_scores) == [0.9, 0.7]
    fig = plot_slices(view, iteration=2, objective="val_accuracy")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "earlier search (warm start)" in labels
    assert not any(ax.get_legend() for ax in fig.axes)  # one legend, outside the panels
    panel = fig.axes[0]
    numbers = sorted(t.get_text() for t in panel.texts)
    assert numbers == ["1", "2"]  # every observation numbered by its trial
    _, top = panel.get_ylim()
    assert top <= 1.1 + 1e-9  # an accuracy axis: at most a little above the ceiling

    # Cold, in its initial design: the proposal is labelled as the 1-D figure does.
    cold = make_oracle(str(tmp_path / "c"), mixed_3d(), max_trials=6, num_initial_points=4)
    run_loop(cold, mixed_score, 2)
    assert cold.decision_view().initial_design
    fig = plot_slices(cold.decision_view(), iteration=2)
    assert "next (initial design)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_a_second_search_into_the_same_folder_leaves_no_figure_of_the_first(tmp_path) -> None:
    plots = tmp_path / "plots"
    first = make_oracle(str(tmp_path / "a"), max_trials=5, callbacks=[IterationPlotter(plots)])
    run_loop(first, peaked, 5)
    assert len(list(plots.glob("iteration_*.png"))) == 4
    second = make_oracle(str(tmp_path / "b"), max_trials=3, callbacks=[IterationPlotter(plots)])
    run_loop(second, peaked, 3)
    assert sorted(p.name for p in plots.iterdir()) == ["iteration_02.png", "iteration_03.png"]
