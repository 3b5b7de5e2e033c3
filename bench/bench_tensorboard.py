"""What writing TensorBoard logs costs a trial: `search --quick` with and without them.

Each repetition runs both variants as fresh processes, alternating, into new run
directories; the variant without logs replaces `assembly.tensorboard_callbacks` by a function
that returns no callback before the CLI loads. Reported: the median duration of
trials 2-6 (trial 1 also builds and compiles the model) and the whole command.

Run: .venv/bin/python bench/bench_tensorboard.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOT = (
    "import sys; sys.path.insert(0, {root!r}); import kt_lrsearch.app.assembly as s; "
    "{patch}from kt_lrsearch.app.cli import main; "
    "main(['search', '--quick', '--out', {out!r}, '--quiet'])"
)


def once(out: str, logs: bool) -> tuple[float, float]:
    """(median seconds of trials 2-6, seconds of the whole command) for one search."""
    patch = "" if logs else "s.tensorboard_callbacks = lambda run_dir: []; "
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", BOOT.format(root=ROOT, patch=patch, out=out)],
        check=True,
        capture_output=True,
    )
    total = time.perf_counter() - start
    with open(os.path.join(out, "durations.json")) as handle:
        durations = json.load(handle)
    later = [seconds for trial, seconds in durations.items() if trial != "0"]
    return statistics.median(later), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float]]] = {"with TensorBoard logs": [], "without": []}
    with tempfile.TemporaryDirectory() as work:
        for k in range(args.repeats):
            rows["with TensorBoard logs"].append(once(os.path.join(work, f"tb{k}"), True))
            rows["without"].append(once(os.path.join(work, f"no{k}"), False))
    print(f"| variant | median s per trial (2-6) | median s per command |  ({args.repeats} runs)")
    print("|---|---:|---:|")
    for name, values in rows.items():
        trial = statistics.median(v[0] for v in values)
        total = statistics.median(v[1] for v in values)
        print(f"| {name} | {trial:.2f} | {total:.1f} |")


if __name__ == "__main__":
    main()
