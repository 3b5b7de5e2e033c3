"""Distributed search on Keras Tuner's own gRPC engine: one chief, N workers.

The chief is the process that runs ``cli.py search --workers N``. It owns the
GPEIOracle with its callbacks (figures, progress) and serves it with Keras
Tuner's ``OracleServicer`` over gRPC; it never trains. Each worker is a Keras
Tuner tuner in its own process that finds the chief through Keras Tuner's
environment variables (``KERASTUNER_ORACLE_IP``, ``KERASTUNER_ORACLE_PORT``,
``KERASTUNER_TUNER_ID``), asks it for trials and trains them.

Why not Keras Tuner's ``start_server`` loop: it checks for the end only every
20 s, and waits forever when a worker dies mid-trial (shared PITFALLS). This
chief polls every 0.2 s, watches its worker processes, and stops them all (and
says how to resume) when one fails. Workers die with the chief (Linux).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from kt_lrsearch.app.worker_watch import SilenceWatch

LOOPBACK = "127.0.0.1"
# (tuner id, process) per local worker, as spawn_workers starts them.
Spawned = Sequence[tuple[str, subprocess.Popen]]
ENV_IP, ENV_PORT, ENV_ID = "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"


class DistributedError(RuntimeError):
    """A worker failed or the chief could not serve; the message says how to go on."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def worker_env(host: str, port: int, tuner_id: str) -> dict[str, str]:
    """Keras Tuner's variables that make a tuner a worker of the chief at host:port."""
    if "chief" in tuner_id:
        raise ValueError(f"a worker's tuner id must not contain 'chief', got {tuner_id!r}")
    return {ENV_IP: host, ENV_PORT: str(port), ENV_ID: tuner_id}


def worker_settings() -> tuple[str, int, str]:
    """(host, port, tuner id) of the chief, from Keras Tuner's environment variables.

    Raises:
        DistributedError: A variable is missing or malformed, or names the chief.
    """
    missing = [name for name in (ENV_IP, ENV_PORT, ENV_ID) if not os.environ.get(name)]
    if missing:
        raise DistributedError(
            f"a worker needs {', '.join(missing)} set: the chief's address, its port and "
            "a tuner id unique to this worker (see the README, 'Distributed search')"
        )
    port_text, tuner_id = os.environ[ENV_PORT], os.environ[ENV_ID]
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise DistributedError(f"{ENV_PORT} must be a port number (1-65535), got {port_text!r}")
    if "chief" in tuner_id:
        raise DistributedError(f"{ENV_ID}={tuner_id!r} would make this process a second chief")
    return os.environ[ENV_IP], int(port_text), tuner_id


def serve(oracle: Any, host: str, port: int) -> tuple[Any, Any]:
    """Starts Keras Tuner's OracleServicer for ``oracle`` on host:port.

    One server thread, as Keras Tuner uses: oracle calls never overlap.

    Returns:
        (grpc server, servicer); ``servicer.stop_triggered`` turns True once a
        worker has been told that the search is over.

    Raises:
        DistributedError: The address cannot be bound.
    """
    from concurrent import futures

    import grpc

    from kt_lrsearch.tuning import kt_private

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = kt_private.oracle_service(oracle, server)
    try:
        bound, problem = server.add_insecure_port(f"{host}:{port}"), "address in use or not local"
    except RuntimeError as error:
        bound, problem = 0, str(error)
    if not bound:
        raise DistributedError(
            f"cannot serve the oracle on {host}:{port}: {problem}; choose another --port or --host"
        )
    server.start()
    return server, servicer


