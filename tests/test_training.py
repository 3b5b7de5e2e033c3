"""Real fits: learning on the Fashion-MNIST sample, and stopping on divergence."""

from __future__ import annotations

import math

import keras
import keras_tuner as kt
import numpy as np
import pytest

from kt_lrsearch.app import data
from kt_lrsearch.app.model import ResNetConfig, TrainingConfig
from kt_lrsearch.app.training import LRHyperModel, SeededBatches, worst_metrics

SAMPLE = data.SAMPLE_DIR  # the real sample shipped in the package


def test_worst_metrics() -> None:
    worst = worst_metrics(["loss", "accuracy", "val_loss", "val_accuracy"])
    assert worst == {
        "loss": math.inf,
        "accuracy": -math.inf,
        "val_loss": math.inf,
        "val_accuracy": -math.inf,
    }


def test_seeded_batches_cover_every_image_once_per_epoch_in_a_seeded_order() -> None:
    x = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)
    y = np.arange(10)
    batches = SeededBatches(x, y, batch_size=4, seed=7)
    assert len(batches) == 3

    def epoch(feed: SeededBatches) -> np.ndarray:
        labels = [feed[i][1] for i in range(len(feed))]
        assert [len(b) for b in labels] == [4, 4, 2]
        for i in range(len(feed)):  # images travel with their labels
            np.testing.assert_array_equal(feed[i][0][:, 0], feed[i][1])
        return np.concatenate(labels)

    first = epoch(batches)
    assert sorted(first) == list(range(10))
    np.testing.assert_array_equal(epoch(SeededBatches(x, y, 4, seed=7)), first)
    batches.on_epoch_end()
    second = epoch(batches)
    assert sorted(second) == list(range(10)) and not np.array_equal(second, first)
    with pytest.raises(IndexError):
        batches[3]
    with pytest.raises(ValueError, match="as many labels"):
        SeededBatches(x, y[:5], 4, seed=0)


def small_fit(learning_rate: float, n_train: int, epochs: int, seed: int = 0):
    keras.utils.set_random_seed(seed)
    ds = data.load(SAMPLE, validation_fraction=0.2, seed=0, train_limit=n_train)
    hypermodel = LRHyperModel(
        1e-4,
        1e3,
        resnet=ResNetConfig(widths=(16, 32)),
        training=TrainingConfig(batch_size=32, steps_per_execution=1),
    )
    hp = kt.HyperParameters()
    hp.Fixed("learning_rate", learning_rate)
    model = hypermodel.build(hp)
    result = hypermodel.fit(
        hp,
        model,
        data.to_model_input(ds.train.images),
        ds.train.labels,
        validation_data=(data.to_model_input(ds.validation.images), ds.validation.labels),
        epochs=epochs,
    )
    return result


@pytest.mark.slow
def test_real_fit_learns_clearly_above_chance() -> None:
    history = small_fit(0.05, 1000, 3)
    val_accuracy = history.history["val_accuracy"][-1]
    # Chance is 0.1; seeds 0-3 gave 0.42-0.62 here (1-epoch BN statistics are noisy).
    assert val_accuracy > 0.3


@pytest.mark.slow
@pytest.mark.parametrize("learning_rate", [500.0, 1e5])  # finite explosion, then NaN
def test_divergence_stops_early_with_worst_metrics(learning_rate: float) -> None:
    result = small_fit(learning_rate, 600, 3)
    assert isinstance(result, dict)
    assert result["val_accuracy"] == -math.inf and result["val_loss"] == math.inf
    assert np.isneginf(result["accuracy"])


@pytest.mark.slow
def test_a_reused_model_trains_exactly_like_a_fresh_build() -> None:
    ds = data.load(SAMPLE, validation_fraction=0.2, seed=0, train_limit=400)
    x, y = data.to_model_input(ds.train.images), ds.train.labels
    val = (data.to_model_input(ds.validation.images), ds.validation.labels)

    def trial(hypermodel: LRHyperModel, learning_rate: float):
        hp = kt.HyperParameters()
        hp.Fixed("learning_rate", learning_rate)
        model = hypermodel.build(hp)
        return model, hypermodel.fit(hp, model, x, y, validation_data=val, epochs=2)

    def hypermodel(reuse: bool) -> LRHyperModel:
        return LRHyperModel(
            1e-4,
            1e6,
            resnet=ResNetConfig(widths=(16, 32)),
            seed=3,
            training=TrainingConfig(batch_size=32),
            reuse_model=reuse,
        )

    reused = hypermodel(True)
    first, diverged = trial(reused, 1e5)  # leaves NaN weights and momenta behind
    assert isinstance(diverged, dict)
    second, history = trial(reused, 0.05)
    _, fresh = trial(hypermodel(False), 0.05)
    assert second is first
    for key in ("loss", "val_loss", "val_accuracy"):
        assert np.all(np.isfinite(history.history[key]))
        np.testing.assert_allclose(history.history[key], fresh.history[key], rtol=1e-5)
