"""GPEIOracle through Keras Tuner's protocol: no training, milliseconds a step."""

from __future__ import annotations

import json
import math

import keras_tuner as kt
import numpy as np
import pytest
from oracle_helpers import finish, lr_space, make_oracle, peaked, run_loop, shared_name_space

from kt_lrsearch import GPEIOracle
from kt_lrsearch.core.trial_rules import DIVERGED, FAILED, OK


def lrs(trials: list) -> list[float]:
    return [t.hyperparameters.values["learning_rate"] for t in trials]


def test_one_dimensional_search_finds_the_peak(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=10, num_initial_points=1)
    trials = run_loop(oracle, peaked, 10)
    assert len(trials) == 10
    assert all(1e-4 <= lr <= 1e-1 for lr in lrs(trials))
    assert len(set(lrs(trials))) == 10
    best = oracle.get_best_trials()[0]
    assert best.score > 0.899  # within 0.1 decades of lr = 1e-2
    assert oracle.create_trial("tuner0").status == "STOPPED"  # budget spent


def test_decision_view_is_the_dense_log_grid_and_the_next_point(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=10, num_initial_points=1)
    run_loop(oracle, peaked, 3)
    d = oracle.decision_view()
    assert d.names == ("learning_rate",)
    assert d.grid.shape == (2048,) and d.grid[0] == pytest.approx(1e-4)
    assert d.grid[-1] == pytest.approx(1e-1)
    np.testing.assert_allclose(np.diff(np.log(d.grid)), np.log(1e3) / 2047, rtol=1e-9)
    for array in (d.mean, d.std, d.ei, d.log_ei):
        assert array.shape == (2048,) and np.all(np.isfinite(array))
    assert d.obs_x.shape == (3,) and d.obs_status == (OK, OK, OK)
    assert d.relation is None  # a cold search has no earlier one to judge
    assert d.incumbent == pytest.approx(max(d.obs_scores), abs=0.02)
    # The proposal is the argmax of EI, and populate_space returns exactly it.
    assert d.next_x == pytest.approx(d.grid[np.argmax(d.log_ei)])
    trial = oracle.create_trial("tuner0")
    assert trial.hyperparameters.values["learning_rate"] == d.next_x


def test_initial_design_is_seeded_and_space_filling(tmp_path) -> None:
    def first_points(seed: int, sub: str) -> list[float]:
        oracle = make_oracle(str(tmp_path / sub), seed=seed, max_trials=4, num_initial_points=4)
        return lrs(run_loop(oracle, peaked, 4))

    a = first_points(5, "a")
    assert a == first_points(5, "b")
    assert a != first_points(6, "c")
    units = np.sort(np.log(np.array(a) / 1e-4) / np.log(1e3))
    # Four points of a scrambled Sobol net: one in each quarter of the range.
    np.testing.assert_array_equal(np.floor(units * 4), [0, 1, 2, 3])


def mixed_space() -> kt.HyperParameters:
    hps = kt.HyperParameters()
    hps.Float("lr", 1e-4, 1e-1, sampling="log")
    hps.Float("dropout", 0.0, 0.5)
    hps.Float("momentum", 0.5, 0.95, step=0.05)
    hps.Int("units", 8, 128, step=8)
    hps.Choice("optimizer", ["sgd", "adam", "rmsprop"])
    hps.Boolean("nesterov")
    hps.Fixed("batch_size", 64)
    with hps.conditional_scope("optimizer", ["adam"]):
        hps.Float("beta_1", 0.8, 0.99)
    return hps


def mixed_score(values: dict) -> float:
    score = -((math.log10(values["lr"]) + 2.5) ** 2) - (values["dropout"] - 0.2) ** 2
    score += 0.1 * (values["optimizer"] == "adam") + 0.05 * values["nesterov"]
    return score - abs(values["units"] - 64) / 640


