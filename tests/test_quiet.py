"""A calm console (kt_lrsearch.app.quiet): native log lines hidden, ours and errors shown."""

from __future__ import annotations

import logging
import os
import sys

import pytest
from click.testing import CliRunner

from cli import main
from kt_lrsearch.app import quiet


def test_defaults_never_override_what_the_user_set(monkeypatch) -> None:
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    monkeypatch.delenv("GRPC_VERBOSITY", raising=False)
    logger = logging.getLogger("tensorflow")
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    quiet.quiet_environment()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1" and os.environ["GRPC_VERBOSITY"] == "ERROR"
    assert logger.level == logging.DEBUG
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    quiet.quiet_environment()
    assert logger.level == logging.ERROR


def test_native_lines_are_hidden_and_python_lines_shown(capfd) -> None:
    with quiet.native_stderr_captured():
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on\n")
        print("warning: ours", file=sys.stderr)
    assert capfd.readouterr().err == "warning: ours\n"
    os.write(2, b"after\n")  # descriptor 2 is the console again
    assert capfd.readouterr().err == "after\n"


def test_a_crash_replays_what_native_code_said(capfd) -> None:
    with pytest.raises(RuntimeError, match="boom"), quiet.native_stderr_captured():
        os.write(2, b"E0000 cuda_platform.cc:52] failed call to cuInit\n")
        raise RuntimeError("boom")
    err = capfd.readouterr().err
    assert "TensorFlow's own log before the error" in err and "failed call to cuInit" in err
    # A handled exit (the CLI's own errors, SystemExit, Ctrl-C) replays nothing.
    with pytest.raises(SystemExit), quiet.native_stderr_captured():
        os.write(2, b"noise\n")
        raise SystemExit(1)
    with pytest.raises(ValueError), quiet.native_stderr_captured((ValueError,)):
        os.write(2, b"noise\n")
        raise ValueError("a clear message of our own")
    assert capfd.readouterr().err == ""


def test_verbose_and_quiet_exclude_each_other(tmp_path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--verbose", "--quiet"])
    assert result.exit_code == 2 and "exclude each other" in result.output
