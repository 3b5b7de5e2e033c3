"""The 1-epoch learning-rate landscape of the default ResNet on real data.

Trains the default model (default TrainingConfig) for one epoch at each
learning rate of a log grid and reports validation accuracy and wall time:
the objective GPEIOracle searches, measured directly.

Run: .venv/bin/python bench/bench_landscape.py [--data-dir DIR] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras  # noqa: E402
import keras_tuner as kt  # noqa: E402
import numpy as np  # noqa: E402

from kt_lrsearch.app import data  # noqa: E402
from kt_lrsearch.app.training import LRHyperModel  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fashion-mnist-sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ds = data.load(args.data_dir, validation_fraction=0.2, seed=args.seed)
    x, y = data.to_model_input(ds.train.images), ds.train.labels
    val = (data.to_model_input(ds.validation.images), ds.validation.labels)
    hypermodel = LRHyperModel(1e-5, 10.0)
    print(
        f"{len(ds.train)} train / {len(ds.validation)} validation images from {ds.source}, "
        f"{args.epochs} epoch(s), batch {hypermodel.training.batch_size}.\n"
    )
    print("| learning rate | validation accuracy | wall time (s) |")
    print("|---:|---:|---:|")
    for lr in np.logspace(-4, 0, 9):
        keras.utils.set_random_seed(args.seed)
        hp = kt.HyperParameters()
        hp.Fixed("learning_rate", float(lr))
        start = time.perf_counter()
        result = hypermodel.fit(
            hp, hypermodel.build(hp), x, y, validation_data=val, epochs=args.epochs
        )
        seconds = time.perf_counter() - start
        score = (
            result["val_accuracy"]
            if isinstance(result, dict)
            else (result.history["val_accuracy"][-1])
        )
        shown = "diverged" if not np.isfinite(score) else f"{score:.3f}"
        print(f"| {lr:.2g} | {shown} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