def test_mixed_conditional_space(tmp_path) -> None:
    hps = mixed_space()
    oracle = make_oracle(str(tmp_path), hps, max_trials=14)
    trials = run_loop(oracle, mixed_score, 14)
    assert len(trials) == 14
    hashes = set()
    for trial in trials:
        values = trial.hyperparameters.values
        assert 1e-4 <= values["lr"] <= 1e-1 and 0 <= values["dropout"] <= 0.5
        assert values["units"] % 8 == 0 and 8 <= values["units"] <= 128
        assert values["optimizer"] in ("sgd", "adam", "rmsprop")
        assert isinstance(values["nesterov"], bool) and values["batch_size"] == 64
        assert ("beta_1" in values) == (values["optimizer"] == "adam")
        momentum = values["momentum"]
        assert round((momentum - 0.5) / 0.05, 6).is_integer()
        for value in values.values():  # plain Python types: to_proto and JSON need them
            assert type(value) in (int, float, str, bool)
        hashes.add(oracle._compute_values_hash(values))
    assert len(hashes) == 14
    # BO beats its own initial design on this smooth landscape.
    scores = [t.score for t in trials]
    assert max(scores[7:]) > max(scores[:7])
    d = oracle.decision_view()
    assert d.grid is None and d.grid_unit.shape[1] == 7  # Fixed excluded, beta_1 included


def test_an_int_on_a_log_scale_without_a_step(tmp_path) -> None:
    # A width on a log scale, with no step (Keras Tuner's default): it raised a TypeError.
    hps = lr_space()
    hps.Int("width", 8, 512, sampling="log")
    oracle = make_oracle(str(tmp_path), hps, max_trials=8)
    trials = run_loop(oracle, lambda v: peaked(v) - abs(math.log2(v["width"]) - 6) / 10, 8)
    widths = [t.hyperparameters.values["width"] for t in trials]
    assert len(trials) == 8 and all(isinstance(w, int) and 8 <= w <= 512 for w in widths)
    assert len({oracle._compute_values_hash(t.hyperparameters.values) for t in trials}) == 8


def test_a_child_name_shared_by_two_branches_runs_as_proposed(tmp_path) -> None:
    # Keras Tuner's own bookkeeping dropped "units" under "mlp" and re-drew it
    # at random under "cnn"; the proposal then repeated an earlier trial unseen.
    oracle = make_oracle(str(tmp_path), shared_name_space(), max_trials=12)
    ran = []
    for _ in range(12):
        proposed = oracle.decision_view().next_values
        trial = oracle.create_trial("tuner0")
        values = trial.hyperparameters.values
        assert values == proposed
        low, high = {"mlp": (16, 512), "cnn": (8, 128)}[values["model"]]
        assert low <= values["units"] <= high
        ran.append(tuple(sorted(values.items())))
        score = peaked(values) - abs(math.log2(values["units"]) - 5) / 20
        finish(oracle, trial, score)
    assert len(set(ran)) == 12  # no trial repeats another
    assert {dict(r)["model"] for r in ran} == {"mlp", "cnn"}


def test_small_discrete_space_is_exhausted_then_stops(tmp_path) -> None:
    hps = kt.HyperParameters()
    hps.Choice("width", [16, 32, 64])
    oracle = make_oracle(str(tmp_path), hps, max_trials=10)
    trials = run_loop(oracle, lambda v: -abs(v["width"] - 32), 10)
    assert sorted(t.hyperparameters.values["width"] for t in trials) == [16, 32, 64]


def test_a_tuner_waits_while_the_last_free_points_run(tmp_path) -> None:
    """Keras Tuner's contract: IDLE (ask again) while running trials hold every point."""
    hps = kt.HyperParameters()
    hps.Choice("width", [16, 32])
    oracle = make_oracle(str(tmp_path), hps, max_trials=10)
    first, second = oracle.create_trial("worker0"), oracle.create_trial("worker1")
    assert (first.status, second.status) == ("RUNNING", "RUNNING")
    assert first.hyperparameters.values != second.hyperparameters.values
    assert oracle.create_trial("worker2").status == "IDLE"
    finish(oracle, first, 0.5)
    assert oracle.create_trial("worker0").status == "IDLE"  # worker1's trial still runs
    finish(oracle, second, 0.7)
    assert oracle.create_trial("worker0").status == "STOPPED"  # nothing left, nothing running
    assert len(oracle.trials) == 2


