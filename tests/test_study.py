"""The final study's numbers, figures and report section (no training here)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kt_lrsearch.app import study, study_report
from kt_lrsearch.figures.study_plots import plot_confusion, plot_curves

labelled = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 9), min_size=n, max_size=n),
        st.lists(st.integers(0, 9), min_size=n, max_size=n),
    )
)


@given(labelled)
def test_the_confusion_matrix_counts_every_image_once(pair) -> None:
    labels, predicted = pair
    matrix = study.confusion_matrix(labels, predicted, 10)
    assert matrix.shape == (10, 10) and matrix.sum() == len(labels)
    assert list(matrix.sum(axis=1)) == list(np.bincount(labels, minlength=10))
    assert list(matrix.sum(axis=0)) == list(np.bincount(predicted, minlength=10))
    assert np.trace(matrix) == sum(a == b for a, b in zip(labels, predicted, strict=True))


@given(labelled)
def test_per_class_accuracy_is_each_classs_recall(pair) -> None:
    labels, predicted = pair
    accuracy = study.per_class_accuracy(study.confusion_matrix(labels, predicted, 10))
    for k in range(10):
        mine = [p for t, p in zip(labels, predicted, strict=True) if t == k]
        if mine:
            assert accuracy[k] == pytest.approx(sum(p == k for p in mine) / len(mine))
        else:
            assert accuracy[k] is None


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        study.confusion_matrix([0, 1, 2], [0, 1], 10)


def test_curves_take_keras_names_to_the_studys() -> None:
    history = {"loss": [2.0, 1.0], "accuracy": [0.3, 0.6], "val_loss": [1.5, 1.2]}
    history["val_accuracy"] = [0.4, 0.5]
    assert study.curves(history) == {
        "loss": [2.0, 1.0],
        "accuracy": [0.3, 0.6],
        "test_loss": [1.5, 1.2],
        "test_accuracy": [0.4, 0.5],
    }


def test_the_curves_figure_draws_each_curve_per_epoch() -> None:
    curves = {"loss": [2.0, 1.0, 0.8], "test_loss": [1.5, 1.2, 1.1]}
    curves |= {"accuracy": [0.3, 0.6, 0.7], "test_accuracy": [0.4, 0.5, 0.55]}
    fig = plot_curves(curves, learning_rate=0.02)
    loss_ax, acc_ax = fig.axes
    drawn = {
        "loss": [tuple(line.get_ydata()) for line in loss_ax.lines],
        "accuracy": [tuple(line.get_ydata()) for line in acc_ax.lines],
    }
    assert drawn == {
        "loss": [tuple(curves["loss"]), tuple(curves["test_loss"])],
        "accuracy": [tuple(curves["accuracy"]), tuple(curves["test_accuracy"])],
    }
    assert all(tuple(line.get_xdata()) == (1, 2, 3) for line in loss_ax.lines + acc_ax.lines)
    assert list(loss_ax.get_xticks()) == [1, 2, 3]


def test_the_confusion_figure_prints_every_count_on_its_cell() -> None:
    matrix = np.arange(100).reshape(10, 10)
    fig = plot_confusion(matrix.tolist(), study.CLASS_NAMES)
    ax = fig.axes[0]
    cells = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }
    assert cells == {(i, j): str(matrix[i, j]) for i in range(10) for j in range(10)}
    assert [t.get_text() for t in ax.get_yticklabels()] == list(study.CLASS_NAMES)
    shares = ax.images[0].get_array()
    assert np.allclose(shares.sum(axis=1), 1.0)  # each row shaded by its own total


def test_the_report_head_states_data_model_time_and_versions() -> None:
    final = {"data": {"source": "/data", "train": 8, "validation": 2, "test": 5}}
    final |= {"parameters": 1234, "seconds": 4.0}
    model = {"name": "ResNet", "widths": [16, 32], "blocks_per_stage": 1, "optimizer": "SGD"}
    trials = [{"duration_s": 3.0}, {"duration_s": None}, {"duration_s": 2.0}]
    head = study_report.run_head({"epochs": 1, "final_epochs": 3}, final, trials, model)
    assert head["seconds"] == {"trials": 5.0, "final": 4.0, "total": 9.0}
    assert head["model"]["parameters"] == 1234 and "keras" in head["versions"]
    page = study_report.head_html(head)
    for text in ("8 train / 2 validation / 5 test images from /data", "widths 16, 32, 1,234"):
        assert text in page
    assert "1 per trial, 3 final" in page and "9 s (5 s in trials, 4 s final training)" in page


def test_a_run_without_a_final_study_has_no_study_section(tmp_path) -> None:
    assert study_report.study_html(tmp_path, None, str) == ""
    assert study_report.study_html(tmp_path, {"test_accuracy": 0.5}, str) == ""
    assert study_report.write_figures(tmp_path, {"test_accuracy": 0.5}) == []


def test_the_saved_model_loads_with_its_weights(tmp_path) -> None:
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = study.save_model(model, tmp_path)
    assert path == tmp_path / study.MODEL_FILE
    loaded = keras.saving.load_model(path)
    for mine, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert sorted(p.name for p in tmp_path.iterdir()) == [study.MODEL_FILE]  # no temporary left


def test_a_final_study_is_redone_when_its_model_file_is_gone_or_not_whole(tmp_path) -> None:
    import zipfile

    from kt_lrsearch.app.evaluation import _already_done
    from kt_lrsearch.app.run_config import SearchConfig

    config = SearchConfig(final_epochs=2)
    final = {"learning_rate": 0.01, "epochs": 2, "test_accuracy": 0.8}
    final["model_file"] = study.MODEL_FILE
    assert not _already_done(final, 0.01, config, tmp_path)
    (tmp_path / study.MODEL_FILE).write_bytes(b"x")  # cut short: not a .keras archive
    assert not _already_done(final, 0.01, config, tmp_path)
    with zipfile.ZipFile(tmp_path / study.MODEL_FILE, "w") as archive:
        archive.writestr("config.json", "{}")
    assert _already_done(final, 0.01, config, tmp_path)
    assert not _already_done(final, 0.02, config, tmp_path)  # another rate
    assert not _already_done({**final, "model_file": None}, 0.01, config, tmp_path)  # before


def test_overwrite_may_delete_every_file_the_study_writes() -> None:
    from kt_lrsearch.app.run_config import OWNED

    written = (study.MODEL_FILE, study_report.CURVES_FIGURE, study_report.CONFUSION_FIGURE)
    assert set(written) <= set(OWNED)
