"""The command line on bad input: a clear message, a non-zero exit, no traceback,
and nothing already on disk lost. Every case fails before any training."""

from __future__ import annotations

import json
import pathlib
import socket

import pytest
from click.testing import CliRunner
from test_data import SAMPLE, corrupt, make_dataset

from cli import main
from kt_lrsearch.app import data
from kt_lrsearch.app.faults import StorageError
from kt_lrsearch.app.state_files import check_state_files


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_clean_failure(result, message: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit)  # handled, not a crash
    assert "Traceback" not in result.output
    assert message in result.output, result.output


@pytest.fixture
def dataset(tmp_path) -> pathlib.Path:
    return make_dataset(tmp_path / "data")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr-min", "0"], "--lr-min must be a positive number"),
        (["--lr-min", "-1e-3"], "--lr-min must be a positive number"),
        (["--lr-min", "nan"], "--lr-min must be a positive number"),
        (["--lr-max", "1e-5"], "must be larger than --lr-min"),
        (["--lr-min", "0.1", "--lr-max", "0.1"], "must be larger than --lr-min"),
        (["--lr-max", "inf"], "must be larger than --lr-min"),
        (["--lr-min", "abc"], "'abc' is not a valid float"),
        (["--max-trials", "0"], "--max-trials must be an integer >= 1"),
        (["--max-trials", "-3"], "--max-trials must be an integer >= 1"),
        (["--max-trials", "ten"], "'ten' is not a valid integer"),
        (["--initial-points", "11"], "cannot exceed --max-trials"),
        (["--initial-points", "0"], "--initial-points must be an integer >= 1"),
        (["--epochs", "0"], "--epochs must be an integer >= 1"),
        (["--batch-size", "0"], "--batch-size must be an integer >= 1"),
        (["--final-epochs", "-1"], "--final-epochs must be an integer >= 0"),
        (["--seed", "-5"], "--seed must be an integer >= 0"),
        (["--validation-fraction", "1.5"], "--validation-fraction must be in (0, 1)"),
        (["--train-limit", "5"], "--train-limit must be at least 10"),
        (["--bogus"], "No such option '--bogus'"),
        (["--workers", "-1"], "--workers must be an integer >= 0"),
        (["--workers", "two"], "'two' is not a valid integer"),
        (["--workers", "2", "--port", "0"], "--port must be in 1-65535"),
        (["--workers", "2", "--port", "70000"], "--port must be in 1-65535"),
        (["--workers", "1", "--host", " "], "--host must be an address"),
    ],
)
def test_bad_options(tmp_path, dataset, args: list[str], message: str) -> None:
    result = invoke("search", "--data-dir", str(dataset), "--out", str(tmp_path / "r"), *args)
    assert_clean_failure(result, message)
    assert not (tmp_path / "r").exists()  # nothing written for a rejected command


def test_missing_data_dir(tmp_path) -> None:
    result = invoke("search", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "r"))
    assert_clean_failure(result, "no such directory")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("case", ["truncated", "wrong magic", "label range", "missing"])
def test_bad_data_files(tmp_path, dataset, case: str) -> None:
    name = corrupt(dataset, case)
    result = invoke("search", "--data-dir", str(dataset), "--out", str(tmp_path / "r"))
    assert_clean_failure(result, name)


def test_out_is_a_file_and_stays_untouched(tmp_path, dataset) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("precious")
    result = invoke("search", "--data-dir", str(dataset), "--out", str(target))
    assert_clean_failure(result, "is a file, not a directory")
    assert target.read_text() == "precious"


def test_out_below_a_file_is_unwritable(tmp_path, dataset) -> None:
    (tmp_path / "f").write_text("x")
    result = invoke("search", "--data-dir", str(dataset), "--out", str(tmp_path / "f" / "run"))
    assert_clean_failure(result, "cannot write there")


def test_foreign_non_empty_directory_is_left_alone(tmp_path, dataset) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    result = invoke("search", "--data-dir", str(dataset), "--out", str(out))
    assert_clean_failure(result, "not a kt_lrsearch run")
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]


# The search fields of the CLI's defaults (a run directory the defaults resume).
SAME_AS_DEFAULTS = {
    "lr_min": 1e-4,
    "lr_max": 0.1,
    "max_trials": 10,
    "initial_points": 1,
    "epochs": 1,
    "batch_size": 128,
    "seed": 42,
    "validation_fraction": 0.2,
    "train_limit": None,
}


def write_run_config(out: pathlib.Path, **search) -> None:
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"search": search, "final_epochs": 3}))


def test_run_directory_from_another_configuration(tmp_path, dataset) -> None:
    out = tmp_path / "run"
    write_run_config(out, **{**SAME_AS_DEFAULTS, "lr_max": 0.5}, data_dir=str(dataset))
    before = (out / "config.json").read_text()
    result = invoke("search", "--data-dir", str(dataset), "--out", str(out))
    assert_clean_failure(result, "lr_max: 0.5 -> 0.1")
    assert "--overwrite" in result.output and (out / "config.json").read_text() == before