def search_finished(oracle: Any, servicer: Any) -> bool:
    """True once every worker has been told to stop and no trial is running."""
    from kt_lrsearch.tuning import kt_private

    return bool(servicer.stop_triggered) and kt_private.chief_may_exit(oracle)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # PR_SET_PDEATHSIG: a worker gets SIGKILL when the chief dies, instead of
    # waiting up to an hour for it over gRPC.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def spawn_workers(
    command: Sequence[str], count: int, host: str, port: int, log_dir: pathlib.Path
) -> list[tuple[str, subprocess.Popen]]:
    """Starts ``count`` worker processes (tuner ids tuner0..), each logging to a file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    # A chief bound to every interface is reached locally through the loopback.
    local = LOOPBACK if host in ("0.0.0.0", "::", "[::]") else host
    workers = []
    for index in range(count):
        tuner_id = f"tuner{index}"
        env = {**os.environ, **worker_env(local, port, tuner_id)}
        with open(log_dir / f"{tuner_id}.log", "ab") as log:
            process = subprocess.Popen(
                list(command),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        workers.append((tuner_id, process))
    return workers


def stop_workers(workers: Spawned, timeout: float = 10.0) -> None:
    """Terminates the workers still running (SIGTERM, then SIGKILL)."""
    for _, process in workers:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + timeout
    for _, process in workers:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_chief(
    oracle: Any,
    *,
    workers: int,
    worker_command: Sequence[str],
    host: str,
    port: int,
    log_dir: pathlib.Path,
    echo: Callable[[str], None] = print,
    poll_s: float = 0.2,
) -> None:
    """Serves ``oracle`` to ``workers`` local worker processes until the search ends.

    Raises:
        DistributedError: A worker exited with an error, or all exited early.
    """
    from kt_lrsearch.core import gp  # lazily: TensorFlow loads only for a chief

    # Workers first, server second: forking a process whose gRPC threads are
    # running crashed a worker (SIGABRT, "epoll_wait error: Bad file
    # descriptor", seen once in the tests). Workers wait for the server.
    spawned = spawn_workers(worker_command, workers, host, port, log_dir)
    server = None
    warm_up = None
    try:
        server, servicer = serve(oracle, host, port)
        # The chief idles while workers import and train their first trial:
        # build the GP now (~10 s) rather than when the first result comes in.
        # Joined before returning: a thread left inside TensorFlow aborted the
        # process at exit (exit code 134 instead of the error message).
        warm_up = gp.warm_up_in_background()
        echo(
            f"chief: serving the oracle on {host}:{port} to {workers} local worker(s); "
            f"worker logs in {log_dir}"
        )
        echo("chief: started " + ", ".join(f"{t} (pid {p.pid})" for t, p in spawned))
        watch_workers(oracle, servicer, spawned, log_dir, poll_s, echo)
        codes = wait_for_exit(spawned)
        echo("chief: workers exited: " + ", ".join(f"{t} ({c})" for t, c in codes.items()))
    finally:
        stop_workers(spawned)
        if server is not None:
            server.stop(grace=1.0).wait()
        if warm_up is not None:
            warm_up.join()


def watch_workers(
    oracle: Any,
    servicer: Any,
    spawned: Spawned,
    log_dir: pathlib.Path,
    poll_s: float,
    echo: Callable[[str], None] = print,
) -> None:
    """Polls the workers until the search ends; a stopped or stuck one is reported.

    Raises:
        DistributedError: A worker exited with an error, or all exited early.
    """
    watch = SilenceWatch(echo)
    while not search_finished(oracle, servicer):
        watch.check(dict(oracle.ongoing_trials), spawned)
        codes = {tuner_id: process.poll() for tuner_id, process in spawned}
        failed = {tuner_id: code for tuner_id, code in codes.items() if code not in (None, 0)}
        if failed:
            tuner_id, code = next(iter(failed.items()))
            raise DistributedError(
                f"worker {tuner_id} exited with code {code}; its log: "
                f"{log_dir / (tuner_id + '.log')}. Finished trials are saved: rerun the "
                "same command to resume (the interrupted trial runs again)"
            )
        if all(code == 0 for code in codes.values()) and not oracle.ongoing_trials:
            # Remote workers may still be registered; local ones are done.
            if servicer.stop_triggered:
                return
            raise DistributedError(
                f"every worker exited before the search ended; see the logs in {log_dir}"
            )
        time.sleep(poll_s)


def wait_for_exit(spawned: Spawned) -> dict[str, int]:
    """Exit codes of the local workers, which exit once told to stop (60 s each at most).

    Raises:
        DistributedError: A worker did not exit in time (it is stopped by the caller).
    """
    try:
        return {tuner_id: process.wait(timeout=60) for tuner_id, process in spawned}
    except subprocess.TimeoutExpired as error:
        raise DistributedError(
            f"a worker did not exit within 60 s of the search's end ({error.cmd}); it "
            "was stopped. Every trial is saved: rerun the same command to finish"
        ) from None
