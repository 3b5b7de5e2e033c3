"""The decision's own small thread pool: BLAS threads and the GP session's, bounded.

A decision is many small array operations (a few thousand candidates against
tens to hundreds of observations). A pool as wide as the machine hands each one
to threads that a training model, or another process, already keeps busy: on 2
busy cores a 4-D suggestion took 0.5-1.5 s with the default pools, 0.04-0.4 s
with one thread (docs/benchmarks.md, "Threads"). So a decision runs inside
:func:`limited`, which bounds OpenBLAS/MKL (NumPy, SciPy) for the block and names
the thread count the GP's TensorFlow session is built with
(:func:`session_threads`). The user's own limits outside the block are left as
they were.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

# One thread: each step of the decision is small, and hand-offs cost more than
# they save even on idle cores (GP fits of 27/58/127 ms at 5/20/50 points with
# one thread, 25/77/141 ms with the default pools; bench/bench_gp.py).
DEFAULT_THREADS = 1

_SESSION_THREADS: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "kt_lrsearch_session_threads", default=DEFAULT_THREADS
)


def check_threads(threads: int | None) -> None:
    """Raises ValueError unless ``threads`` is None (no bound) or an integer >= 1."""
    if threads is None:
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"GPEIOracle: `threads` must be None or an integer >= 1, got {threads!r}")


_CONTROLLER: ThreadpoolController | None = None


def _controller() -> ThreadpoolController:
    """The process's BLAS libraries, found once (a search costs ~1 ms per lookup)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def session_threads() -> int | None:
    """Threads for the GP's session in the current block (None: TensorFlow's default)."""
    return _SESSION_THREADS.get()


@contextlib.contextmanager
def limited(threads: int | None = DEFAULT_THREADS) -> Iterator[None]:
    """Runs the block with at most ``threads`` BLAS threads and GP-session threads.

    Args:
        threads: The bound; None leaves BLAS as the process has it and gives the
            GP session TensorFlow's default pools (as wide as the machine).
    """
    check_threads(threads)
    token = _SESSION_THREADS.set(threads)
    try:
        if threads is None:
            yield
        else:
            with _controller().limit(limits=threads, user_api="blas"):
                yield
    finally:
        _SESSION_THREADS.reset(token)