def test_corrupt_state_file(tmp_path, dataset) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{not json")
    result = invoke("search", "--data-dir", str(dataset), "--out", str(out))
    assert_clean_failure(result, "unreadable run configuration")
    assert (out / "config.json").read_text() == "{not json"


@pytest.mark.parametrize(
    ("state", "content", "problem"),
    [
        ("oracle.json", '{"ongoing_tri', "corrupt Keras Tuner state"),
        ("trial_3/trial.json", "", "corrupt Keras Tuner state"),
        ("tuner0.json", "[1, 2]", "unreadable Keras Tuner tuner state"),
    ],
)
@pytest.mark.parametrize("command", ["search", "report"])
def test_corrupt_keras_tuner_state(
    tmp_path, dataset, state: str, content: str, problem: str, command: str
) -> None:
    out = tmp_path / "run"
    write_run_config(out, **SAME_AS_DEFAULTS, data_dir=str(dataset))
    target = out / "tuner" / state
    target.parent.mkdir(parents=True)
    target.write_text(content)
    args = ["--data-dir", str(dataset), "--out", str(out)] if command == "search" else [str(out)]
    result = invoke(command, *args)
    assert_clean_failure(result, f"{target}: {problem}")
    assert "--overwrite" not in result.output.split("(--overwrite")[0]  # not the first way out
    assert target.read_text() == content


def test_a_temporary_left_by_a_kill_is_not_corrupt_state(tmp_path) -> None:
    project = tmp_path / "run" / "tuner"
    (project / "trial_0").mkdir(parents=True)
    (project / ".tmp-tuner0-x1.json").write_text("")  # killed before its first byte
    (project / "trial_0" / "trial.json").write_text(json.dumps(_trial_state(0.01)))
    (project / "oracle.json").write_text(json.dumps(oracle_state(["0"])))
    check_state_files(project)
    (project / "oracle.json").write_text("")
    with pytest.raises(StorageError, match=r"oracle\.json: corrupt Keras Tuner state"):
        check_state_files(project)


def oracle_state(trial_ids: list[str]) -> dict:
    """The keys Keras Tuner's Oracle.get_state writes, for finished ``trial_ids``."""
    keys = ("hyperparameters", "run_times", "retry_queue", "seed", "seed_state", "id_to_hash")
    return {
        **dict.fromkeys(keys),
        "ongoing_trials": {},
        "start_order": trial_ids,
        "end_order": trial_ids,
        "tried_so_far": [],
        "display": {},
    }


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such run directory"),
        ("empty", "no config.json"),
        ("corrupt", "unreadable run configuration"),
    ],
)
def test_report_on_bad_run_directories(tmp_path, setup: str, message: str) -> None:
    run = tmp_path / "run"
    if setup != "missing":
        run.mkdir()
    if setup == "corrupt":
        (run / "config.json").write_text("[]")
    assert_clean_failure(invoke("report", str(run)), message)


def test_help_lists_every_option() -> None:
    result = invoke("search", "--help")
    assert result.exit_code == 0
    for option in (
        "--max-trials",
        "--initial-points",
        "--lr-min",
        "--lr-max",
        "--epochs",
        "--batch-size",
        "--seed",
        "--data-dir",
        "--out",
        "--overwrite",
        "--quick",
        "--final-epochs",
        "--workers",
        "--host",
        "--port",
    ):
        assert option in result.output


def test_the_package_ships_the_sample_with_its_licence() -> None:
    shipped = {p.name for p in SAMPLE.iterdir()}
    assert shipped >= {*data.FILES, "LICENSE", "README.md"}
    assert "MIT" in (SAMPLE / "LICENSE").read_text()


def test_port_in_use_is_refused(tmp_path, dataset) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = invoke(
            "search",
            "--data-dir",
            str(dataset),
            "--out",
            str(tmp_path / "r"),
            "--workers",
            "1",
            "--port",
            port,
        )
    assert_clean_failure(result, f"cannot serve the oracle on 127.0.0.1:{port}")


CHIEF = {
    "KERASTUNER_ORACLE_IP": "127.0.0.1",
    "KERASTUNER_ORACLE_PORT": "8000",
    "KERASTUNER_TUNER_ID": "tuner7",
}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "a worker needs KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT, KERASTUNER_TUNER_ID"),
        ({**CHIEF, "KERASTUNER_ORACLE_PORT": "http"}, "must be a port number"),
        ({**CHIEF, "KERASTUNER_TUNER_ID": "chief"}, "would make this process a second chief"),
        (CHIEF, "not a kt_lrsearch run directory (no config.json)"),
    ],
)
def test_worker_without_a_chief_or_a_run(tmp_path, monkeypatch, env, message: str) -> None:
    for name in CHIEF:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "r").mkdir()
    result = CliRunner().invoke(main, ["worker", "--out", str(tmp_path / "r")], env=env)
    assert_clean_failure(result, message)
    assert list((tmp_path / "r").iterdir()) == []


