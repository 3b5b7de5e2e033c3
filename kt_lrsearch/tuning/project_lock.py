"""One tuner process per Keras Tuner project: an advisory lock beside the project folder.

Two tuners on one ``directory/project_name`` interleave their trial folders and
overwrite each other's ``oracle.json``, silently. GPEITuner takes ``flock`` on
``directory/.project_name.lock`` before Keras Tuner reads or deletes anything
(beside the folder, so ``overwrite=True`` cannot delete a lock in use). The
kernel drops the lock when the process ends, however it ends. A later tuner
in the same process (a notebook cell run again) takes the lock over; the
workers of a distributed search share their chief's project by design and take
none.
"""

from __future__ import annotations

import os
import time

from kt_lrsearch.tuning import kt_private

try:  # POSIX; elsewhere (Windows) projects are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

# Locks this process holds: lock path -> file descriptor.
_HELD: dict[str, int] = {}


class ProjectInUse(RuntimeError):
    """Another live process tunes this project; the message names it."""


def lock_path(directory: str, project_name: str) -> str:
    """``directory/.project_name.lock``: where the project's lock lives."""
    return os.path.join(directory, f".{project_name}.lock")


def hold(directory: str, project_name: str) -> None:
    """Takes the project's lock for this process, until the process ends.

    Raises:
        ProjectInUse: Another live process holds it (its pid named).
    """
    # A distributed search's workers share the project its chief holds.
    if fcntl is None or "://" in directory or kt_private.is_worker_process():
        return
    path = os.path.realpath(lock_path(directory, project_name))
    if path in _HELD:
        return  # this process has it already: a later tuner takes over
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(handle, 200, 0).decode(errors="replace").strip()
        os.close(handle)
        raise ProjectInUse(
            f"{os.path.join(directory, project_name)}: in use by another tuner "
            f"({holder or 'a running process'}); two tuners on one project overwrite "
            "each other's trials. Wait for it to finish, or give this tuner another "
            "project_name or directory"
        ) from None
    stamp = f"process {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    os.ftruncate(handle, 0)
    os.pwrite(handle, stamp.encode(), 0)
    _HELD[path] = handle
