"""Wall time of `cli.py report RUN_DIR`, drawing in a 2-process pool vs in one process.

Issue 13 asks for at most 15 s on a 10-trial run. Each repetition runs both
variants as fresh processes, alternating, so machine noise hits both alike; the
serial variant replaces `replay.drawing_pool` by a one-process pool before the
CLI loads.

Run: .venv/bin/python bench/bench_report.py RUN_DIR [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOT = (
    "import sys, functools; sys.path.insert(0, {root!r}); "
    "import kt_lrsearch.app.replay as r; "
    "r.drawing_pool = functools.partial(r.drawing_pool, {workers}); "
    "from kt_lrsearch.app.cli import main; main(['report', {run!r}])"
)


def once(run_dir: str, workers: int | None) -> float:
    """Seconds for one `report` in a fresh interpreter."""
    code = BOOT.format(root=ROOT, workers=workers, run=run_dir)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"pool (default)": [], "one process": []}
    for _ in range(args.repeats):
        times["pool (default)"].append(once(args.run_dir, None))
        times["one process"].append(once(args.run_dir, 1))
    print(
        f"| drawing | median s | min s | max s |  ({args.repeats} runs each, {os.cpu_count()} "
        "CPUs)\n|---|---:|---:|---:|"
    )
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |"
        )


if __name__ == "__main__":
    main()
