"""Training throughput of the default ResNet: plain ``model.fit`` vs the tuned setting.

Each setting runs in its own subprocess (a fresh backend, its own peak memory),
one after the other in one invocation, on the same real Fashion-MNIST images
(the shared sample, tiled to ``--images``). Reported per setting: the first
epoch's wall time (what a 1-epoch trial pays: tracing and XLA compilation
included), the steady-state images per second over the following epochs, and
the process's peak resident memory.

A second table measures what a search actually pays per trial: ``--trials``
one-epoch fits with validation at different learning rates, through the
LRHyperModel, on the sample as the search splits it (no tiling). "plain" builds
a fresh model per trial at Keras's default batch of 32 (what a hypermodel
usually does); "tuned" is kt_lrsearch's default: batch 128 and one compiled
model reused across trials.

Run: .venv/bin/python bench/bench_training.py [--images 12288] [--epochs 3] [--trials 6]
     [--data-dir ../shared/data/fashion-mnist-sample]
GPU (no TensorFlow there): KERAS_BACKEND=jax python bench/bench_training.py ...
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "fashion-mnist-sample")

# name -> (batch size, compile keyword arguments); "plain" is Keras's defaults.
SETTINGS: dict[str, tuple[int, dict]] = {
    "plain (Keras defaults, batch 32)": (32, {}),
    "tuned (kt_lrsearch default): batch 128, XLA auto (off on CPU)": (128, {"jit_compile": "auto"}),
    "batch 128 + steps_per_execution 8": (128, {"steps_per_execution": 8}),
    "batch 128 + XLA forced on": (128, {"jit_compile": True}),
}


def child(setting: str, images: int, epochs: int, data_dir: str) -> None:
    """Runs one setting and prints one JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, ROOT)
    import keras
    import numpy as np

    from kt_lrsearch.app import data
    from kt_lrsearch.app.model import build_resnet

    keras.utils.set_random_seed(0)
    batch_size, compile_kwargs = SETTINGS[setting]
    ds = data.load(data_dir, validation_fraction=0.2, seed=0)
    reps = -(-images // len(ds.train))
    x = np.concatenate([data.to_model_input(ds.train.images)] * reps)[:images]
    y = np.concatenate([ds.train.labels] * reps)[:images]
    model = build_resnet()
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **compile_kwargs,
    )
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    steady = times[1:] or times
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "setting": setting,
                "backend": keras.backend.backend(),
                "first_epoch_s": times[0],
                "images_per_s": images * len(steady) / sum(steady),
                "peak_mib": peak_mib,
            }
        )
    )


# name -> (batch size, reuse one compiled model across trials)
TRIAL_SETTINGS: dict[str, tuple[int, bool]] = {
    "plain: fresh model per trial, batch 32": (32, False),
    "tuned (kt_lrsearch default): reused model, batch 128": (128, True),
    "reused model, batch 32": (32, True),
    "fresh model per trial, batch 128": (128, False),
}


def trial_child(setting: str, trials: int, data_dir: str) -> None:
    """Runs ``trials`` one-epoch trials through the hypermodel; prints one JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, ROOT)
    import keras
    import keras_tuner as kt
    import numpy as np

    from kt_lrsearch.app import data
    from kt_lrsearch.app.model import TrainingConfig
    from kt_lrsearch.app.training import LRHyperModel

    batch_size, reuse = TRIAL_SETTINGS[setting]
    ds = data.load(data_dir, validation_fraction=0.2, seed=42)
    x, y = data.to_model_input(ds.train.images), ds.train.labels
    val = (data.to_model_input(ds.validation.images), ds.validation.labels)
    hypermodel = LRHyperModel(
        1e-4, 1e-1, seed=42, reuse_model=reuse, training=TrainingConfig(batch_size=batch_size)
    )
    times, accuracies = [], []
    for learning_rate in np.geomspace(1e-3, 1e-1, trials):
        start = time.perf_counter()
        keras.backend.clear_session()  # as Keras Tuner does before every build
        hp = kt.HyperParameters()
        hp.Fixed("learning_rate", float(learning_rate))
        model = hypermodel.build(hp)
        history = hypermodel.fit(hp, model, x, y, validation_data=val, epochs=1)
        times.append(time.perf_counter() - start)
        accuracies.append(history.history["val_accuracy"][-1])
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "setting": setting,
                "first_trial_s": times[0],
                "later_trial_s": float(np.mean(times[1:])),
                "train_images": len(x),
                "val_accuracy": accuracies,
                "peak_mib": peak_mib,
            }
        )
    )


def trial_table(trials: int, data_dir: str) -> None:
    rows = []
    for setting in TRIAL_SETTINGS:
        command = [
            sys.executable,
            __file__,
            "--trial-child",
            setting,
            "--trials",
            str(trials),
            "--data-dir",
            data_dir,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done: {setting}", file=sys.stderr)
    base = rows[0]
    print(
        f"\n{trials} one-epoch trials (lr 1e-3 .. 1e-1) on {base['train_images']} train images "
        "with validation; time per trial includes build/reset, tracing, fit and validation.\n"
    )
    print(
        "| setting | first trial (s) | later trials (s, mean) | train images / s (later) "
        "| vs plain | peak memory (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        rate = row["train_images"] / row["later_trial_s"]
        speedup = base["later_trial_s"] / row["later_trial_s"]
        print(
            f"| {row['setting']} | {row['first_trial_s']:.2f} | {row['later_trial_s']:.2f} "
            f"| {rate:.0f} | {speedup:.2f}x | {row['peak_mib']:.0f} |"
        )
    same = {
        json.dumps([round(a, 6) for a in row["val_accuracy"]])
        for row in rows
        if TRIAL_SETTINGS[row["setting"]][0] == 128
    }
    print(f"\nbatch-128 settings give identical validation accuracies: {len(same) == 1}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=12_288)
    parser.add_argument("--epochs", type=int, default=3, help="first one includes compilation")
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--trials", type=int, default=6, help="per-trial table; 0 skips it")
    parser.add_argument("--only-trials", action="store_true", help="skip the epoch table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--trial-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.images, args.epochs, args.data_dir)
        return
    if args.trial_child:
        trial_child(args.trial_child, args.trials, args.data_dir)
        return
    if args.only_trials:
        trial_table(args.trials, args.data_dir)
        return
    rows = []
    for setting in SETTINGS:
        command = [
            sys.executable,
            __file__,
            "--child",
            setting,
            "--images",
            str(args.images),
            "--epochs",
            str(args.epochs),
            "--data-dir",
            args.data_dir,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done: {setting}", file=sys.stderr)
    base = rows[0]["images_per_s"]
    print(f"{args.images} images, batch sizes as named, backend {rows[0]['backend']}.\n")
    print("| setting | first epoch (s) | images / s (steady) | vs plain | peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['setting']} | {row['first_epoch_s']:.1f} | {row['images_per_s']:.0f} "
            f"| {row['images_per_s'] / base:.2f}x | {row['peak_mib']:.0f} |"
        )
    if args.trials:
        trial_table(args.trials, args.data_dir)


if __name__ == "__main__":
    main()
