"""Warm start from earlier searches (GPEIOracle(warm_start=...)): each source, resume, bad input."""

from __future__ import annotations

import math
import shutil

import keras_tuner as kt
import pytest
from oracle_helpers import lr_space, make_oracle, peaked, run_loop

from kt_lrsearch.app import warm_sources
from kt_lrsearch.app.run_config import SearchConfig, make_run_dir, prepare_run_dir
from kt_lrsearch.core.decision_view import Relation
from kt_lrsearch.tuning import observations
from kt_lrsearch.tuning.encoding import SpaceEncoder
from kt_lrsearch.tuning.warm_start import Rescaled, WarmStartError, load


def earlier_pairs(centre: float = -2.0) -> list[tuple[dict, float]]:
    rates = [10**g for g in (-4.0, -3.2, -2.6, -2.2, -1.8, -1.3, -1.0)]
    return [({"learning_rate": lr}, 0.9 - 0.1 * (math.log10(lr) - centre) ** 2) for lr in rates]


def earlier_project(tmp_path, name: str = "earlier"):
    """A finished Keras Tuner project of GPEIOracle (5 trials on `peaked`)."""
    oracle = make_oracle(str(tmp_path / name), max_trials=5, num_initial_points=1, seed=3)
    run_loop(oracle, peaked, 5)
    return tmp_path / name / "project"


def test_pairs_start_at_the_earlier_best_with_no_initial_design(tmp_path) -> None:
    oracle = make_oracle(
        str(tmp_path / "o"), max_trials=4, num_initial_points=1, warm_start=[earlier_pairs(-2.0)]
    )
    trials = run_loop(oracle, peaked, 10)
    first = math.log10(trials[0].hyperparameters.values["learning_rate"])
    assert first == pytest.approx(-2.0, abs=0.1)  # the earlier posterior's best
    assert len(trials) == 4  # the budget counts only new trials
    view = oracle.decision_view()
    assert view.initial_design is False
    # Four scores on the earlier shape: the model judges the searches related, and says so.
    assert view.relation.probability > 0.8 and view.relation.verdict.startswith("related:")
    assert view.relation.as_dict()["probability_related"] == round(view.relation.probability, 4)


@pytest.mark.parametrize(
    ("probability", "word"),
    [
        (0.95, "related:"),
        (0.8, "related:"),
        (0.79, "undecided:"),
        (0.5, "undecided:"),
        (0.21, "undecided:"),
        (0.2, "unrelated:"),
        (0.05, "unrelated:"),
    ],
)
def test_the_relation_verdict_reads_the_probability(probability: float, word: str) -> None:
    relation = Relation(correlation=0.4, probability=probability)
    assert relation.verdict.startswith(word)
    assert f"probability related {probability:.2f}, mean correlation 0.40" in relation.verdict


def test_a_keras_tuner_project_and_a_run_directory_are_read(tmp_path) -> None:
    project = earlier_project(tmp_path)
    trials = load([project], "score", "max")
    assert len(trials) == 5 and all(t.score is not None for t in trials)
    run = tmp_path / "run"
    (run / "tuner").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    for item in project.iterdir():
        target = run / "tuner" / item.name
        target.symlink_to(item, target_is_directory=item.is_dir())
    assert [t.values for t in load([run], "score", "max")] == [t.values for t in trials]
    oracle = make_oracle(str(tmp_path / "o"), max_trials=2, warm_start=[run, project])
    assert len(oracle.earlier) == 10
    assert len(run_loop(oracle, peaked, 2)) == 2


def test_a_warm_started_search_resumes_with_the_same_decisions(tmp_path) -> None:
    kwargs = {"max_trials": 5, "num_initial_points": 1, "warm_start": [earlier_pairs()]}
    oracle = make_oracle(str(tmp_path / "o"), **kwargs)
    run_loop(oracle, peaked, 3)
    expected = oracle.decision_view().next_x
    resumed = make_oracle(str(tmp_path / "o"), **kwargs)
    resumed.reload()
    assert len(resumed.trials) == 3 and resumed.decision_view().next_x == expected


def test_an_unrelated_earlier_task_does_not_stop_the_search_finding_the_peak(tmp_path) -> None:
    oracle = make_oracle(
        str(tmp_path / "o"), max_trials=10, num_initial_points=1, warm_start=[earlier_pairs(-3.7)]
    )
    trials = run_loop(oracle, peaked, 10)
    best = max(trials, key=lambda t: t.score)
    assert math.log10(best.hyperparameters.values["learning_rate"]) == pytest.approx(-2, abs=0.2)


