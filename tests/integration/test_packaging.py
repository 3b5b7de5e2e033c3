"""`pip install` from a clean clone into a fresh virtual environment, then use it.

Installs the runtime dependencies from the package registry (pinned to
requirements.txt through a constraints file), so this takes a few minutes.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# A tiny 2-D search with the installed GPEITuner, run outside the checkout.
SEARCH = """
import keras, keras_tuner as kt, numpy as np
from kt_lrsearch import GPEITuner

def build(hp):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(hp.Int("units", 2, 8)),
                              keras.layers.Dense(1, activation="sigmoid")])
    lr = hp.Float("learning_rate", 1e-3, 1e-1, sampling="log")
    model.compile(keras.optimizers.SGD(lr), "binary_crossentropy", metrics=["accuracy"])
    return model

x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
tuner = GPEITuner(build, objective="val_accuracy", max_trials=3, seed=1000,
                  directory="runs", project_name="p")
tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
print("trials", len(tuner.oracle.trials))
"""


def run(*args: str | pathlib.Path, cwd: pathlib.Path) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=1500
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_pip_install_from_a_clean_clone_into_a_fresh_environment(tmp_path) -> None:
    clone = tmp_path / "clone"
    if (ROOT / ".git").exists():
        run("git", "clone", "--quiet", ROOT, clone, cwd=tmp_path)
    else:  # an unpacked source tree
        shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv", "artifacts"))
    # The wheel holds the library only: no bench/, tests/ or artifacts/.
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "-w",
        tmp_path / "dist",
        clone,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("kt_lrsearch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"kt_lrsearch", wheel.name.split("-py3")[0] + ".dist-info"}
    # The Fashion-MNIST sample --quick uses ships with its licence and README.
    shipped = {n.split("/")[-1] for n in names if n.startswith("kt_lrsearch/app/sample_data/")}
    assert shipped == {
        "LICENSE",
        "README.md",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }

    env = tmp_path / "env"
    run(sys.executable, "-m", "venv", env, cwd=tmp_path)
    python = env / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        clone,
        "-c",
        clone / "requirements.txt",
        cwd=tmp_path,
    )
    version = run(env / "bin" / "kt-lrsearch", "--version", cwd=tmp_path)
    assert version.startswith("kt-lrsearch, version ")
    assert "search" in run(env / "bin" / "kt-lrsearch", "--help", cwd=tmp_path)
    where = run(
        python,
        "-c",
        "import kt_lrsearch, importlib.util as u; "
        "print(kt_lrsearch.__file__, u.find_spec('bench'), u.find_spec('tests'))",
        cwd=tmp_path,
    )
    path, bench, tests = where.split()
    assert str(env) in path and bench == tests == "None"
    out = run(python, "-c", SEARCH, cwd=tmp_path)
    assert "trials 3" in out
