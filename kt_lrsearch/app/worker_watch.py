"""Workers that go quiet: stopped (SIGSTOP, Ctrl-Z) or stuck on one trial, said on the console.

A stopped or hung worker neither fails nor exits, so the chief would wait for
its trial in silence. The chief's poll loop calls :meth:`SilenceWatch.check`;
it reports each quiet worker once (and again when it goes on), and leaves the
decision to the user: the search itself is never stopped from here.
"""

from __future__ import annotations

import dataclasses
import pathlib
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def is_stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped by a signal (Linux's /proc state T); False elsewhere."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] in ("T", "t")


@dataclasses.dataclass
class SilenceWatch:
    """Reports local workers that are stopped, or on one trial far longer than usual.

    Attributes:
        echo: Where the lines go (the chief's console).
        stopped_grace_s: How long a worker may be stopped before it is reported.
        silent_floor_s: The least time on one trial before it counts as stuck.
        silent_factor: Stuck means this many times the median finished trial's time.
    """

    echo: Callable[[str], None]
    stopped_grace_s: float = 5.0
    silent_floor_s: float = 300.0
    silent_factor: float = 10.0
    _since: dict[str, tuple[Any, float]] = dataclasses.field(default_factory=dict)
    # tuner id -> when it was first seen stopped; and those reported stopped.
    _stopped: dict[str, float] = dataclasses.field(default_factory=dict)
    _reported_stopped: set[str] = dataclasses.field(default_factory=set)
    # (tuner id, trial id) reported as stuck.
    _said: set[tuple[str, Any]] = dataclasses.field(default_factory=set)
    # Seconds each finished trial took, as seen from here: the "usual" time.
    _durations: list[float] = dataclasses.field(default_factory=list)

    def check(self, ongoing: dict[str, Any], spawned: Sequence[tuple[str, Any]]) -> None:
        """One look at every local worker; ``ongoing`` maps tuner id -> its running trial."""
        now = time.monotonic()
        for tuner_id, process in spawned:
            trial_id = getattr(ongoing.get(tuner_id), "trial_id", None)
            before, since = self._since.get(tuner_id, (None, now))
            if tuner_id not in self._since or before != trial_id:
                if before is not None:
                    self._durations.append(now - since)
                self._since[tuner_id] = (trial_id, now)
            self._check_stopped(tuner_id, process.pid, now)
            if trial_id is not None:
                self._check_stuck(tuner_id, process.pid, trial_id, now - self._since[tuner_id][1])

    def _check_stuck(self, tuner_id: str, pid: int, trial_id: Any, waited: float) -> None:
        usual = statistics.median(self._durations) if self._durations else 0.0
        if waited <= max(self.silent_floor_s, self.silent_factor * usual):
            return
        if (tuner_id, trial_id) in self._said:
            return
        self._said.add((tuner_id, trial_id))
        times = f", {waited / usual:.0f}x the usual trial" if usual > 0 else ""
        self.echo(
            f"warning: worker {tuner_id} (pid {pid}) has been on one trial for {waited:.0f} s"
            f"{times}: it may be hung. The search waits for it; `kill {pid}` ends the search "
            "with a message, and rerunning the same command resumes"
        )

    def _check_stopped(self, tuner_id: str, pid: int, now: float) -> None:
        if not is_stopped(pid):
            self._stopped.pop(tuner_id, None)
            if tuner_id in self._reported_stopped:
                self._reported_stopped.discard(tuner_id)
                self.echo(f"chief: worker {tuner_id} (pid {pid}) goes on")
            return
        since = self._stopped.setdefault(tuner_id, now)
        if now - since >= self.stopped_grace_s and tuner_id not in self._reported_stopped:
            self._reported_stopped.add(tuner_id)
            self.echo(
                f"warning: worker {tuner_id} (pid {pid}) is stopped (SIGSTOP or Ctrl-Z) and "
                f"the search waits for it: `kill -CONT {pid}` lets it go on; `kill {pid}` "
                "ends the search with a message, and rerunning the same command resumes"
            )