def test_warm_start_sources_that_cannot_serve_exit_2_before_anything_is_written(
    tmp_path, dataset
) -> None:
    import keras_tuner as kt
    from oracle_helpers import make_oracle, peaked, run_loop

    out = tmp_path / "run"

    def search(*sources: str):
        args = ["search", "--data-dir", str(dataset), "--out", str(out)]
        return invoke(*args, *[a for s in sources for a in ("--warm-start", s)])

    other = make_oracle(str(tmp_path / "other"), max_trials=2)  # objective "score"
    run_loop(other, peaked, 2)
    space = kt.HyperParameters()
    space.Int("units", 8, 64)
    units = make_oracle(
        str(tmp_path / "units"), space, max_trials=2, objective=kt.Objective("val_accuracy", "max")
    )
    for _ in range(2):
        trial = units.create_trial("tuner0")
        units.update_trial(trial.trial_id, {"val_accuracy": 0.5})
        trial.status = "COMPLETED"
        units.end_trial(trial)
    cases = [
        (str(tmp_path / "missing"), "no such directory"),
        (str(tmp_path / "other" / "project"), "no metric 'val_accuracy'"),
        (str(tmp_path / "units" / "project"), "a different search space"),
        (str(out), "that is --out itself"),
    ]
    for source, message in cases:
        result = search(source)
        assert result.exit_code == 2, result.output
        assert_clean_failure(result, message)
        assert not out.exists()  # nothing written


def _trial_state(rate: float) -> dict:
    """A finished trial's file, as Keras Tuner writes it."""
    import keras_tuner as kt

    hps = kt.HyperParameters()
    hps.Float("learning_rate", 1e-4, 1e-1, sampling="log")
    hps.values["learning_rate"] = rate
    trial = kt.engine.trial.Trial(hps, trial_id="0", status="COMPLETED")
    return trial.get_state()


def _run_with_trial(tmp_path, dataset, state: dict | None, oracle: bool = True) -> pathlib.Path:
    out = tmp_path / "run"
    write_run_config(out, **SAME_AS_DEFAULTS, data_dir=str(dataset))
    (out / "tuner" / "trial_0").mkdir(parents=True)
    if oracle:
        (out / "tuner" / "oracle.json").write_text(json.dumps(oracle_state(["0"])))
    (out / "tuner" / "trial_0" / "trial.json").write_text(json.dumps(state))
    return out


@pytest.mark.parametrize("command", ["search", "report"])
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: {k: v for k, v in s.items() if k != "status"}, "corrupt Keras Tuner trial (no "),
        (lambda s: {**s, "hyperparameters": []}, "no hyperparameters.values"),
        (
            lambda s: {
                **s,
                "hyperparameters": {**s["hyperparameters"], "values": {"learning_rate": 3.0}},
            },
            "learning_rate 3 lies outside the range searched [0.0001, 0.1]",
        ),
    ],
    ids=["no-status", "no-values", "rate-outside"],
)
def test_a_trial_file_that_cannot_be_resumed_is_named(
    tmp_path, dataset, command: str, edit, message: str
) -> None:
    out = _run_with_trial(tmp_path, dataset, edit(_trial_state(0.01)))
    before = (out / "tuner" / "trial_0" / "trial.json").read_text()
    args = ["--data-dir", str(dataset), "--out", str(out)] if command == "search" else [str(out)]
    assert_clean_failure(invoke(command, *args), message)
    assert str(out / "tuner" / "trial_0" / "trial.json") in invoke(command, *args).output
    assert (out / "tuner" / "trial_0" / "trial.json").read_text() == before  # nothing lost


def test_trial_files_without_oracle_json_are_named(tmp_path, dataset) -> None:
    out = _run_with_trial(tmp_path, dataset, _trial_state(0.01), oracle=False)
    (out / "tuner" / "tuner0.json").write_text("{}")  # the tuner saved after a trial
    result = invoke("search", "--data-dir", str(dataset), "--out", str(out))
    assert_clean_failure(result, "oracle.json is missing, but 1 trial file(s) are there")
    assert (out / "tuner" / "trial_0" / "trial.json").exists()


def test_a_trial_at_the_bounds_is_inside_the_range(tmp_path, dataset) -> None:
    for rate in (1e-4, 1e-1):
        out = _run_with_trial(tmp_path / str(rate), dataset, _trial_state(rate))
        check_state_files(out / "tuner", (1e-4, 1e-1), "learning_rate")
