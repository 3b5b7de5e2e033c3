"""The layer rule: core imports nothing above it, tuning and figures import core, app all.

Each layer is a folder of ``kt_lrsearch``; what a module may import follows from
its folder alone, so a new module needs no entry here.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "kt_lrsearch"
LAYERS = ("core", "tuning", "figures", "app")
# The package's own layers each layer may import (the package root only re-exports).
INNER = {
    "core": {"core"},
    "tuning": {"core", "tuning"},
    "figures": {"core", "figures"},
    "app": {"core", "tuning", "figures", "app", "__init__"},
}
# Third-party packages each layer may import directly.
THIRD_PARTY = {
    "core": {"numpy", "scipy", "tensorflow", "tensorflow_probability", "threadpoolctl"},
    "tuning": {"numpy", "scipy", "keras", "keras_tuner"},
    "figures": {"numpy", "matplotlib", "PIL"},
    "app": {"numpy", "keras", "keras_tuner", "click", "grpc"},
}
MODULES = sorted((layer, path.stem) for layer in LAYERS for path in (PACKAGE / layer).glob("*.py"))


def imports_of(layer: str, module: str) -> tuple[set[str], set[str]]:
    """(third-party top-level packages, kt_lrsearch layers) that a module imports."""
    tree = ast.parse((PACKAGE / layer / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{layer}/{module}.py: use absolute imports"
            names.add(node.module)
    outside = {n.split(".")[0] for n in names if not n.startswith("kt_lrsearch")}
    inner = {[*n.split("."), "__init__"][1] for n in names if n.startswith("kt_lrsearch")}
    return outside - set(sys.stdlib_module_names) - {"__future__"}, inner


def test_the_package_is_four_layers() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert top == {"__init__", "__main__"} and folders == set(LAYERS)
    assert len(MODULES) >= 30


@pytest.mark.parametrize(("layer", "module"), MODULES)
def test_module_imports_only_its_layer_and_below(layer: str, module: str) -> None:
    outside, inner = imports_of(layer, module)
    assert outside <= THIRD_PARTY[layer], f"{layer}/{module}.py imports {outside}"
    assert inner <= INNER[layer], f"{layer}/{module}.py imports kt_lrsearch.{inner}"


def test_only_the_cli_imports_click() -> None:
    users = {
        f"{layer}/{module}" for layer, module in MODULES if "click" in imports_of(layer, module)[0]
    }
    assert users == {"app/cli"}


def loaded_after(code: str, watched: tuple[str, ...]) -> set[str]:
    """Which of ``watched`` a fresh interpreter has loaded after running ``code``."""
    probe = f"import sys; {code}; print(','.join(m for m in {watched!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    return set(filter(None, out.stdout.strip().split(",")))


def test_the_probe_sees_what_a_module_loads() -> None:
    assert loaded_after("import kt_lrsearch.tuning.encoding", ("keras_tuner", "click")) == {
        "keras_tuner"
    }


def test_the_core_never_loads_keras_tuner_or_click() -> None:
    """TensorFlow itself loads keras and matplotlib; the AST test holds the core's own imports."""
    core = ", ".join(f"kt_lrsearch.core.{m}" for layer, m in MODULES if layer == "core")
    assert loaded_after(f"import {core}", ("keras_tuner", "click")) == set()


@pytest.mark.parametrize(
    "module", ["core.acquisition", "core.space", "core.decision_view", "core.trial_rules"]
)
def test_light_modules_load_without_tensorflow(module: str) -> None:
    heavy = ("tensorflow", "keras", "keras_tuner", "matplotlib", "click")
    assert loaded_after(f"import kt_lrsearch.{module}", heavy) == set()


def test_figures_load_without_tensorflow_or_keras_tuner() -> None:
    code = "import kt_lrsearch.figures.plotting, kt_lrsearch.figures.callbacks"
    assert loaded_after(code, ("tensorflow", "keras", "keras_tuner")) == set()


def test_the_cli_module_loads_without_tensorflow() -> None:
    """The CLI sets its calm console up before TensorFlow loads, so nothing loads it early."""
    assert loaded_after("import kt_lrsearch.app.cli", ("tensorflow", "keras")) == set()


def test_importing_the_library_changes_nothing_in_the_process() -> None:
    """No environment variable and no logger level: TensorFlow's errors stay the user's.

    The dependencies are imported first, since TensorFlow sets variables of its own
    (``TF2_BEHAVIOR``, ``HDF5_PLUGIN_PATH``); what is measured is what the package adds.
    """
    code = """
import logging, os
import tensorflow, tensorflow_probability, keras_tuner, matplotlib.pyplot
def levels():
    loggers = logging.root.manager.loggerDict.items()
    return {n: lg.level for n, lg in loggers if isinstance(lg, logging.Logger)}
env, before = dict(os.environ), levels()
import kt_lrsearch
from kt_lrsearch import GPEIOracle, GPEITuner, IterationPlotter, DecisionView
import kt_lrsearch.app.cli, kt_lrsearch.app.search
after = levels()
print(sorted(k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k)),
      sorted(n for n in after if n in before and after[n] != before[n]))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    assert out.stdout.strip().splitlines()[-1] == "[] []"


def test_public_api() -> None:
    import kt_lrsearch

    assert set(kt_lrsearch.__all__) >= {
        "GPEIOracle",
        "GPEITuner",
        "IterationPlotter",
        "DecisionView",
    }
    for name in kt_lrsearch.__all__:
        assert getattr(kt_lrsearch, name) is not None
    assert kt_lrsearch.GPEIOracle.__name__ == "GPEIOracle"
