"""Wall time of one search: in one process, and with 1 or 2 workers over gRPC.

Each setting is the full default search (10 evaluations, 1 epoch each, batch
128, 3 final epochs) on the shared sample, run one after another in one
invocation, each in a fresh directory. "threads 1" gives every process one
TensorFlow intra-op and one inter-op thread, so two workers do not fight over
the two cores.

Run: .venv/bin/python bench/bench_workers.py
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "fashion-mnist-sample"
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
# name -> (extra CLI arguments, extra environment)
SETTINGS: dict[str, tuple[list[str], dict[str, str]]] = {
    "one process (no --workers)": ([], {}),
    "--workers 1": (["--workers", "1"], {}),
    "--workers 2": (["--workers", "2"], {}),
    "--workers 2, threads 1": (["--workers", "2"], ONE_THREAD),
}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, (name, (extra, env)) in enumerate(SETTINGS.items()):
            out = pathlib.Path(tmp) / f"run{number}"
            command = [
                sys.executable,
                "cli.py",
                "search",
                "--data-dir",
                str(SAMPLE),
                "--out",
                str(out),
                *extra,
            ]
            start = time.monotonic()
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
            wall = time.monotonic() - start
            if done.returncode:
                raise SystemExit(f"{name} failed:\n{done.stdout}\n{done.stderr}")
            search_s = float(re.search(r"search finished in (\d+)s", done.stdout).group(1))
            results = json.loads((out / "results.json").read_text())
            durations = [t["duration_s"] for t in results["trials"]][1:]
            rows.append(
                (
                    name,
                    wall,
                    search_s,
                    sum(durations) / len(durations),
                    results["best"]["learning_rate"],
                    results["best"]["score"],
                )
            )
            print(f"done: {name}", file=sys.stderr)
    print("Full default search on the sample (10 evaluations), one run per setting.\n")
    print(
        "| setting | wall (s) | search (s) | mean trial (s), trials 2-10 | best lr | best val acc |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall, search_s, trial_s, lr, score in rows:
        print(f"| {name} | {wall:.0f} | {search_s:.0f} | {trial_s:.1f} | {lr:.4g} | {score:.4f} |")


if __name__ == "__main__":
    main()
