"""What changed between a saved Keras Tuner project and the tuner reloading it.

Keras Tuner reloads a project (``overwrite=False``) with the space and the
scores it saved: a hypermodel that now declares another range, or a tuner of
another objective, goes on proposing from the old space and ranking by the old
objective, and says nothing. GPEITuner refuses such a reload instead and names
the change (see :class:`ProjectChanged`); these pure functions find it.
"""

from __future__ import annotations

from typing import Any

import keras_tuner

# The parts of a hyperparameter's config that define the space searched; the
# default only seeds Keras Tuner's first trial, so a new default is no new space.
SPACE_KEYS = ("min_value", "max_value", "step", "sampling", "values", "ordered")


class ProjectChanged(ValueError):
    """A saved project whose space or objective differs from the tuner's; says which."""


def _signature(hp: Any) -> dict[str, Any]:
    config = hp.get_config()
    return {"type": type(hp).__name__, **{k: config[k] for k in SPACE_KEYS if k in config}}


def space_changes(
    saved: keras_tuner.HyperParameters, declared: keras_tuner.HyperParameters
) -> list[str]:
    """One line per hyperparameter the hypermodel now declares differently.

    Args:
        saved: The space the project was searched over (its oracle's).
        declared: The space one build of the hypermodel declares now.

    Returns:
        ``"name: old -> new"`` for a changed range, type or choice list, and
        ``"name: new"`` for a name the saved space lacks. A saved name the build
        did not declare is not listed: it may sit in an inactive conditional scope.
    """
    before = {hp.name: _signature(hp) for hp in saved.space}
    changes = []
    for hp in declared.space:
        now = _signature(hp)
        if hp.name not in before:
            changes.append(f"{hp.name}: new ({_describe(now)})")
        elif before[hp.name] != now:
            changes.append(f"{hp.name}: {_describe(before[hp.name])} -> {_describe(now)}")
    return changes


def _describe(signature: dict[str, Any]) -> str:
    parts = [f"{k}={v!r}" for k, v in signature.items() if k != "type" and v is not None]
    return f"{signature['type']}({', '.join(parts)})"


def objective_change(saved: dict[str, Any] | None, objective: Any) -> str | None:
    """``"objective: old -> new"`` when the saved objective differs, else None.

    ``saved`` is what :func:`objective_state` wrote (None for a project saved
    before it was recorded, which is not checked).
    """
    now = objective_state(objective)
    if saved is None or saved == now:
        return None
    return (
        f"objective: {saved['name']} ({saved['direction']}) -> {now['name']} ({now['direction']})"
    )


def objective_state(objective: Any) -> dict[str, str]:
    """The objective's name and direction as saved in oracle.json."""
    return {"name": str(objective.name), "direction": str(objective.direction)}


def refusal(project_dir: str, changes: list[str]) -> ProjectChanged:
    """The error for a reload whose project was made for another space or objective."""
    return ProjectChanged(
        f"{project_dir}: this project was searched over another space or objective "
        f"({'; '.join(changes)}). Its trials do not answer this search. Pass "
        "overwrite=True to start afresh, give another project_name, or keep the old "
        f"trials as prior knowledge with warm_start=[{str(project_dir)!r}] in a new project."
    )