def test_same_proposal_after_keras_clears_its_session(tmp_path) -> None:
    """Keras Tuner clears the session and reseeds before every build: decisions must not care."""
    import keras

    hps = mixed_space()
    oracle = make_oracle(str(tmp_path / "a"), hps, max_trials=12)
    run_loop(oracle, mixed_score, 8)
    before = oracle.decision_view()
    keras.utils.clear_session()
    keras.utils.set_random_seed(7)
    again = make_oracle(str(tmp_path / "a"), mixed_space(), max_trials=12)
    again.reload()
    after = again.decision_view()
    assert after.next_values == before.next_values
    np.testing.assert_array_equal(after.mean, before.mean)


def test_minimise_objective(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), objective=kt.Objective("score", "min"), max_trials=8)
    run_loop(oracle, lambda v: -peaked(v), 8)
    assert oracle.get_best_trials()[0].score < -0.895
    d = oracle.decision_view()
    assert d.direction == "min" and d.incumbent < -0.89  # loss units kept


# Keras Tuner's metric tracker warns about the all-NaN history of a NaN trial.
@pytest.mark.filterwarnings("ignore:All-NaN axis encountered:RuntimeWarning")
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, None])
def test_failures_are_penalised_and_avoided(tmp_path, bad) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=12, num_initial_points=1, seed=2)

    def cliff(values: dict) -> float | None:
        # Diverges (or crashes) for learning rates above 0.02, like real SGD.
        return bad if values["learning_rate"] > 0.02 else peaked(values)

    trials = run_loop(oracle, cliff, 12)
    d = oracle.decision_view()
    broken = [s != OK for s in d.obs_status]
    assert any(broken)
    expected = DIVERGED if bad is not None and not math.isnan(bad) else FAILED
    assert {s for s in d.obs_status if s != OK} == {expected}
    ok_scores = d.obs_model_scores[~np.array(broken)]
    assert np.all(d.obs_model_scores[np.array(broken)] < ok_scores.min())
    # Only a couple of tries in the failing region, and never the best trial.
    assert sum(broken) <= 3
    best = oracle.get_best_trials()[0]
    assert math.isfinite(best.score) and best.hyperparameters.values["learning_rate"] <= 0.02
    assert len(trials) == 12


def test_only_failures_still_explores(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=3, num_initial_points=1)
    oracle.max_consecutive_failed_trials = 10
    trials = run_loop(oracle, lambda v: None, 3)
    units = np.log(np.array(lrs(trials)) / 1e-4) / np.log(1e3)
    assert len(trials) == 3 and np.min(np.abs(np.diff(np.sort(units)))) > 0.1


def test_running_trials_get_distinct_points(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=12, num_initial_points=1)
    run_loop(oracle, peaked, 3)
    running = [oracle.create_trial(f"worker{i}") for i in range(4)]
    assert all(t.status == "RUNNING" for t in running)
    units = np.log(np.array(lrs(running)) / 1e-4) / np.log(1e3)
    gaps = np.abs(units[:, None] - units[None, :])[~np.eye(4, dtype=bool)]
    assert gaps.min() >= oracle.options.min_distance
    assert oracle.decision_view().pending_unit.shape == (4, 1)
    for trial in running:
        finish(oracle, trial, peaked(trial.hyperparameters.values))
    assert oracle.decision_view().pending_unit.shape == (0, 1)


