"""Progress of a search: the console line per trial, durations, and the audit log.

``trial_events.jsonl`` gets one JSON line per trial handed out ("begin") and per
result recorded ("end"), with the process id and the time, across resumes: the
audit trail that shows no finished trial ever ran again.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import pathlib
import time
from collections.abc import Callable
from typing import Any

from kt_lrsearch.core import trial_rules
from kt_lrsearch.core.files import atomic_write_text

EVENTS = "trial_events.jsonl"
DURATIONS = "durations.json"


class TrialLog:
    """Oracle callback: a progress line per trial, durations and an event log on disk.

    A trial's duration runs from the moment the oracle hands it out to the
    moment its result is recorded, so it is right for parallel workers too.
    A trial handed out before a resume (no start seen) counts from the resume.
    The line names the trial by its number (:func:`trial_rules.trial_number`),
    as the figures, the report and results.json do.
    """

    def __init__(self, run_dir: pathlib.Path, max_trials: int, echo: Callable[[str], None]) -> None:
        self.path = run_dir / DURATIONS
        self.events = run_dir / EVENTS
        self.durations = read_durations(self.path)
        self.max_trials = max_trials
        self.echo = echo
        self.started = time.monotonic()
        self.begun: dict[str, float] = {}
        # When this process recorded its first result, and how many since.
        self._first_end: float | None = None
        self._ended_here = 0
        self._held: dict[int, str] = {}

    def _record(self, event: str, trial: Any) -> None:
        line = {
            "event": event,
            "trial_id": trial.trial_id,
            "status": str(trial.status),
            "values": trial.hyperparameters.values,
            "pid": os.getpid(),
            "time": round(time.time(), 3),
        }
        # One short appended line; a reader skips a line a kill cut short.
        with open(self.events, "a") as handle:
            handle.write(json.dumps(line) + "\n")

    def on_trial_begin(self, oracle: Any, trial: Any) -> None:
        self.begun[trial.trial_id] = time.monotonic()
        self._record("begin", trial)

    def on_trial_end(self, oracle: Any, trial: Any) -> None:
        now = time.monotonic()
        self._ended_here += 1
        if self._first_end is None:
            self._first_end = now
        self._record("end", trial)
        self.durations[trial.trial_id] = round(
            now - self.begun.pop(trial.trial_id, self.started), 3
        )
        atomic_write_text(self.path, json.dumps(self.durations, indent=1))
        done = len([t for t in oracle.trials.values() if t.status != "RUNNING"])
        # The best score so far (get_best_trials puts the model's pick first,
        # which need not hold the highest score).
        trials = list(oracle.trials.values())
        best = trial_rules.best_index(
            [t.status for t in trials], [t.score for t in trials], oracle.objective.direction
        )
        best_score = trials[best].score if best is not None else math.nan
        lr = trial.hyperparameters.values.get("learning_rate", math.nan)
        bar = "#" * done + "." * max(self.max_trials - done, 0)
        number = trial_rules.trial_number(trial.trial_id)
        self._in_order(
            number,
            f"[{bar}] trial {number}/{self.max_trials}  "
            f"lr={lr:.3g}  {oracle.objective.name}={_result(trial)}  best={best_score:.4f}  "
            f"{self.durations[trial.trial_id]:.1f}s  (elapsed {now - self.started:.0f}s"
            f"{self._eta(now, self.max_trials - done)})",
        )

    def _in_order(self, number: int, line: str) -> None:
        """Prints ``line`` once every earlier-numbered trial has ended (parallel workers).

        A trial that ends before an earlier one still running is held back, so
        the lines read in trial order, as the figures and the report do.
        ``begun`` holds the trials this process handed out and has not seen end:
        one left running by a killed process may never end here, and would hold
        every line back.
        """
        self._held[number] = line
        running = [trial_rules.trial_number(trial_id) for trial_id in self.begun]
        first_running = min(running, default=math.inf)
        for ready in sorted(n for n in self._held if n < first_running):
            self.echo(self._held.pop(ready))

    def _eta(self, now: float, remaining: int) -> str:
        """``, about Ns left`` from the pace of this process's results; "" before it is known.

        The pace is the time between results since the first one, which leaves
        out the first trial's compilation and counts parallel workers as they run.
        """
        if self._first_end is None or remaining <= 0 or self._ended_here < 2:
            return ""
        pace = (now - self._first_end) / (self._ended_here - 1)
        return f", about {pace * remaining:.0f}s left"


def _result(trial: Any) -> str:
    """A trial's score for the progress line, or what happened instead."""
    outcome = trial_rules.outcome(trial.status, trial.score)
    if outcome == trial_rules.OK:
        return f"{trial.score:.4f}"
    return "diverged" if outcome == trial_rules.DIVERGED else str(trial.status).lower()


def read_durations(path: pathlib.Path) -> dict[str, float]:
    """``durations.json``: trial id -> seconds; {} when absent or unreadable.

    Durations are informative only (the console's times, the report's column),
    so a damaged file is not worth stopping a search for; the next trial's end
    writes a whole one.
    """
    try:
        durations = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(durations, dict):
        return {}
    return {str(k): float(v) for k, v in durations.items() if isinstance(v, (int, float))}


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The events of a ``trial_events.jsonl``, skipping lines that are not whole events.

    A kill can cut the last line short, and a damaged file can hold anything;
    the log is an audit trail, so what can be read is used and the rest skipped.
    """
    events = []
    with contextlib.suppress(FileNotFoundError), open(path, "rb") as handle:
        for raw in handle:
            with contextlib.suppress(ValueError):
                event = json.loads(raw.decode("utf-8", errors="replace"))
                if isinstance(event, dict) and {"event", "trial_id"} <= event.keys():
                    events.append(event)
    return events


def reruns(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(finished trials handed out again, trials begun again after an interruption)."""
    ended: set[str] = set()
    begun: set[str] = set()
    finished_again, retried = [], []
    for event in events:
        trial_id = event["trial_id"]
        if event["event"] == "begin":
            if trial_id in ended:
                finished_again.append(trial_id)
            elif trial_id in begun:
                retried.append(trial_id)
            begun.add(trial_id)
        else:
            ended.add(trial_id)
    return finished_again, retried
