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


def test_trial_lines_come_in_trial_order_with_parallel_workers(tmp_path) -> None:
    from oracle_helpers import finish, make_oracle

    from kt_lrsearch.app.progress import TrialLog

    lines: list[str] = []
    log = TrialLog(tmp_path, max_trials=4, echo=lines.append)
    oracle = make_oracle(str(tmp_path / "o"), max_trials=4, callbacks=[log])
    first, second, third = (oracle.create_trial(f"tuner{i}") for i in range(3))
    finish(oracle, second, 0.5)  # ends while the first still runs: held back
    assert lines == []
    finish(oracle, first, 0.4)
    assert [line.split()[2] for line in lines] == ["1/4", "2/4"]
    finish(oracle, third, 0.6)
    assert [line.split()[2] for line in lines] == ["1/4", "2/4", "3/4"]
    assert "left)" in lines[-1]  # the pace is known after two results: an ETA
