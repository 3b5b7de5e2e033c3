"""Model reuse (kt_lrsearch.tuning.reuse): opt-in per hypermodel, Keras Tuner's checks kept."""

from __future__ import annotations

import keras
import keras_tuner as kt
import pytest

from kt_lrsearch import GPEITuner
from kt_lrsearch.tuning.reuse import check_built_model, reuses_model


class Probe(kt.HyperModel):
    """Builds a tiny model; the name of a fresh layer shows whether the session was cleared.

    ``keras.backend.clear_session()`` resets Keras's name counters, so a layer made
    after it is called "probe" again; without it the names count up.
    """

    def __init__(self, reuses: bool, units: int = 2, model: bool = True) -> None:
        super().__init__()
        self.reuses_model, self.units, self.model = reuses, units, model
        self.names: list[str] = []

    def build(self, hp: kt.HyperParameters) -> keras.Model | str:
        hp.Float("lr", 1e-3, 1e-1, sampling="log")
        self.names.append(keras.layers.Dense(1, name=None).name)
        if not self.model:
            return "not a model"
        inputs = keras.Input((3,))
        return keras.Model(inputs, keras.layers.Dense(self.units)(inputs))


def tuner(hypermodel: Probe, tmp_path, **kwargs) -> GPEITuner:
    return GPEITuner(
        hypermodel,
        objective="loss",
        max_trials=2,
        directory=str(tmp_path),
        project_name="p",
        **kwargs,
    )


def test_the_protocol_is_an_attribute_any_hypermodel_can_set() -> None:
    assert reuses_model(Probe(True)) and not reuses_model(Probe(False))
    assert not reuses_model(kt.HyperModel())


@pytest.mark.parametrize("reuses", [True, False])
def test_only_an_opted_in_hypermodel_skips_the_session_clear(reuses: bool, tmp_path) -> None:
    probe = Probe(reuses)
    search = tuner(probe, tmp_path)
    for _ in range(2):
        search._try_build(kt.HyperParameters())
    first, second = probe.names[-2:]
    assert (first != second) == reuses


@pytest.mark.parametrize("reuses", [True, False])
def test_keras_tuners_build_checks_hold_either_way(reuses: bool, tmp_path) -> None:
    with pytest.raises(kt.errors.FatalTypeError, match="Keras Model"):
        tuner(Probe(reuses, model=False), tmp_path / "a")._try_build(kt.HyperParameters())
    big = tuner(Probe(reuses, units=50), tmp_path / "b", max_model_size=100)
    with pytest.raises(kt.errors.FailedTrialError, match="Oversized"):
        big._try_build(kt.HyperParameters())
    small = tuner(Probe(reuses, units=2), tmp_path / "c", max_model_size=100)
    assert isinstance(small._try_build(kt.HyperParameters()), keras.Model)


def test_the_size_is_keras_tuners_measure() -> None:
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(4)(inputs))  # 3 * 4 + 4 = 16 parameters
    check_built_model(model, 16)
    with pytest.raises(kt.errors.FailedTrialError, match="16 parameters"):
        check_built_model(model, 15)
