"""SIGKILL a real search at many moments; count lost and re-run trials.

One uninterrupted reference run, then the same command in a second directory,
killed with SIGKILL after a seeded random delay (start-up, training, plotting,
final retraining, artifacts: wherever it lands) and restarted, ``--kills``
times, then run to the end. Reported: where each kill landed (the last line the
run had printed, and the trials recorded so far), trials lost (in the reference,
missing after the resume), finished trials handed out again and interrupted ones
run again (from trial_events.jsonl), whether the results equal the reference,
and leftover temporary files.

Run: .venv/bin/python bench/bench_kill.py [--kills 12] [--seed 0] [--min-delay 6] [--max-delay 22]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from kt_lrsearch.app.progress import read_events, reruns  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "data" / "fashion-mnist-sample"
ARGS = ["search", "--quick", "--max-trials", "10", "--seed", "3", "--data-dir", str(SAMPLE)]


def launch(out: pathlib.Path, log: pathlib.Path) -> subprocess.Popen:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "w") as handle:
        return subprocess.Popen(
            [sys.executable, "cli.py", *ARGS, "--out", str(out)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def last_line(log: pathlib.Path) -> str:
    keep = ("data:", "[", "search finished", "drew", "retraining", "test accuracy", "best")
    lines = [line for line in log.read_text().splitlines() if line.startswith(keep)]
    return lines[-1][:60] if lines else "(start-up: nothing printed yet)"


def rows(out: pathlib.Path) -> list[tuple]:
    trials = json.loads((out / "results.json").read_text())["trials"]
    return [(t["trial"], t["learning_rate"], t["score"], t["status"]) for t in trials]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    # After the ~8 s of imports, so that most kills land in trials and plots.
    parser.add_argument("--min-delay", type=float, default=6.0, help="seconds")
    parser.add_argument("--max-delay", type=float, default=22.0, help="seconds")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        start = time.monotonic()
        assert launch(tmp / "ref", tmp / "ref.log").wait() == 0, (tmp / "ref.log").read_text()
        print(f"reference run: {time.monotonic() - start:.0f}s", file=sys.stderr)
        logs, table = [], []
        for kill in range(args.kills):
            logs.append(tmp / f"kill{kill}.log")
            process = launch(tmp / "run", logs[-1])
            delay = rng.uniform(args.min_delay, args.max_delay)
            try:
                process.wait(timeout=delay)
                landed = "finished before the kill"
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                landed = last_line(logs[-1])
            events = read_events(tmp / "run" / "trial_events.jsonl")
            recorded = len({e["trial_id"] for e in events if e["event"] == "end"})
            table.append((kill + 1, delay, landed, recorded))
            print(f"kill {kill + 1}: {delay:.1f}s, after: {landed}", file=sys.stderr)
        logs.append(tmp / "last.log")
        assert launch(tmp / "run", logs[-1]).wait() == 0, logs[-1].read_text()
        reference, resumed = rows(tmp / "ref"), rows(tmp / "run")
        lost = len({r[0] for r in reference} - {r[0] for r in resumed})
        finished_again, retried = reruns(read_events(tmp / "run" / "trial_events.jsonl"))
        leftovers = len(list((tmp / "run").rglob(".tmp-*")))
        same = resumed == reference
        finals = [
            json.loads((tmp / d / "results.json").read_text())["final"] for d in ("run", "ref")
        ]
        final_same = finals[0] == finals[1]

    command = " ".join(ARGS[:-2])
    delays = f"{args.min_delay:.0f}-{args.max_delay:.0f} s"
    print(
        f"`python cli.py {command} --data-dir SAMPLE`, {args.kills} kills after seeded "
        f"random delays of {delays} (seed {args.seed}).\n"
    )
    print("| kill | after (s) | last line printed before the kill | trials recorded |")
    print("|---:|---:|---|---:|")
    for number, delay, landed, recorded in table:
        print(f"| {number} | {delay:.1f} | `{landed}` | {recorded} |")
    killed = sum(1 for row in table if row[2] != "finished before the kill")
    print(
        f"\nkills that landed: {killed}; trials lost: {lost}; "
        f"finished trials run again: {len(finished_again)}; "
        f"interrupted trials run again: {len(retried)}; "
        f"trials equal to the uninterrupted run: {same}; final evaluation equal: "
        f"{final_same}; leftover temporaries: {leftovers}"
    )


if __name__ == "__main__":
    main()
