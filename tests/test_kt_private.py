"""Every private Keras Tuner name kt_lrsearch uses exists in the installed Keras Tuner.

One case per name (kt_lrsearch.tuning.kt_private.REQUIRED): on a Keras Tuner that
lacks one, its case fails with the name, what it serves, and the tested range.
"""

from __future__ import annotations

import importlib
import pathlib
import tomllib

import keras_tuner as kt
import pytest

from kt_lrsearch.tuning import kt_private

PYPROJECT = pathlib.Path(__file__).resolve().parents[1] / "pyproject.toml"


def supported_range() -> str:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return next(d for d in dependencies if d.startswith("keras-tuner"))


def owner(where: str, tmp_path: pathlib.Path) -> object:
    if where == "oracle":
        oracle = kt.Oracle(objective=kt.Objective("score", "max"), max_trials=1)
        oracle._set_project_dir(str(tmp_path), "p")
        return oracle
    if where == "tuner":
        return kt.Tuner
    if where == "hyperparameter":
        hps = kt.HyperParameters()
        hps.Int("n", 0, 10, step=2)
        return hps.space[0]
    raise AssertionError(where)


@pytest.mark.parametrize(("where", "name", "purpose"), kt_private.REQUIRED)
def test_the_private_name_exists(where: str, name: str, purpose: str, tmp_path) -> None:
    message = (
        f"Keras Tuner {kt.__version__} lacks {where} {name}, which kt_lrsearch uses for "
        f"{purpose} (kt_lrsearch/tuning/kt_private.py); install {supported_range()}"
    )
    if where == "module":
        try:
            importlib.import_module(name)
        except ImportError:
            pytest.fail(message)
    else:
        assert hasattr(owner(where, tmp_path), name), message


def test_every_override_is_listed() -> None:
    names = {name for _, name, _ in kt_private.REQUIRED}
    assert set(kt_private.OVERRIDDEN) <= names


def test_the_helpers_do_what_keras_tuner_does(tmp_path) -> None:
    """The wrappers, on a real oracle: hashes, records, queue, files, sampler."""
    hps = kt.HyperParameters()
    hps.Int("n", 0, 10, step=2)
    objective = kt.Objective("score", "max")
    oracle = kt.oracles.RandomSearchOracle(objective=objective, max_trials=3, hyperparameters=hps)
    kt_private.set_project_dir(oracle, str(tmp_path), "p")
    kt_private.keep_seed(oracle, 0)
    assert oracle.seed == 0
    trial = oracle.create_trial("t")
    values = dict(trial.hyperparameters.values)
    assert kt_private.is_duplicate(oracle, values)
    other = {"n": (values["n"] + 2) % 12}
    kt_private.record_tried(oracle, trial.trial_id, other)
    assert kt_private.is_duplicate(oracle, other) and not kt_private.is_duplicate(oracle, values)
    assert kt_private.values_hash(oracle, other) == kt_private.values_hash(oracle, dict(other))
    assert kt_private.retry_queue(oracle) == []
    assert kt_private.oracle_file(oracle) == str(tmp_path / "p" / "oracle.json")
    assert kt_private.trial_file(oracle, "7") == str(tmp_path / "p" / "trial_7" / "trial.json")
    assert kt_private.random_values(oracle)["n"] in range(0, 11, 2)
    assert kt_private.value_count(hps.space[0]) == 6
