"""Measured learning-rate landscapes for the benchmark suite (issue 12).

Trains each setting (model, epochs, batch size) on the real Fashion-MNIST
sample at a log grid of learning rates, with several training seeds (weights
and batch order), and writes validation accuracies to ``bench/lr_tables.json``.
``bench_suite.py`` turns each table into a 1-D problem: a proposal's score is
one seed's curve (drawn per evaluation) interpolated in log learning rate, its
truth the mean over seeds; so the noise is the training's own.

Run (about 40 minutes on 2 cores for every setting; --settings picks some):
    .venv/bin/python bench/bench_lr_tables.py [--data-dir DIR] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402

from kt_lrsearch.app import data  # noqa: E402
from kt_lrsearch.app.model import ResNetConfig, TrainingConfig  # noqa: E402
from kt_lrsearch.app.training import LRHyperModel  # noqa: E402

DEFAULT_DATA = str(data.SAMPLE_DIR)  # the real sample shipped in the package
OUT = os.path.join(ROOT, "bench", "lr_tables.json")
# 13 rates, a quarter decade apart, over the task's range [1e-4, 1e-1].
GRID = np.logspace(-4, -1, 13)
# Settings measured on a finer grid of their own (issue 13 asks for 15+ rates).
GRIDS: dict[str, np.ndarray] = {"default-r16": np.logspace(-4, -1, 16)}
# name -> (ResNet widths, epochs, batch size)
SETTINGS: dict[str, tuple[tuple[int, ...], int, int]] = {
    "resnet-e1-b128": ((16, 32, 64), 1, 128),
    "resnet-e1-b32": ((16, 32, 64), 1, 32),
    "resnet-e3-b128": ((16, 32, 64), 3, 128),
    "small-e1-b64": ((16, 32), 1, 64),  # widths of 8 abort TensorFlow here (oneDNN)
    # The search's own objective (cli.py search's defaults), for the recommendation.
    "default-r16": ((16, 32, 64), 1, 128),
    # Partners for issue 15's warm-start pairs: fewer images, a narrower network.
    "resnet-e1-b128-n800": ((16, 32, 64), 1, 128),
    "small-e1-b128": ((16, 32), 1, 128),
    # A fresh set of warm-start pairs, measured after every choice was made and
    # used to choose nothing (bench_warm_start.py --half fresh).
    "small-e3-b64": ((16, 32), 3, 64),
    "small-e1-b32": ((16, 32), 1, 32),
    "small-e1-b64-n800": ((16, 32), 1, 64),
    "resnet-e1-b64": ((16, 32, 64), 1, 64),
    # Partners for a second blind set of warm-start pairs (bench_warm_start.py
    # --half blind), written down before they were measured.
    "small-e2-b32": ((16, 32), 2, 32),
    "small-e1-b16": ((16, 32), 1, 16),
    "small-e1-b32-n800": ((16, 32), 1, 32),
    "wide-e1-b32": ((32, 64), 1, 32),
    # Partners for a third blind set (bench_warm_start.py --half blind-3), written
    # down before they were measured.
    "wide-e2-b32": ((32, 64), 2, 32),
    "wide-e1-b64": ((32, 64), 1, 64),
    "wide-e1-b32-n800": ((32, 64), 1, 32),
}
# Settings trained on a stratified subset of the training images.
TRAIN_LIMITS: dict[str, int] = {
    "resnet-e1-b128-n800": 800,
    "small-e1-b64-n800": 800,
    "small-e1-b32-n800": 800,
    "wide-e1-b32-n800": 800,
}


def measure(name: str, seeds: int, ds: data.Dataset) -> dict:
    """Validation accuracy (seeds, rates) of one setting."""
    widths, epochs, batch = SETTINGS[name]
    x, y = data.to_model_input(ds.train.images), ds.train.labels
    val = (data.to_model_input(ds.validation.images), ds.validation.labels)
    grid = GRIDS.get(name, GRID)
    table = []
    for seed in range(seeds):
        hypermodel = LRHyperModel(
            1e-5,
            1.0,
            seed=1000 * (seed + 1),
            reuse_model=True,
            resnet=ResNetConfig(widths=widths),
            training=TrainingConfig(batch_size=batch),
        )
        row = []
        for lr in grid:
            # No clear_session(): the hypermodel reuses its model and resets its
            # weights, as ModelReuseTuner does.
            hp = kt.HyperParameters()
            hp.Fixed("learning_rate", float(lr))
            result = hypermodel.fit(
                hp, hypermodel.build(hp), x, y, validation_data=val, epochs=epochs
            )
            score = (
                result["val_accuracy"]
                if isinstance(result, dict)
                else (result.history["val_accuracy"][-1])
            )
            row.append(float(score) if np.isfinite(score) else 0.0)
        table.append(row)
        print(f"{name} seed {seed}: {np.round(row, 3).tolist()}", file=sys.stderr, flush=True)
    result = {"widths": list(widths), "epochs": epochs, "batch_size": batch, "val_accuracy": table}
    if name in GRIDS:
        result["grid"] = grid.tolist()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    args = parser.parse_args()
    ds = data.load(args.data_dir, validation_fraction=0.2, seed=42)
    tables = {}
    if os.path.exists(OUT):
        with open(OUT) as f:
            tables = json.load(f)
    tables["_about"] = (
        f"validation accuracy on {len(ds.train)} train / {len(ds.validation)} "
        f"validation images of the Fashion-MNIST sample; rows are training "
        f"seeds, columns the learning rates in the table's 'grid', "
        f"else the top-level 'grid'"
    )
    tables["grid"] = GRID.tolist()
    for name in args.settings:
        start = time.perf_counter()
        subset = ds
        if name in TRAIN_LIMITS:
            subset = data.load(
                args.data_dir, validation_fraction=0.2, seed=42, train_limit=TRAIN_LIMITS[name]
            )
        tables[name] = measure(name, args.seeds, subset)
        tables[name]["train_images"] = len(subset.train)
        tables[name]["seconds"] = round(time.perf_counter() - start, 1)
        with open(OUT, "w") as f:
            json.dump(tables, f, indent=1)


if __name__ == "__main__":
    main()