def test_reloaded_oracle_proposes_the_same_next_points(tmp_path) -> None:
    hps = mixed_space()
    straight = make_oracle(str(tmp_path / "a"), hps, max_trials=12)
    run_loop(straight, mixed_score, 6)
    resumed_dir = tmp_path / "b"
    first = make_oracle(str(resumed_dir), mixed_space(), max_trials=12)
    run_loop(first, mixed_score, 6)
    # A new process: a fresh oracle with the same arguments reloads the project.
    second = make_oracle(str(resumed_dir), mixed_space(), max_trials=12)
    second.reload()
    rest_a = run_loop(straight, mixed_score, 6)
    rest_b = run_loop(second, mixed_score, 6)
    assert [t.hyperparameters.values for t in rest_a] == [t.hyperparameters.values for t in rest_b]


@pytest.mark.parametrize("between_saves", [False, True])
def test_interrupted_trial_is_rerun_after_reload(tmp_path, between_saves: bool) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=5, num_initial_points=1)
    run_loop(oracle, peaked, 3)
    state = tmp_path / "project" / "oracle.json"
    before = state.read_bytes()
    interrupted = oracle.create_trial("tuner0")  # the process dies here...
    if between_saves:
        # ...between create_trial's two saves: trial.json says RUNNING, while
        # oracle.json is the one from before the trial was handed out.
        state.write_bytes(before)
    again = make_oracle(str(tmp_path), max_trials=5, num_initial_points=1)
    again.reload()
    retry = again.create_trial("tuner0")
    assert retry.trial_id == interrupted.trial_id
    assert retry.hyperparameters.values == interrupted.hyperparameters.values
    # Completed trials are not rerun; the budget is spent on the rest.
    finish(again, retry, peaked(retry.hyperparameters.values))
    last = again.create_trial("tuner0")
    finish(again, last, peaked(last.hyperparameters.values))
    assert again.create_trial("tuner0").status == "STOPPED"
    assert sorted(t.status for t in again.trials.values()) == ["COMPLETED"] * 5


def test_stock_project_with_stale_ongoing_trial_is_repaired(tmp_path) -> None:
    # keras_tuner.Oracle.end_trial saves before popping ongoing_trials; emulate
    # a project written that way and check the finished trial is not rerun.
    oracle = make_oracle(str(tmp_path), max_trials=10, num_initial_points=1)
    (trial,) = run_loop(oracle, peaked, 1)
    oracle.ongoing_trials["tuner0"] = trial
    oracle.save()
    again = make_oracle(str(tmp_path), max_trials=10, num_initial_points=1)
    again.reload()
    assert again.create_trial("tuner0").trial_id == "01"


def test_default_margin_survives_a_reload_and_an_old_explicit_one_is_kept(tmp_path) -> None:
    """A new project saves xi=None (no 2-D margin); one saved with 2.0 resumes with 2.0."""
    oracle = make_oracle(str(tmp_path))
    other = make_oracle(str(tmp_path), xi=1.0)
    other.set_state(json.loads(json.dumps(oracle.get_state())))  # through oracle.json's JSON
    assert other.options.xi is None and other.options.margin(2) == 0.0
    old = oracle.get_state()
    old["gpei"]["xi"] = 2.0  # as every project saved before the change
    other.set_state(old)
    assert other.options.margin(2) == 1.0


def test_state_round_trips_options(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), xi=0.2, min_distance=0.05, grid_size=4096)
    state = oracle.get_state()
    other = make_oracle(str(tmp_path))
    other.set_state(state)
    assert (other.options.xi, other.options.min_distance, other.options.grid_size) == (
        0.2,
        0.05,
        4096,
    )


def test_ei_stop_threshold_ends_the_search(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=10, num_initial_points=1, ei_stop_threshold=1.0)
    trials = run_loop(oracle, peaked, 10)
    assert len(trials) == 1  # EI on a 0..0.9 accuracy scale never reaches 1.0
    assert "ei_stop_threshold" in oracle.decision_view().stop_reason


def test_get_best_trials_ranks_diverged_last(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=3, num_initial_points=3)
    scores = iter([0.5, math.inf, 0.7])
    run_loop(oracle, lambda v: next(scores), 3)
    assert [t.score for t in oracle.get_best_trials(3)] == [0.7, 0.5, math.inf]


