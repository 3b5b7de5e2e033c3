"""A calm console for the command line: TensorFlow's, absl's and TFP's noise kept off it.

Two layers, because TensorFlow 2.21 logs from C++ before absl is initialised and
ignores ``TF_CPP_MIN_LOG_LEVEL`` there ("oneDNN custom operations are on", "Could
not find cuda drivers", each printed twice; "failed call to cuInit" at the first
op):

- :func:`quiet_environment`, run by the CLI's entry before TensorFlow loads (never
  by a library import: a program that uses the library keeps TensorFlow's errors),
  sets the usual variables (only where the user has not) and raises the
  ``tensorflow`` Python logger to ERROR when nobody configured it (TFP's
  "`jitter` is deprecated").
- :func:`native_stderr_captured`, for the command line only (a library must not
  take over a process's file descriptors), points file descriptor 2 at a
  temporary file while Python's own ``sys.stderr`` keeps the real console, so
  our messages and tracebacks still show. If the command dies with an unexpected
  exception, the captured native lines are replayed: nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator

ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow's C++ info and warnings, once absl is up
    "GRPC_VERBOSITY": "ERROR",  # gRPC's info lines when distributed workers start
}
# Replayed after a crash: enough to see what TensorFlow said last.
REPLAY_BYTES = 20_000


def quiet_environment() -> None:
    """Sets ENVIRONMENT's defaults and quietens the ``tensorflow`` logger; idempotent."""
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    logger = logging.getLogger("tensorflow")
    if logger.level == logging.NOTSET:  # leave a level the user chose alone
        logger.setLevel(logging.ERROR)


@contextlib.contextmanager
def native_stderr_captured(handled: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Sends what C/C++ code writes to file descriptor 2 to a temporary file.

    ``sys.stderr`` is rebound to a duplicate of the original descriptor for the
    block, so Python's warnings, click's errors and tracebacks reach the user.

    Args:
        handled: Exceptions that end the block with their own clear message
            (the CLI's errors); they, SystemExit and KeyboardInterrupt replay
            nothing. Any other exception replays the captured native lines.
    """
    sys.stderr.flush()
    original = os.dup(2)
    console = open(os.dup(original), "w", buffering=1, errors="replace")  # noqa: SIM115
    previous = sys.stderr
    with tempfile.TemporaryFile() as native:
        os.dup2(native.fileno(), 2)
        sys.stderr = console
        try:
            yield
        except BaseException as error:
            if not isinstance(error, (SystemExit, KeyboardInterrupt, GeneratorExit, *handled)):
                _replay(native, console)
            raise
        finally:
            console.flush()
            os.dup2(original, 2)
            os.close(original)
            sys.stderr = previous
            console.close()


def _replay(native: tempfile._TemporaryFileWrapper, console) -> None:  # type: ignore[type-arg]
    """Writes the tail of what native code logged, after an unexpected exception."""
    size = native.seek(0, os.SEEK_END)
    native.seek(max(0, size - REPLAY_BYTES))
    text = native.read().decode(errors="replace").strip()
    if text:
        console.write(f"TensorFlow's own log before the error (hidden until now):\n{text}\n")
