"""GPU measurement: a 60,000-image epoch of the default ResNet and a 10-evaluation search.

Runs under any Keras 3 backend; written for the lent GPU machine, which has JAX
and no TensorFlow (``KERAS_BACKEND=jax``). Images are the real Fashion-MNIST
sample tiled to full size (the machine cannot download the full set), so the
shapes and the arithmetic are those of a full-data run.

1. Epoch: ``--images`` training images through ``model.fit`` with the project's
   compile settings, ``--epochs`` epochs; the first includes XLA compilation.
2. Search: Keras Tuner's own loop (``ModelReuseTuner`` + ``LRHyperModel``, one
   epoch per trial, validation every trial) on the split a full-data search
   uses (48,000 train / 12,000 validation), ``--trials`` trials. TensorFlow
   Probability's GP needs TensorFlow, which that machine lacks, so the trials
   are proposed by Keras Tuner's RandomSearchOracle over the same learning-rate
   range: the learning rate does not change the work of an epoch. The oracle's
   own decision time is measured on the CPU (bench/bench_suggest.py) and added
   in docs/benchmarks.md.

Run (GPU): KERAS_BACKEND=jax python bench/bench_gpu.py --data-dir DIR --out DIR
Check on CPU first: KERAS_BACKEND=jax python bench/bench_gpu.py --images 2000
    --train 1000 --val 200 --trials 2 --epochs 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fashion-mnist-sample")


def tiled(array, count: int):
    """The first ``count`` rows of ``array`` repeated end to end."""
    import numpy as np

    reps = -(-count // len(array))
    return np.concatenate([array] * reps)[:count]


def epoch_table(ds, images: int, epochs: int, steps: tuple[int, ...]) -> list[dict]:
    """Times ``epochs`` epochs of the default ResNet per steps_per_execution setting."""
    import keras

    from kt_lrsearch.app import data
    from kt_lrsearch.app.model import TrainingConfig, build_resnet, compile_model

    x = tiled(data.to_model_input(ds.train.images), images)
    y = tiled(ds.train.labels, images)
    rows = []
    for spe in steps:
        keras.utils.clear_session()
        keras.utils.set_random_seed(0)
        training = TrainingConfig(steps_per_execution=spe)
        model = compile_model(build_resnet(), 0.01, training)
        times, accuracy = [], 0.0
        for _ in range(epochs):
            start = time.perf_counter()
            history = model.fit(x, y, batch_size=training.batch_size, epochs=1, verbose=0)
            times.append(time.perf_counter() - start)
            accuracy = float(history.history["accuracy"][-1])
        steady = times[1:] or times
        rows.append(
            {
                "steps_per_execution": spe,
                "batch_size": training.batch_size,
                "epoch_s": times,
                "steady_epoch_s": sum(steady) / len(steady),
                "images_per_s": images * len(steady) / sum(steady),
                "train_accuracy": accuracy,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def search(ds, train: int, val: int, trials: int, spe: int = 1) -> dict:
    """A ``trials``-trial, one-epoch-per-trial search through Keras Tuner's loop.

    ``spe`` is the ``steps_per_execution`` every trial's model is compiled with.
    """
    import keras_tuner as kt

    from kt_lrsearch.app import data
    from kt_lrsearch.app.model import TrainingConfig
    from kt_lrsearch.app.training import LRHyperModel
    from kt_lrsearch.tuning.reuse import ModelReuseTuner

    x = tiled(data.to_model_input(ds.train.images), train)
    y = tiled(ds.train.labels, train)
    xv = tiled(data.to_model_input(ds.validation.images), val)
    yv = tiled(ds.validation.labels, val)
    training = TrainingConfig(steps_per_execution=spe)
    hypermodel = LRHyperModel(1e-4, 1e-1, seed=42, training=training)
    space = kt.HyperParameters()
    hypermodel.declare(space)
    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("val_accuracy", "max"),
        max_trials=trials,
        seed=42,
        hyperparameters=space,
    )
    trial_s: list[float] = []

    class Timed(ModelReuseTuner):
        def run_trial(self, trial, *args, **kwargs):
            start = time.perf_counter()
            result = super().run_trial(trial, *args, **kwargs)
            trial_s.append(time.perf_counter() - start)
            return result

    with tempfile.TemporaryDirectory() as tmp:
        tuner = Timed(
            oracle=oracle, hypermodel=hypermodel, directory=tmp, project_name="gpu", overwrite=True
        )
        start = time.perf_counter()
        tuner.search(x, y, validation_data=(xv, yv), epochs=1, verbose=0)
        wall = time.perf_counter() - start
        done = [t for t in oracle.trials.values() if t.score is not None]
        scores = [(t.hyperparameters.get("learning_rate"), t.score) for t in done]
    result = {
        "steps_per_execution": spe,
        "train": train,
        "val": val,
        "trials": len(trial_s),
        "wall_s": wall,
        "trial_s": trial_s,
        "lr_val_accuracy": scores,
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--images", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train", type=int, default=48_000)
    parser.add_argument("--val", type=int, default=12_000)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--steps", default="1,8", help="steps_per_execution settings")
    parser.add_argument(
        "--search-steps",
        default="1",
        help="steps_per_execution settings for the search, one search each",
    )
    parser.add_argument("--out", help="folder for gpu.json")
    args = parser.parse_args()

    import keras

    from kt_lrsearch.app import data

    backend = keras.backend.backend()
    devices = []
    if backend == "jax":
        import jax

        devices = [str(d) for d in jax.devices()]
    print(json.dumps({"backend": backend, "keras": keras.__version__, "devices": devices}))
    ds = data.load(args.data_dir, validation_fraction=0.2, seed=42)
    steps = tuple(int(s) for s in args.steps.split(","))
    result = {
        "backend": backend,
        "devices": devices,
        "epochs": epoch_table(ds, args.images, args.epochs, steps),
        "search": [
            search(ds, args.train, args.val, args.trials, int(spe))
            for spe in args.search_steps.split(",")
        ],
    }
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.out:
        with open(os.path.join(args.out, "gpu.json"), "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