def noisy_lr_search(directory: str, seed: int, **kwargs) -> GPEIOracle:
    """A 10-trial search of ``peaked`` with N(0, 0.05) noise on every score."""
    noise = iter(np.random.default_rng(seed).normal(0.0, 0.05, 20))
    oracle = make_oracle(directory, max_trials=10, seed=seed, **kwargs)
    run_loop(oracle, lambda v: peaked(v) + next(noise), 10)
    return oracle


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_model_picks_the_kept_trial_in_a_noisy_learning_rate_search(tmp_path, seed) -> None:
    from kt_lrsearch.app.progress import TrialLog

    lines: list[str] = []
    oracle = noisy_lr_search(str(tmp_path), seed, callbacks=[TrialLog(tmp_path, 10, lines.append)])
    ranked = oracle.get_best_trials(10)
    by_score = sorted(oracle.trials.values(), key=lambda t: -t.score)
    pick = oracle.decision_view().recommended_trial_id()
    assert pick is not None and ranked[0].trial_id == pick
    assert [t.trial_id for t in ranked[1:]] == [t.trial_id for t in by_score if t.trial_id != pick]
    if pick != by_score[0].trial_id:  # the luckiest score is not kept: truly worse here
        assert peaked(ranked[0].hyperparameters.values) > peaked(by_score[0].hyperparameters.values)
    # The progress line still reports the highest score so far.
    assert f"best={by_score[0].score:.4f}" in lines[-1]
    again = make_oracle(str(tmp_path), max_trials=10, seed=seed)
    again.reload()
    assert [t.trial_id for t in again.get_best_trials(10)] == [t.trial_id for t in ranked]


def test_the_kept_trial_differs_from_the_luckiest_in_some_noisy_searches(tmp_path) -> None:
    differ = 0
    for seed in (1, 2, 3, 4):
        oracle = noisy_lr_search(str(tmp_path / str(seed)), seed)
        top = max(oracle.trials.values(), key=lambda t: t.score)
        differ += oracle.get_best_trials(1)[0].trial_id != top.trial_id
    assert differ >= 1


def test_other_spaces_keep_the_best_score_first(tmp_path) -> None:
    noise = iter(np.random.default_rng(5).normal(0.0, 0.05, 20))
    oracle = make_oracle(str(tmp_path), mixed_space(), max_trials=8)
    run_loop(oracle, lambda v: mixed_score(v) + next(noise), 8)
    assert oracle.decision_view().recommended_trial_id() is None
    top = max(oracle.trials.values(), key=lambda t: t.score)
    assert oracle.get_best_trials(1)[0].trial_id == top.trial_id


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("max_trials", 0, "max_trials"),
        ("num_initial_points", 0, "num_initial_points"),
        ("num_initial_points", 1.5, "num_initial_points"),
        ("seed", -1, "seed"),
        ("grid_size", 100, "grid_size"),
        ("num_candidates", 10, "num_candidates"),
        ("xi", -0.1, "xi"),
        ("xi", "big", "xi"),
        ("min_distance", 0.7, "min_distance"),
        ("failure_penalty", -1.0, "failure_penalty"),
        ("ei_stop_threshold", -1e-3, "ei_stop_threshold"),
    ],
)
def test_options_are_validated(option: str, value, message: str) -> None:
    with pytest.raises(ValueError, match=f"`{message}` must be"):
        GPEIOracle(objective="val_accuracy", hyperparameters=lr_space(), **{option: value})


def test_ties_go_to_the_earlier_trial_also_after_reload(tmp_path) -> None:
    oracle = make_oracle(str(tmp_path), max_trials=4, num_initial_points=4)
    scores = iter([0.3, 0.7, 0.5, 0.7])
    run_loop(oracle, lambda v: next(scores), 4)
    assert oracle.get_best_trials(1)[0].trial_id == "1"
    again = make_oracle(str(tmp_path), max_trials=4, num_initial_points=4)
    again.reload()
    assert [t.trial_id for t in again.get_best_trials(4)] == ["1", "3", "2", "0"]
