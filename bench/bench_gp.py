"""GP cost in one process: first build, then fit + posterior at n points, and after Keras resets.

What a search pays for the surrogate: the one-time build of the GP's private graph
(``gp.warm_up``), then per decision one MAP fit at n observations in d = 3 plus a
posterior over 2,560 candidates; the same again right after
``keras.utils.clear_session()`` and ``keras.utils.set_random_seed()`` (Keras Tuner
calls both before every model it builds).

    .venv/bin/python bench/bench_gp.py
"""

from __future__ import annotations

import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

REPEATS = 9


def main() -> None:
    started = time.perf_counter()
    import keras
    import numpy as np

    from kt_lrsearch.core import gp

    imported = time.perf_counter()
    gp.warm_up(d=3)
    built = time.perf_counter()
    print(
        f"imports {imported - started:.1f} s; GP graph built and run once {built - imported:.2f} s"
    )
    query = np.random.default_rng(0).uniform(size=(2560, 3))
    print("\n| n | fit + posterior, ms | right after clear_session + set_random_seed, ms |")
    print("|---:|---:|---:|")
    for n in (5, 20, 50):
        rng = np.random.default_rng(n)
        x = rng.uniform(size=(n, 3))
        y = np.sin(3 * x[:, 0]) + x[:, 1] + 0.05 * rng.normal(size=n)
        plain, reset = [], []
        for _ in range(REPEATS):
            start = time.perf_counter()
            gp.fit_gp(x, y).predict(query)
            plain.append(time.perf_counter() - start)
            keras.utils.clear_session()
            keras.utils.set_random_seed(n)
            start = time.perf_counter()
            gp.fit_gp(x, y).predict(query)
            reset.append(time.perf_counter() - start)
        print(
            f"| {n} | {1000 * statistics.median(plain):.0f} "
            f"| {1000 * statistics.median(reset):.0f} |"
        )


if __name__ == "__main__":
    main()
