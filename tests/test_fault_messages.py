"""OS faults in words (app/faults.py) and the readers that survive damaged files."""

from __future__ import annotations

import errno
import json
import os

import pytest

from kt_lrsearch.app.faults import describe, failed_path, is_disk_full
from kt_lrsearch.app.progress import read_durations, read_events
from kt_lrsearch.core.files import atomic_write_text


def test_a_failed_atomic_write_names_its_target_not_the_temporary(tmp_path) -> None:
    target = tmp_path / "results.json"
    target.mkdir()  # a folder where the file belongs: the rename fails
    with pytest.raises(OSError) as caught:
        atomic_write_text(target, "{}")
    assert failed_path(caught.value) == str(target)
    assert describe(caught.value).startswith(f"{target} is a folder where the run keeps a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # no temporary left


def test_h5py_messages_name_their_file() -> None:
    # The shape of h5py's message when a checkpoint write fails (the file is not
    # in .filename there).
    error = OSError(
        errno.ENOSPC,
        "Can't synchronously write data (file write failed: time = Tue Dec  8 2026\n"
        ", filename = '/runs/a/tuner/trial_3/checkpoint.weights.h5', file descriptor = 15, "
        "errno = 28, error message = 'No space left on device')",
    )
    assert failed_path(error) == "/runs/a/tuner/trial_3/checkpoint.weights.h5"
    message = describe(error)
    assert message.startswith(
        "disk full: could not write /runs/a/tuner/trial_3/checkpoint.weights.h5 "
        f"({os.strerror(errno.ENOSPC)})"
    )
    assert "rerun the same command" in message and "synchronously" not in message


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_a_full_disk_is_found_through_the_errors_raised_from_it(code: int) -> None:
    try:
        try:
            raise OSError(code, os.strerror(code), "/x/checkpoint.weights.h5")
        except OSError as error:
            raise RuntimeError("the trial could not save") from error
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped)
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied", "/x"))
    assert "cannot access /x" in describe(OSError(errno.EACCES, "Permission denied", "/x"))


def test_damaged_event_logs_keep_every_whole_event(tmp_path) -> None:
    log = tmp_path / "trial_events.jsonl"
    whole = [{"event": "begin", "trial_id": "0"}, {"event": "end", "trial_id": "0"}]
    log.write_bytes(
        json.dumps(whole[0]).encode()
        + b"\n\xff\xfe garbage\n[1, 2]\n"
        + json.dumps(whole[1]).encode()
        + b'\n{"event": "begin", "tri'  # a kill cut the last line short
    )
    assert read_events(log) == whole
    assert read_events(tmp_path / "absent.jsonl") == []


@pytest.mark.parametrize("content", [b"", b"\xff{", b"[1, 2]", b'{"0": "x", "1": 2.5}'])
def test_damaged_durations_read_as_what_can_be_used(tmp_path, content: bytes) -> None:
    path = tmp_path / "durations.json"
    path.write_bytes(content)
    expected = {"1": 2.5} if content.startswith(b'{"0"') else {}
    assert read_durations(path) == expected
