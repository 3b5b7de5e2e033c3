"""A reloaded project whose space or objective changed is refused, naming the change."""

from __future__ import annotations

import keras
import keras_tuner as kt
import pytest

from kt_lrsearch import GPEITuner
from kt_lrsearch.tuning.project_changes import ProjectChanged, space_changes


def make_build(high: float = 1.0, name: str = "x"):
    def build(hp: kt.HyperParameters) -> keras.Model:
        hp.Float(name, 0.0, high)
        hp.Choice("width", [4, 8])
        return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])

    return build


class ScoredTuner(GPEITuner):
    """Keras Tuner's custom-``run_trial`` pattern: a score without training."""

    def run_trial(self, trial, *args, **kwargs) -> dict[str, float]:
        values = trial.hyperparameters.values
        return {"score": -((values.get("x", 0.0) - 0.3) ** 2), "loss": 1.0}


def tuner(tmp_path, build, objective: kt.Objective | None = None, **kwargs) -> ScoredTuner:
    objective = objective or kt.Objective("score", "max")
    kwargs.setdefault("max_trials", 3)
    return ScoredTuner(build, objective=objective, seed=1000, directory=str(tmp_path), **kwargs)


def test_an_unchanged_project_resumes(tmp_path) -> None:
    tuner(tmp_path, make_build()).search()
    again = tuner(tmp_path, make_build(), max_trials=4)
    assert len(again.oracle.trials) == 3
    again.search()
    assert len(again.oracle.trials) == 4


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (make_build(high=5.0), "x: Float(min_value=0.0, max_value=1.0, sampling='linear') -> "),
        (make_build(name="y"), "y: new (Float("),
    ],
    ids=["range", "name"],
)
def test_a_changed_space_is_refused_by_name(tmp_path, build, named: str) -> None:
    tuner(tmp_path, make_build()).search()
    with pytest.raises(ProjectChanged, match="another space or objective") as refused:
        tuner(tmp_path, build)
    assert named in str(refused.value)
    assert "overwrite=True" in str(refused.value) and "warm_start=" in str(refused.value)
    # The way out that keeps nothing old in the new search's space: start afresh.
    fresh = tuner(tmp_path, build, overwrite=True)
    assert fresh.oracle.trials == {}


def test_a_changed_objective_is_refused(tmp_path) -> None:
    tuner(tmp_path, make_build()).search()
    with pytest.raises(ProjectChanged, match=r"objective: score \(max\) -> loss \(min\)"):
        tuner(tmp_path, make_build(), objective=kt.Objective("loss", "min"))


def test_space_changes_ignores_a_new_default_and_an_undeclared_name() -> None:
    saved, now = kt.HyperParameters(), kt.HyperParameters()
    saved.Float("lr", 1e-4, 1e-1, sampling="log", default=1e-2)
    saved.Int("units", 8, 64)  # e.g. in an inactive conditional scope now
    now.Float("lr", 1e-4, 1e-1, sampling="log", default=3e-3)
    assert space_changes(saved, now) == []
    now.Choice("act", ["relu", "tanh"])
    assert space_changes(saved, now) == [
        "act: new (Choice(values=['relu', 'tanh'], ordered=False))"
    ]


def test_a_second_tuner_process_on_a_project_in_use_is_refused(tmp_path) -> None:
    import subprocess
    import sys

    from kt_lrsearch.tuning.project_lock import ProjectInUse, hold

    # Another process holds the project's lock, as a running GPEITuner does.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from kt_lrsearch.tuning.project_lock import hold; "
            f"hold({str(tmp_path)!r}, 'untitled_project'); print('held', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ProjectInUse, match=f"process {holder.pid} since"):
            tuner(tmp_path, make_build())
        assert not (tmp_path / "untitled_project").exists()  # nothing read or written
    finally:
        holder.communicate("")
    tuner(tmp_path, make_build()).search()  # free again once that process ended
    hold(str(tmp_path), "untitled_project")  # this process holds it: taken over
    assert len(tuner(tmp_path, make_build()).oracle.trials) == 3
