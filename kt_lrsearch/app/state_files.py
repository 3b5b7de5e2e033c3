"""The Keras Tuner state of a run directory, checked before Keras Tuner reads it.

This tool writes every state file atomically, but a file from elsewhere (an
older version, a full disk under another tool, an edit, a permission change)
would otherwise end in a traceback inside Keras Tuner's reload, or worse, in a
reload that rewrites other trials. Nothing here changes the disk: each problem
is a :class:`~kt_lrsearch.app.faults.StorageError` that names the file and a
way out that keeps the finished trials.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from kt_lrsearch.app.faults import StorageError
from kt_lrsearch.core.files import TMP_PREFIX

# What Keras Tuner's Trial.set_state reads from a trial.json.
TRIAL_KEYS = frozenset(
    {"trial_id", "hyperparameters", "metrics", "score", "best_step", "status", "message"}
)
# What Keras Tuner's Oracle.set_state reads from oracle.json.
ORACLE_KEYS = frozenset(
    {
        "ongoing_trials",
        "hyperparameters",
        "start_order",
        "end_order",
        "run_times",
        "retry_queue",
        "seed",
        "seed_state",
        "tried_so_far",
        "id_to_hash",
        "display",
    }
)


def way_out(project: pathlib.Path, damaged_trial: pathlib.Path | None = None) -> str:
    """The ways out of damaged Keras Tuner state, best first; none loses a trial.

    Args:
        project: The Keras Tuner project folder (``RUN/tuner``) a new run can
            warm-start from.
        damaged_trial: A trial file the warm start could not read: its folder
            is moved out of the project first.
    """
    first = "" if damaged_trial is None else f"move {damaged_trial.parent} out of the run and "
    return (
        "restore it from a copy of the run to resume, or "
        f"{first}start a new run that reuses every finished trial: --out NEW_DIR "
        f"--warm-start {project} (--overwrite would start afresh and lose them)"
    )


def check_state_files(
    project: pathlib.Path, lr_range: tuple[float, float] | None = None, name: str = ""
) -> None:
    """Raises StorageError naming a Keras Tuner state file that cannot be resumed.

    Args:
        project: The Keras Tuner project folder (``RUN/tuner``).
        lr_range: ``(low, high)`` of the hyperparameter ``name``: a trial whose
            value lies outside is reported (an edit, or another search's file).
        name: The hyperparameter whose range is checked.
    """
    states = [*project.glob("*.json"), *project.glob("trial_*/trial.json")]
    # A temporary a kill left behind is not state (pathlib's glob matches dotfiles).
    states = [s for s in states if not s.name.startswith(TMP_PREFIX)]
    payloads = {state: _state_payload(state, project) for state in states}
    for state, payload in payloads.items():
        if state.name == "trial.json":
            _check_trial(state, payload, lr_range, name, project)
    oracle = payloads.get(project / "oracle.json")
    trials = [s for s in states if s.name == "trial.json"]
    if oracle is not None:
        _check_oracle(project, oracle)
    # A tuner file is written after oracle.json at every trial's end, so with one
    # there, a missing oracle.json was removed (Keras Tuner's reload would fail).
    elif trials and any(s.name.startswith("tuner") for s in states):
        raise StorageError(
            f"{project / 'oracle.json'} is missing, but {len(trials)} trial file(s) are "
            f"there: {way_out(project)}"
        )


def _state_payload(state: pathlib.Path, project: pathlib.Path) -> dict[str, Any]:
    """A state file's JSON object, or StorageError naming the file."""
    try:
        payload = json.loads(state.read_text())
    except (OSError, ValueError) as error:
        payload, problem = None, getattr(error, "strerror", None) or str(error)
    else:
        problem = "not a JSON object"
    if isinstance(payload, dict):
        return payload
    if state.name.startswith("tuner"):
        # Keras Tuner's tuner files hold display state only (this tool's: {}).
        raise StorageError(
            f"{state}: unreadable Keras Tuner tuner state ({problem}); it holds no trial "
            "data: delete it and rerun the same command (finished trials are kept)"
        )
    damaged = state if state.name == "trial.json" else None
    raise StorageError(
        f"{state}: corrupt Keras Tuner state ({problem}); {way_out(project, damaged)}"
    )


def _check_oracle(project: pathlib.Path, oracle: dict[str, Any]) -> None:
    """oracle.json has what Keras Tuner reads, and every trial it lists has its file."""
    missing = sorted(ORACLE_KEYS - oracle.keys())
    if missing:
        raise StorageError(
            f"{project / 'oracle.json'}: corrupt Keras Tuner state (no {', '.join(missing)}); "
            f"{way_out(project)}"
        )
    listed = [*oracle["start_order"], *oracle["ongoing_trials"].values()]
    for trial_id in dict.fromkeys(str(t) for t in listed):
        # Keras Tuner would fail on the missing trial, or hand its id out again
        # and overwrite another trial's folder.
        if not (project / f"trial_{trial_id}" / "trial.json").is_file():
            raise StorageError(
                f"{project / f'trial_{trial_id}' / 'trial.json'} is missing, though "
                f"oracle.json lists trial {trial_id}: {way_out(project)}"
            )


def _check_trial(
    state: pathlib.Path,
    payload: dict[str, Any],
    lr_range: tuple[float, float] | None,
    name: str,
    project: pathlib.Path,
) -> None:
    """A trial file has the keys Keras Tuner reads, and a value inside the searched range."""
    missing = sorted(TRIAL_KEYS - payload.keys())
    values = payload.get("hyperparameters")
    if not missing and not (isinstance(values, dict) and isinstance(values.get("values"), dict)):
        missing = ["hyperparameters.values"]
    if missing:
        raise StorageError(
            f"{state}: corrupt Keras Tuner trial (no {', '.join(missing)}); "
            f"{way_out(project, state)}"
        )
    value = values["values"].get(name)
    if lr_range is None or not isinstance(value, (int, float)):
        return
    # Values come back from JSON exactly as written; the slack is for a bound's rounding.
    low, high = lr_range
    if not low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
        raise StorageError(
            f"{state}: {name} {value:g} lies outside the range searched [{low:g}, {high:g}] "
            "(the file was edited, or comes from another search); restore it from a copy "
            "of the run to resume, or rerun with the range it was made with"
        )
