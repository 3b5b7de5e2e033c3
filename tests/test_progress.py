"""The trial event log: reading it after a kill, and telling re-runs apart."""

from __future__ import annotations

import json

from kt_lrsearch.app.progress import read_events, reruns


def event(kind: str, trial_id: str) -> dict:
    return {"event": kind, "trial_id": trial_id}


def test_a_line_cut_short_by_a_kill_is_skipped(tmp_path) -> None:
    path = tmp_path / "trial_events.jsonl"
    lines = [json.dumps(event("begin", "0")), json.dumps(event("end", "0")), '{"event": "beg']
    path.write_text("\n".join(lines))
    assert read_events(path) == [event("begin", "0"), event("end", "0")]
    assert read_events(tmp_path / "absent.jsonl") == []


def test_reruns_separates_retries_from_repeats() -> None:
    clean = [event("begin", "0"), event("end", "0"), event("begin", "1"), event("end", "1")]
    assert reruns(clean) == ([], [])
    # Trial 1 interrupted (no end) and handed out again after a resume: a retry.
    retried = [
        event("begin", "0"),
        event("end", "0"),
        event("begin", "1"),
        event("begin", "1"),
        event("end", "1"),
    ]
    assert reruns(retried) == ([], ["1"])
    # A finished trial handed out again: what must never happen.
    assert reruns([*clean, event("begin", "0")]) == (["0"], [])
