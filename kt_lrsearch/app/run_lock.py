"""One process at a time in a run directory: an advisory lock that dies with its holder.

Two ``search`` commands on one ``--out`` used to train every trial twice, silently
(issue 14). The lock is ``flock`` on ``RUN_DIR/.lock``, which holds the owner's
process id for the message. The kernel drops an ``flock`` when its process ends,
however it ends, so a run killed with SIGKILL never leaves a lock that blocks the
rerun: the stale file is simply taken over (and the takeover said). Distributed
workers do not take it: they share their chief's directory by design.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import time
from collections.abc import Callable, Iterator

try:  # POSIX; elsewhere (Windows) runs are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"


class LockError(Exception):
    """The run directory cannot be locked; the message says why and what to do."""


class RunInUse(LockError):
    """Another live process holds the run directory; the message names it."""


def _holder(text: str) -> tuple[int | None, str]:
    """(pid, started) from the lock file's "pid started-at" line."""
    pid, _, started = text.strip().partition(" ")
    return (int(pid) if pid.isdigit() else None), started


@contextlib.contextmanager
def run_lock(
    run_dir: pathlib.Path, command: str, echo: Callable[[str], None] = print
) -> Iterator[None]:
    """Holds ``run_dir``'s lock for the block.

    Args:
        run_dir: An existing run directory.
        command: What takes it ("search", "report"), for the other side's message.
        echo: Where a takeover of a killed run's lock is reported.

    Raises:
        RunInUse: A live process holds the lock (its pid and command named).
        LockError: The lock file cannot be created.
    """
    path = run_dir / LOCK
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise LockError(
            f"{path}: cannot create the run's lock file "
            f"({error.strerror or error}); the run directory must be "
            "writable"
        ) from None
    try:
        # Who holds it, or held it last: named when refused, or when taken over.
        pid, started = _holder(os.pread(handle, 200, 0).decode(errors="replace"))
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                who = f"process {pid}" if pid else "another process"
                raise RunInUse(
                    f"{run_dir}: in use by {who} ({started or 'a running search'}); wait for "
                    "it to finish or stop it, or choose another --out"
                ) from None
        if pid is not None and pid != os.getpid():
            echo(
                f"taking over the lock of process {pid} ({started}), which ended without "
                "releasing it; finished trials are kept"
            )
        stamp = f"{os.getpid()} {command} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        os.ftruncate(handle, 0)
        os.pwrite(handle, stamp.encode(), 0)
        try:
            yield
        finally:  # released by a live process (an error, Ctrl-C): nothing to take over
            os.ftruncate(handle, 0)
    finally:
        os.close(handle)  # closing drops the flock
