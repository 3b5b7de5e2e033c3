"""A run directory made by version 0.2.0 (the flat package) still redraws and resumes.

tests/fixtures/run_0_2_0 is a real ``search --quick`` run (seed 42, 6 trials)
written by 0.2.0, before the package moved into its four layer folders; its
checkpoints and figures are left out to keep it small. Its config names the data
directory where 0.2.0 kept the shipped sample (``kt_lrsearch/sample_data``), which
no longer exists: the data is identified by its fingerprint.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from click.testing import CliRunner

from cli import main

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "run_0_2_0"


@pytest.fixture
def old_run(tmp_path: pathlib.Path) -> pathlib.Path:
    run = tmp_path / "run"
    shutil.copytree(FIXTURE, run)
    return run


def recommended(run: pathlib.Path) -> float:
    return json.loads((run / "results.json").read_text())["recommendation"]["learning_rate"]


def test_report_redraws_a_0_2_0_run(old_run: pathlib.Path) -> None:
    before = recommended(old_run)
    result = CliRunner().invoke(main, ["report", str(old_run)])
    assert result.exit_code == 0, result.output
    figures = sorted(p.name for p in (old_run / "plots").glob("iteration_*.png"))
    assert figures == [f"iteration_{n:02d}.png" for n in range(2, 7)]
    assert (old_run / "report.html").stat().st_size > 0
    # The same trials and the same model: the same recommendation, up to float noise.
    assert recommended(old_run) == pytest.approx(before, rel=1e-6)
    assert "recommended learning rate 0.023" in result.output


@pytest.mark.slow
def test_a_0_2_0_run_resumes_and_extends(old_run: pathlib.Path) -> None:
    result = CliRunner().invoke(
        main, ["search", "--quick", "--out", str(old_run), "--max-trials", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "resuming: 6 trial(s) already on disk" in result.output
    trials = json.loads((old_run / "results.json").read_text())["trials"]
    assert len(trials) == 7
    original = json.loads((FIXTURE / "results.json").read_text())["trials"]
    assert [t["learning_rate"] for t in trials[:6]] == [t["learning_rate"] for t in original]
