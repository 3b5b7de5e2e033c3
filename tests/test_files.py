"""Crash-safe writes: the target is either old or new, never half-written."""

from __future__ import annotations

import json

import pytest

from kt_lrsearch.files import atomic_path, atomic_write_text, is_local, save_json


def test_save_json_round_trips_and_replaces(tmp_path) -> None:
    target = tmp_path / "deep" / "oracle.json"
    text = save_json(target, {"ongoing_trials": {}, "seed": 3})
    assert json.loads(target.read_text()) == {"ongoing_trials": {}, "seed": 3} == json.loads(text)
    save_json(target, {"seed": 4})
    assert json.loads(target.read_text()) == {"seed": 4}
    assert [p.name for p in target.parent.iterdir()] == ["oracle.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path) -> None:
    target = atomic_write_text(tmp_path / "results.json", '{"old": true}')
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text('{"new": ')  # half written when the "crash" comes
        raise RuntimeError("killed")
    assert target.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_unserialisable_state_leaves_the_file_alone(tmp_path) -> None:
    target = tmp_path / "trial.json"
    save_json(target, {"score": 0.5})
    with pytest.raises(TypeError):
        save_json(target, {"score": object()})
    assert json.loads(target.read_text()) == {"score": 0.5}


@pytest.mark.parametrize(
    ("path", "local"), [("runs/x/oracle.json", True), ("/tmp/a", True), ("gs://b/p", False)]
)
def test_is_local(path: str, local: bool) -> None:
    assert is_local(path) is local
