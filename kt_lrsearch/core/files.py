"""Crash-safe file writes: a temporary file beside the target, then a rename.

A rename within one directory is atomic on POSIX and Windows, so after a crash
(even SIGKILL) the target holds either its old content or the new one, never
half of either. Used for every figure, JSON and text file kt_lrsearch writes,
and for Keras Tuner's own state files (see ``save_json``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
from collections.abc import Iterator
from typing import Any

TMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[pathlib.Path]:
    """A temporary file beside ``path``, renamed onto it when the block succeeds.

    Write to the yielded path; after a crash or an exception ``path`` keeps its
    old content (or stays absent) and the temporary file is removed. After a
    SIGKILL a hidden ``.tmp-name-*`` file stays behind; it is never read, and
    ``remove_temporaries`` clears it.
    """
    path = pathlib.Path(path)
    tmp = _new_temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        # A write through an open file object (PIL, zipfile) raises without a
        # file name; the target is the file a message should name.
        if error.filename is None or str(error.filename) == str(tmp):
            error.filename = str(path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _new_temporary(path: pathlib.Path) -> pathlib.Path:
    """Creates an empty ``.tmp-<stem>-<random><suffix>`` beside ``path``.

    Created with mode 0666 filtered by the umask, as ``open()`` would, so the
    renamed file gets the modes users expect (0644 under umask 022); ``mkstemp``
    makes 0600 whatever the umask, which broke shared run directories and
    served reports (issue 14).
    """
    for _ in range(100):
        tmp = path.parent / f"{TMP_PREFIX}{path.stem}-{secrets.token_hex(4)}{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {path}")


def remove_temporaries(directory: str | os.PathLike[str]) -> list[pathlib.Path]:
    """Deletes the temporaries a killed ``atomic_path`` left under ``directory``."""
    found = [p for p in pathlib.Path(directory).rglob(f"{TMP_PREFIX}*") if p.is_file()]
    for leftover in found:
        leftover.unlink(missing_ok=True)
    return found


def atomic_write_text(path: str | os.PathLike[str], text: str) -> pathlib.Path:
    """Writes ``text`` to ``path`` via a temporary file and an atomic rename."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return pathlib.Path(path)


def is_local(path: str | os.PathLike[str]) -> bool:
    """False for URLs such as ``gs://bucket/dir``, which Keras Tuner also accepts."""
    return "://" not in os.fspath(path)


def save_json(path: str | os.PathLike[str], state: dict[str, Any]) -> str:
    """Keras Tuner's ``utils.save_json``, atomic (local paths only); returns the JSON.

    Keras Tuner writes its state files in place, so a kill during the write
    leaves a truncated ``oracle.json`` or ``trial.json`` and the project cannot
    be resumed. Callers keep Keras Tuner's writer for remote paths (``is_local``).
    """
    text = json.dumps(state)
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return text
