"""Operating-system faults in words: a full disk, a file that cannot be read or written.

Every write of the tool is atomic (a temporary file, then a rename), so a write
that fails leaves the earlier file whole; the way out is always to fix the cause
and rerun the same command, which resumes. These helpers only phrase the
message; the command line prints it and exits 1.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from typing import Any

# A full disk or quota, and a file over the size limit (RLIMIT_FSIZE, some
# file systems): the same way out.
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
# h5py (Keras checkpoints) names the file inside its message, not in .filename.
_H5_FILENAME = re.compile(r"filename = '([^']+)'")


class StorageError(Exception):
    """A file of the run could not be written or read; the message says which and why."""


def failed_path(error: OSError) -> str | None:
    """The file an OSError is about: its ``filename``, or the one h5py's message names.

    A failed rename (an atomic write's last step) is about its target,
    ``filename2``, not the temporary file beside it.
    """
    if error.filename2 is not None:
        return str(error.filename2)
    if error.filename is not None:
        return str(error.filename)
    found = _H5_FILENAME.search(str(error))
    return found.group(1) if found else None


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is a full disk or quota."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in NO_SPACE:
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


def describe(error: OSError) -> str:
    """One message for an OSError: what failed, on which file, and the way out.

    Examples:
        ``disk full: could not write run/tuner/trial_3/checkpoint.weights.h5 ...``
    """
    path = failed_path(error) or "a file of the run"
    # h5py's strerror is a page of internals; the errno's own words say it.
    reason = os.strerror(error.errno) if error.errno else (error.strerror or str(error))
    if error.errno in NO_SPACE:
        return (
            f"disk full: could not write {path} ({reason}). Every file written before is "
            "intact: free some space on that disk and rerun the same command to resume "
            "(finished trials are kept)"
        )
    if error.errno in NO_ACCESS:
        return (
            f"cannot access {path} ({reason}): make it readable and writable for this user "
            "(for a run directory: chmod -R u+rwX DIR) and rerun the same command; "
            "finished trials are kept"
        )
    if error.errno == errno.EISDIR:
        return (
            f"{path} is a folder where the run keeps a file: move it aside and rerun the "
            "same command; finished trials are kept"
        )
    return f"{path}: {reason}; fix it and rerun the same command (finished trials are kept)"


def _is_hdf5_close_error(value: BaseException | None, where: object) -> bool:
    """An h5py object's failed flush as it is freed, after its file could not be written."""
    return "h5py" in repr(where) and "errno = " in str(value)


def hide_hdf5_close_errors(unraisable: sys.UnraisableHookArgs) -> None:
    """A ``sys.unraisablehook``: drops HDF5's close errors once its file could not be written.

    After a failed checkpoint write, h5py retries the flush as each of the
    file's objects is freed and prints a traceback per object; the command's
    one message has said it already. Everything else goes to Python's hook.
    """
    if not _is_hdf5_close_error(unraisable.exc_value, unraisable.object):
        sys.__unraisablehook__(unraisable)


def hide_hdf5_close_tracebacks(kind: type, value: BaseException, tb: Any) -> None:
    """A ``sys.excepthook`` for the same errors, which h5py's Cython code prints this way too."""
    frames = traceback.extract_tb(tb)
    if not (frames and _is_hdf5_close_error(value, frames[-1].filename)):
        sys.__excepthook__(kind, value, tb)
