"""Keras Tuner's own tests, run with its stock oracles and again with GPEIOracle swapped in.

Takes Keras Tuner's oracle, Bayesian, base-tuner and tuner tests from its
source (a checkout at the installed version, e.g. ``git archive v1.4.7`` of
github.com/keras-team/keras-tuner), rewrites their imports to the installed
package's layout (``keras_tuner.src``), and runs them twice:

- stock: as they are;
- swapped: a conftest replaces ``RandomSearchOracle`` and
  ``BayesianOptimizationOracle`` (the classes every tuner and test builds) by
  subclasses of GPEIOracle that take the same arguments, and the oracle tests'
  ``OracleStub`` derives from GPEIOracle instead of the abstract base (its own
  ``populate_space`` stays; the rest of the protocol is GPEIOracle's).

A test that passes stock and fails swapped is a regression of the drop-in; the
script lists those and exits 1 when there are any that do not test the stock
oracle's internals (``ALLOWED``: attributes only the stock Bayesian oracle has).

    .venv/bin/python bench/kt_swap.py --source /path/to/keras-tuner
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

TESTS = (
    "engine/oracle_test.py",
    "tuners/bayesian_test.py",
    "engine/base_tuner_test.py",
    "engine/tuner_test.py",
)
# Stock-only behaviour these tests check, which a drop-in cannot have: the
# error when scikit-learn is missing, and the stock oracle's own attributes.
ALLOWED = {
    "bayesian_test.py::test_sklearn_not_install_error": "mocks scikit-learn away for the stock GP",
    "bayesian_test.py::test_scipy_not_install_error": "mocks scipy away for the stock GP",
    "bayesian_test.py::test_bayesian_optimization_tuner_set_alpha_beta": "reads oracle.alpha/beta",
    "tuner_test.py::test_reloading_error_message": (
        "expects a RandomSearch project to fail to reload as BayesianOptimization; swapped, "
        "both are GPEIOracle, whose saved state reloads"
    ),
}
IMPORTS = (
    (r"\bkeras_tuner\.test_utils\b", "kt_test_utils"),
    (r"from keras_tuner\.(engine|tuners|distribute|backend)\b", r"from keras_tuner.src.\1"),
    (r"import keras_tuner\.(engine|tuners|distribute|backend)\b", r"import keras_tuner.src.\1"),
    (r"\bkeras_tuner\.(backend|distribute)\.", r"keras_tuner.src.\1."),
    # A module (lower case) reached as an attribute: only the src layout has it.
    (r"\bkeras_tuner\.(tuners|engine)\.([a-z_]+)\b", r"keras_tuner.src.\1.\2"),
)
SWAP_CONFTEST = '''
import keras_tuner
from keras_tuner.src.tuners import bayesian, randomsearch

from kt_lrsearch import GPEIOracle


class SwappedRandomSearchOracle(GPEIOracle):
    """GPEIOracle behind RandomSearchOracle's signature."""

    def __init__(self, objective=None, max_trials=10, seed=None, hyperparameters=None,
                 allow_new_entries=True, tune_new_entries=True, max_retries_per_trial=0,
                 max_consecutive_failed_trials=3):
        super().__init__(objective=objective, max_trials=max_trials, seed=seed,
                         hyperparameters=hyperparameters, allow_new_entries=allow_new_entries,
                         tune_new_entries=tune_new_entries,
                         max_retries_per_trial=max_retries_per_trial,
                         max_consecutive_failed_trials=max_consecutive_failed_trials)


class SwappedBayesianOptimizationOracle(GPEIOracle):
    """GPEIOracle behind BayesianOptimizationOracle's signature (alpha, beta unused)."""

    def __init__(self, objective=None, max_trials=10, num_initial_points=None, alpha=1e-4,
                 beta=2.6, seed=None, hyperparameters=None, allow_new_entries=True,
                 tune_new_entries=True, max_retries_per_trial=0,
                 max_consecutive_failed_trials=3):
        super().__init__(objective=objective, max_trials=max_trials,
                         num_initial_points=num_initial_points, seed=seed,
                         hyperparameters=hyperparameters, allow_new_entries=allow_new_entries,
                         tune_new_entries=tune_new_entries,
                         max_retries_per_trial=max_retries_per_trial,
                         max_consecutive_failed_trials=max_consecutive_failed_trials)


randomsearch.RandomSearchOracle = SwappedRandomSearchOracle
bayesian.BayesianOptimizationOracle = SwappedBayesianOptimizationOracle
keras_tuner.oracles.RandomSearchOracle = SwappedRandomSearchOracle
keras_tuner.oracles.BayesianOptimizationOracle = SwappedBayesianOptimizationOracle
keras_tuner.oracles.BayesianOptimization = SwappedBayesianOptimizationOracle
'''


def rewrite(text: str, swap: bool) -> str:
    for pattern, replacement in IMPORTS:
        text = re.sub(pattern, replacement, text)
    if swap:
        stub = "class OracleStub(oracle_module.Oracle):"
        if stub in text:
            # The stub keeps the abstract base's budget (None; GPEIOracle's is 10).
            text = text.replace(stub, "class OracleStub(GPEIOracle):").replace(
                "        super().__init__(**kwargs)\n        self.score_trial_called",
                '        super().__init__(**{"max_trials": None, **kwargs})\n'
                "        self.score_trial_called",
            )
            text = "from kt_lrsearch import GPEIOracle\n" + text
    return text


def prepare(source: pathlib.Path, target: pathlib.Path, swap: bool) -> None:
    package = source / "keras_tuner"
    shutil.copytree(package / "test_utils", target / "kt_test_utils")
    for path in (target / "kt_test_utils").glob("*.py"):
        path.write_text(rewrite(path.read_text(), swap=False))
    conftest = rewrite((package / "conftest.py").read_text(), swap=False)
    (target / "conftest.py").write_text(conftest + (SWAP_CONFTEST if swap else ""))
    for test in TESTS:
        text = rewrite((package / test).read_text(), swap)
        (target / pathlib.Path(test).name).write_text(text)


def run(directory: pathlib.Path, root: pathlib.Path) -> dict[str, str]:
    """test id -> "passed" / "failed" / "skipped"."""
    report = directory / "report.xml"
    env_path = f"{directory}:{root}"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
        + ["--continue-on-collection-errors", "-W", "ignore::DeprecationWarning"]
        + [pathlib.Path(t).name for t in TESTS],
        cwd=directory,
        env={"PYTHONPATH": env_path, "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname').split('.')[-1]}.py::{case.get('name')}"
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[name] = (
            "failed" if failed else "skipped" if case.find("skipped") is not None else "passed"
        )
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=pathlib.Path, required=True)
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parents[1]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for swap in (False, True):
            directory = pathlib.Path(scratch) / ("swapped" if swap else "stock")
            directory.mkdir()
            prepare(args.source, directory, swap)
            results[swap] = run(directory, root)
    stock, swapped = results[False], results[True]
    passed = [name for name, outcome in stock.items() if outcome == "passed"]
    lost = [name for name in passed if swapped.get(name) != "passed"]
    print(f"stock: {len(passed)} of {len(stock)} passed")
    print(f"swapped: {sum(o == 'passed' for o in swapped.values())} of {len(swapped)} passed")
    for name in lost:
        print(f"  passes stock, not swapped: {name} {ALLOWED.get(name, '')}")
    return 1 if any(name not in ALLOWED for name in lost) else 0


if __name__ == "__main__":
    sys.exit(main())
