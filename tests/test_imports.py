"""Import direction: the numerical core and plotting stay free of the heavy layers."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "kt_lrsearch"
HEAVY = ("tensorflow", "keras", "keras_tuner", "matplotlib", "click", "scipy")

# What each module may import directly (top-level packages), per ARCHITECTURE.md.
ALLOWED = {
    "acquisition": {"numpy"},
    "refine": {"numpy"},
    "trust_region": {"numpy"},
    "recommendation": {"numpy"},
    "prior": {"numpy", "kt_lrsearch"},
    "two_task": {"numpy", "scipy", "kt_lrsearch"},  # the warm start's model, numpy + cho_solve
    "warm_start": set(),  # JSON files and pairs: no Keras Tuner
    "features": {"numpy", "kt_lrsearch"},
    "space": {"numpy", "tensorflow"},  # tensorflow only lazily, for the Sobol op
    "kernel": {"numpy", "scipy", "tensorflow", "tensorflow_probability"},
    "gp": {"numpy", "scipy", "tensorflow", "kt_lrsearch"},  # the model from kernel
    "decision_view": {"numpy", "kt_lrsearch"},
    "trial_rules": set(),
    # The decision: plain arrays in and out; TensorFlow comes only through gp.
    "policy": {"numpy", "kt_lrsearch"},
    "options": {"numpy"},
    "observations": {"numpy", "keras_tuner", "kt_lrsearch"},
    "files": set(),
    "distributed": {"grpc", "keras_tuner", "kt_lrsearch"},  # all lazily
    "encoding": {"numpy", "keras_tuner"},
    "oracle": {"numpy", "keras_tuner", "kt_lrsearch"},
    # Pure Keras 3 (no tensorflow): the model and its training run on any backend.
    "model": {"keras"},
    "training": {"numpy", "keras", "keras_tuner", "kt_lrsearch"},
    "data": {"numpy", "keras"},  # keras only lazily, for the download
    "plotting": {"numpy", "matplotlib", "PIL", "kt_lrsearch"},
    "callbacks": {"kt_lrsearch"},
    "hooks": set(),
    "report": {"kt_lrsearch"},
    "replay": {"kt_lrsearch"},
    "progress": {"kt_lrsearch"},
    "run_config": {"kt_lrsearch"},
    "run_lock": set(),  # fcntl only: the standard library
    "quiet": set(),  # the standard library only: it runs at package import
    "evaluation": {"numpy", "keras_tuner", "kt_lrsearch"},  # lazily: the final retraining
    "search": {"numpy", "keras", "keras_tuner", "kt_lrsearch"},
    "tuner": {"keras_tuner", "kt_lrsearch"},
    "slices": {"numpy", "keras_tuner", "kt_lrsearch"},
    "cli": {"click", "kt_lrsearch"},  # the one module that imports click
    "__main__": {"kt_lrsearch"},
}


def imported_packages(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}


def test_every_module_has_an_import_rule() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ALLOWED)


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_module_imports_only_its_layer(module: str) -> None:
    assert imported_packages(module) <= ALLOWED[module]


def loaded_after(modules: list[str], watched: tuple[str, ...]) -> set[str]:
    """Which of ``watched`` a fresh interpreter has loaded after importing ``modules``."""
    code = (f"import sys, {', '.join(modules)}; "
            f"print(','.join(m for m in {watched!r} if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent)  # fmt: skip
    return set(filter(None, out.stdout.strip().split(",")))


def test_the_probe_sees_what_a_module_loads() -> None:
    assert loaded_after(["kt_lrsearch.encoding"], ("keras_tuner", "click")) == {"keras_tuner"}


@pytest.mark.parametrize(
    "module", ["acquisition", "space", "decision_view", "trial_rules", "files", "hooks"]
)
def test_light_modules_load_without_heavy_packages(module: str) -> None:
    assert loaded_after([f"kt_lrsearch.{module}"], HEAVY) == set()


def test_plotting_loads_without_tensorflow_or_keras_tuner() -> None:
    modules = ["kt_lrsearch.plotting", "kt_lrsearch.callbacks"]
    assert loaded_after(modules, ("tensorflow", "keras", "keras_tuner")) == set()


def test_policy_never_loads_keras_tuner() -> None:
    """The decision runs on arrays: Keras Tuner stays out, directly or through kt_lrsearch."""
    modules = ["kt_lrsearch.policy", "kt_lrsearch.trial_rules"]
    assert loaded_after(modules, ("keras_tuner", "click")) == set()


def test_only_the_cli_imports_click() -> None:
    for module in PACKAGE.glob("*.py"):
        if module.stem != "cli":
            assert "click" not in imported_packages(module.stem), module.name


def test_public_api() -> None:
    import kt_lrsearch

    assert set(kt_lrsearch.__all__) >= {"GPEIOracle", "DecisionView"}
    assert kt_lrsearch.GPEIOracle.__name__ == "GPEIOracle"