def test_bad_sources_get_a_clear_error(tmp_path) -> None:
    with pytest.raises(WarmStartError, match="no such directory"):
        make_oracle(str(tmp_path / "o"), warm_start=[tmp_path / "missing"])
    (tmp_path / "plain").mkdir()
    with pytest.raises(WarmStartError, match="neither a kt_lrsearch run directory"):
        make_oracle(str(tmp_path / "o"), warm_start=[tmp_path / "plain"])
    project = earlier_project(tmp_path)
    with pytest.raises(WarmStartError, match="no metric 'val_loss'"):
        make_oracle(
            str(tmp_path / "o"), objective=kt.Objective("val_loss", "min"), warm_start=[project]
        )
    with pytest.raises(WarmStartError, match="'score' was maximised there"):
        make_oracle(
            str(tmp_path / "o"), objective=kt.Objective("score", "min"), warm_start=[project]
        )
    with pytest.raises(WarmStartError, match="pair 0"):
        make_oracle(str(tmp_path / "o"), warm_start=[[0.5]])
    trial = project / "trial_0" / "trial.json"
    before = trial.read_text()
    trial.write_text(before[:40])
    with pytest.raises(WarmStartError, match="unreadable trial"):
        make_oracle(str(tmp_path / "o"), warm_start=[project])
    assert trial.read_text() == before[:40]  # nothing of the earlier search is changed


def test_a_different_search_space_is_refused_at_the_first_decision(tmp_path) -> None:
    space = lr_space()
    space.Int("units", 8, 64)
    oracle = make_oracle(str(tmp_path / "o"), space, warm_start=[earlier_pairs()])
    with pytest.raises(WarmStartError, match="a different search space \\(no units"):
        oracle.create_trial("tuner0")
    # Earlier rates outside this search's range are left out, not misplaced.
    narrow = make_oracle(
        str(tmp_path / "n"), lr_space(1e-3, 1e-2), max_trials=2, warm_start=[earlier_pairs()]
    )
    assert len(run_loop(narrow, peaked, 2)) == 2
    encoder = SpaceEncoder(narrow.hyperparameters)
    obs, left_out = observations.earlier_points(
        narrow.earlier, encoder, narrow.hyperparameters, "max"
    )
    assert left_out == 5 and obs.unit.shape == (2, 1)  # only 10**-2.6 and 10**-2.2 are inside
    assert len(narrow.decision_view().earlier_x) == 2  # the figure shows those two only
    # An earlier Choice value this space does not offer is left out, not a crash.
    choice = kt.HyperParameters()
    choice.Choice("optimizer", ["adam", "sgd"])
    chooser = make_oracle(
        str(tmp_path / "c"),
        choice,
        max_trials=2,
        warm_start=[[({"optimizer": "rmsprop"}, 0.9), ({"optimizer": "adam"}, 0.8)]],
    )
    obs, left_out = observations.earlier_points(
        chooser.earlier, SpaceEncoder(choice), choice, "max"
    )
    assert left_out == 1 and obs.unit.shape == (1, 1)
    assert len(run_loop(chooser, lambda values: 0.5, 2)) == 2


def test_rescaled_sources_multiply_the_named_values(tmp_path) -> None:
    pairs = [({"learning_rate": 0.01, "units": 32, "bias": True, "act": "relu"}, 0.5)]
    (trial,) = load(
        [Rescaled(pairs, {"learning_rate": 4.0, "bias": 2.0, "act": 3.0})], "score", "max"
    )
    assert trial.values == {"learning_rate": 0.04, "units": 32, "bias": True, "act": "relu"}
    assert trial.factors["learning_rate"] == 4.0
    (plain,) = load([pairs], "score", "max")
    assert plain.factors == {}
    for factor in (0.0, -2.0, math.inf, "4"):
        with pytest.raises(WarmStartError, match="positive finite"):
            load([Rescaled(pairs, {"learning_rate": factor})], "score", "max")
    # A rescaled earlier best becomes the first proposal, where the rule puts it.
    tenfold = Rescaled(earlier_pairs(-3.0), {"learning_rate": 10.0})
    oracle = make_oracle(
        str(tmp_path / "o"), max_trials=2, num_initial_points=1, warm_start=[tenfold]
    )
    first = run_loop(oracle, peaked, 1)[0].hyperparameters.values["learning_rate"]
    assert math.log10(first) == pytest.approx(-2.0, abs=0.1)
    assert oracle.decision_view().earlier_factors == (10.0,)  # the figure's legend says so


def test_trials_already_read_are_used_as_they_are(tmp_path) -> None:
    # search.py reads its sources once and hands the trials to every oracle it builds.
    source = Rescaled(earlier_pairs(-3.0), {"learning_rate": 10.0})
    read = load([source], "score", "max")
    assert load([read], "score", "max") == read  # values, score, source and factors kept
    proposals = []
    for name, warm in (("source", source), ("read", read)):
        oracle = make_oracle(
            str(tmp_path / name), max_trials=3, num_initial_points=1, warm_start=[warm]
        )
        proposals.append([t.hyperparameters.values for t in run_loop(oracle, peaked, 3)])
        assert oracle.decision_view().earlier_factors == (10.0,)
    assert proposals[0] == proposals[1]


