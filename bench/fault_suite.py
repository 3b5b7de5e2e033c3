"""The fault suite's table: each read-back file of a finished run, damaged four ways.

Makes a finished quick run (4 trials), then for every file in
tests/integration/fault_cases.STATE_FILES and every fault (corrupt, empty,
deleted, unreadable) reruns the same command on a copy and prints one markdown
row: the exit status, whether a traceback showed, whether any other trial record
changed, and the first line of what it said. The assertions live in
tests/integration/test_faults.py; this prints what they check.

    .venv/bin/python bench/fault_suite.py
"""

from __future__ import annotations

import concurrent.futures
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
from fault_cases import FAULTS, ROOT, STATE_FILES, run_case  # noqa: E402

ARGS = ["search", "--quick", "--train-limit", "400", "--max-trials", "4", "--seed", "7"]


def main() -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix="faults-"))
    base = work / "base"
    made = subprocess.run([sys.executable, "cli.py", *ARGS, "--out", str(base)], cwd=ROOT)
    if made.returncode != 0:
        sys.exit("the finished run could not be made")
    cases = [(name, fault) for name in STATE_FILES for fault in FAULTS]

    def one(case: tuple[str, str]):
        name, fault = case
        folder = work / f"{name.replace('/', '_')}-{fault}"
        return case, run_case(base, folder, name, fault, [*ARGS, "--out", "{run}"])

    print("| file | fault | exit | traceback | trials changed | what it said |")
    print("|---|---|---:|---|---|---|")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for (name, fault), outcome in pool.map(one, cases):
            lines = [line for line in outcome.output.splitlines() if line.strip()]
            said = lines[-1].replace(str(work), "RUN").replace("|", "/")[:140] if lines else ""
            changed = outcome.changed_trials + outcome.lost_trials
            print(
                f"| {name} | {fault} | {outcome.returncode} | "
                f"{'yes' if 'Traceback' in outcome.output else 'no'} | "
                f"{', '.join(changed) or 'none'} | {said} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
