"""Crash-safe writes: the target is either old or new, never half-written."""

from __future__ import annotations

import json
import os
import stat

import pytest

from kt_lrsearch.core.files import atomic_path, atomic_write_text, is_local, save_json


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


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_honour_the_umask(tmp_path, umask, mode) -> None:
    old = os.umask(umask)
    try:
        text = atomic_write_text(tmp_path / "report.html", "<p>hi</p>")
        state = tmp_path / "trial.json"
        save_json(state, {"a": 1})
        with atomic_path(tmp_path / "figure.png") as tmp:
            tmp.write_bytes(b"png")
    finally:
        os.umask(old)
    for path in (text, state, tmp_path / "figure.png"):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