def earlier_run(tmp_path, batch_size: int):
    """A kt_lrsearch run directory searched at ``batch_size``, with a finished project."""
    run = tmp_path / f"run{batch_size}"
    make_run_dir(run, overwrite=False)
    prepare_run_dir(run, SearchConfig(batch_size=batch_size), False)
    shutil.copytree(earlier_project(tmp_path, f"p{batch_size}"), run / "tuner")
    return run


def test_an_earlier_run_at_another_batch_size_is_rescaled(tmp_path) -> None:
    at_32, at_128 = earlier_run(tmp_path, 32), earlier_run(tmp_path, 128)
    config = SearchConfig(
        batch_size=128, warm_start=(str(at_32), str(at_128), str(at_32 / "tuner"))
    )
    scaled, same, project = warm_sources.warm_sources(config)
    assert scaled == Rescaled(str(at_32), {"learning_rate": 4.0})
    assert same == str(at_128) and project == str(at_32 / "tuner")  # no batch size known
    rates = [t.values["learning_rate"] for t in load([scaled], "score", "max")]
    assert rates == pytest.approx(
        [4 * t.values["learning_rate"] for t in load([project], "score", "max")]
    )
    (at_32 / "config.json").write_text("{not json")
    with pytest.raises(WarmStartError, match=r"unreadable run configuration.*tuner instead"):
        warm_sources.warm_sources(config)


def mixed_space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    hps.Choice("optimizer", ["sgd", "adam", "rmsprop"])
    hps.Int("depth", 1, 4)
    return hps


def mixed(values: dict) -> float:
    bonus = {"sgd": 0.0, "adam": 0.05, "rmsprop": 0.02}[values["optimizer"]]
    return peaked(values) + bonus - 0.01 * (values["depth"] - 3) ** 2


def test_a_mixed_space_warm_start_reuses_the_earlier_kernel_through_one_hot_features(
    tmp_path,
) -> None:
    """Unordered choices reach the two-task model through the earlier GP's features."""
    earlier = make_oracle(str(tmp_path / "e"), mixed_space(), max_trials=8, seed=5)
    run_loop(earlier, mixed, 8)
    pairs = [(dict(t.hyperparameters.values), t.score) for t in earlier.trials.values()]
    oracle = make_oracle(str(tmp_path / "o"), mixed_space(), max_trials=4, warm_start=[pairs])
    trials = run_loop(oracle, mixed, 4)
    assert len(trials) == 4
    prior_mean = oracle._prior_mean(SpaceEncoder(oracle.hyperparameters))
    assert prior_mean is not None and prior_mean.earlier.features is not None
    assert prior_mean.earlier.inputs.shape[1] > 3  # the choice's three one-hot columns
    keys = {tuple(sorted(t.hyperparameters.values.items())) for t in trials}
    assert len(keys) == 4  # no repeated proposal


def test_a_conditional_space_warm_start_accepts_children_switched_off(tmp_path) -> None:
    """Earlier trials of a conditional space name only their active children."""

    def space() -> kt.HyperParameters:
        hps = lr_space()
        hps.Choice("model", ["mlp", "cnn"])
        with hps.conditional_scope("model", ["mlp"]):
            hps.Int("units", 16, 128, step=16)
        with hps.conditional_scope("model", ["cnn"]):
            hps.Int("filters", 8, 64, step=8)
        return hps

    def objective(values: dict) -> float:
        return peaked(values) + 0.01 * values.get("filters", values.get("units", 0)) / 128

    earlier = make_oracle(str(tmp_path / "e"), space(), max_trials=8, seed=5)
    run_loop(earlier, objective, 8)
    pairs = [(dict(t.hyperparameters.values), t.score) for t in earlier.trials.values()]
    assert {frozenset(values) for values, _ in pairs} == {
        frozenset({"learning_rate", "model", "units"}),
        frozenset({"learning_rate", "model", "filters"}),
    }
    oracle = make_oracle(str(tmp_path / "o"), space(), max_trials=3, warm_start=[pairs])
    assert len(run_loop(oracle, objective, 3)) == 3
    # A hyperparameter that is active and absent is still a different space.
    bad = [({"learning_rate": 0.01, "model": "cnn"}, 0.5)]
    with pytest.raises(WarmStartError, match="no filters"):
        oracle = make_oracle(str(tmp_path / "b"), space(), max_trials=3, warm_start=[bad])
        run_loop(oracle, objective, 1)


def test_the_console_line_says_what_a_warm_start_brings() -> None:
    from kt_lrsearch.app.warm_sources import describe_source
    from kt_lrsearch.tuning.warm_start import EarlierTrial

    trials = [
        EarlierTrial({"learning_rate": 0.01}, 0.61, "run1"),
        EarlierTrial({"learning_rate": 0.05}, None, "run1"),
        EarlierTrial({"learning_rate": 0.002}, 0.55, "run1"),
    ]
    line = describe_source("run1", trials)
    assert line == (
        "warm start run1: 3 earlier trial(s) (2 completed), "
        "best learning rate 0.01 (val_accuracy 0.6100)"
    )
    assert (
        describe_source("run2", trials[1:2]) == "warm start run2: 1 earlier trial(s) (0 completed)"
    )
