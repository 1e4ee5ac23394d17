"""The race's cost: fit time against the number of raced candidates.

``VitalRouteClassifier()`` on synthetic imbalanced data (``make_classification``,
20 features, 90/10) at a few sizes, with the race off (``router__race=False``,
the fixed plan) and on with 2 (the default race: ``default`` and ``wd10``), 3
and 4 candidates (adding ``h32`` and ``do3``). The settings are timed in
interleaved rounds (each round fits every setting once, in turn), and the
ratio to the race-off fit of the same round is reported: the machine's load
drifts between rounds, not within one. One torch thread per fit.

Usage::

    python benchmarks/bench_race_cost.py --sizes 500 2000 5000 --rounds 3
"""

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch
from sklearn.datasets import make_classification

from skvitalroute import VitalRouteClassifier

#: the default race's candidates first, then the other two of issue 23's first race
ORDER = ("default", "wd10", "h32", "do3")


def _fit_time(X, y, k):
    params = {"router__race": False} if k <= 1 else {
        "router__race": True,
        "router__race_candidates": ORDER[:k],
    }
    clf = VitalRouteClassifier(random_state=0, **params)
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", type=int, default=[500, 2000, 5000])
    p.add_argument("--candidates", nargs="+", type=int, default=[1, 2, 3, 4])
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores; torch {torch.__version__}, 1 thread; {args.rounds} interleaved rounds"
    )
    print()
    print("| rows | candidates | fit s (median) | x race off (median of rounds) |")
    print("|---|---|---|---|")
    for n in args.sizes:
        X, y = make_classification(
            n_samples=n, n_features=20, weights=[0.9, 0.1], random_state=0
        )
        X = X.astype(np.float32)
        times = {k: [] for k in args.candidates}
        for _ in range(args.rounds):
            for k in args.candidates:
                times[k].append(_fit_time(X, y, k))
        base = times[args.candidates[0]]
        for k in args.candidates:
            ratio = statistics.median(t / b for t, b in zip(times[k], base, strict=True))
            shown = "off" if k <= 1 else str(k)
            print(f"| {n} | {shown} | {statistics.median(times[k]):.2f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
