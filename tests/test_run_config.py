"""What counts as the same run: data by content, not by spelling; a larger budget extends."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import pytest
from test_data import make_dataset

from kt_lrsearch.app import data
from kt_lrsearch.app.run_config import (
    SearchConfig,
    SearchError,
    make_run_dir,
    prepare_run_dir,
    read_config,
)


@pytest.fixture
def made(tmp_path, monkeypatch):
    """A run directory made with data at DIR (relative), and the data's fingerprint."""
    monkeypatch.chdir(tmp_path)
    make_dataset(tmp_path / "DIR")
    config = SearchConfig(data_dir="DIR", max_trials=6)
    run = tmp_path / "run"
    make_run_dir(run, overwrite=False)
    fingerprint = data.fingerprint("DIR")
    assert prepare_run_dir(run, config, False, fingerprint) is None
    return run, config, fingerprint


def test_the_same_data_spelled_differently_or_copied_resumes(made, tmp_path) -> None:
    run, config, _ = made
    shutil.copytree(tmp_path / "DIR", tmp_path / "copy")
    for spelling in ("DIR/", "./DIR", str(tmp_path / "DIR"), str(tmp_path / "copy")):
        again = dataclasses.replace(config, data_dir=spelling)
        assert prepare_run_dir(run, again, False, data.fingerprint(spelling)) is None
        assert read_config(run).data_dir == spelling  # the latest spelling is stored


def test_older_runs_without_a_fingerprint_compare_resolved_paths(made, tmp_path) -> None:
    run, config, _ = made
    payload = json.loads((run / "config.json").read_text())
    payload.pop("data_fingerprint")
    (run / "config.json").write_text(json.dumps(payload))
    assert prepare_run_dir(run, dataclasses.replace(config, data_dir="DIR/"), False) is None
    with pytest.raises(SearchError, match="data_dir"):
        prepare_run_dir(run, dataclasses.replace(config, data_dir=str(tmp_path)), False)


def test_other_data_or_other_options_are_refused_and_nothing_changes(made, tmp_path) -> None:
    run, config, fingerprint = made
    before = (run / "config.json").read_bytes()
    other = make_dataset(tmp_path / "other", n_train=50)
    with pytest.raises(SearchError, match=r"data_dir: 'DIR' -> '.*other'"):
        prepare_run_dir(
            run, dataclasses.replace(config, data_dir=str(other)), False, data.fingerprint(other)
        )
    with pytest.raises(SearchError, match="seed: 42 -> 7"):
        prepare_run_dir(run, dataclasses.replace(config, seed=7), False, fingerprint)
    with pytest.raises(SearchError, match="max_trials: 6 -> 5"):
        prepare_run_dir(run, dataclasses.replace(config, max_trials=5), False, fingerprint)
    assert (run / "config.json").read_bytes() == before


def test_a_larger_budget_extends_the_run_and_drops_its_last_figure(made) -> None:
    run, config, fingerprint = made
    (run / "plots").mkdir()
    for k in (5, 6):
        (run / "plots" / f"iteration_{k:02d}.png").write_bytes(b"png")
    more = dataclasses.replace(config, max_trials=8, final_epochs=1)
    assert prepare_run_dir(run, more, False, fingerprint) == 6
    assert sorted(os.listdir(run / "plots")) == ["iteration_05.png"]
    assert read_config(run) == more
    # Extending again from there, or resuming, is the same run.
    assert prepare_run_dir(run, more, False, fingerprint) is None
