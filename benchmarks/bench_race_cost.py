"""The cost of the race and of the forest blend: fit time against the fixed plan.

``VitalRouteClassifier()`` on synthetic data (``make_classification``, 20
features, 90/10 or ``--balance``) at a few sizes, with the race off
(``router__race=False``, the fixed plan) and on with 2 (the default race:
``default`` and ``wd10``), 3 and 4 candidates (adding ``h32`` and ``do3``);
the forest blend is off in all of these unless ``--forest`` is given, which
adds ``forest``: the library's defaults (the race where it runs, and the
forest). The settings are timed in interleaved rounds (each round fits every
setting once, in turn), and the ratio to the race-off fit of the same round
is reported: the machine's load drifts between rounds, not within one. One
torch thread per fit. ``--predict`` also times ``predict_proba`` of the
network alone and of the blend (1, 1000 and 100 000 rows a call; fitted on
the largest size).

Usage::

    python benchmarks/bench_race_cost.py --sizes 500 2000 5000 --rounds 3
    python benchmarks/bench_race_cost.py --sizes 500 2000 5000 20000 \
        --candidates 1 2 --forest --rounds 3
    python benchmarks/bench_race_cost.py --sizes 2000 --candidates 1 --predict
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
    if k == "forest":  # the library's defaults
        params = {}
    elif k <= 1:
        params = {"router__race": False, "router__forest_weight": 0.0}
    else:
        params = {
            "router__race": True,
            "router__race_candidates": ORDER[:k],
            "router__forest_weight": 0.0,
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
    p.add_argument("--forest", action="store_true", help="also the defaults (forest)")
    p.add_argument("--predict", action="store_true", help="also time predict_proba")
    p.add_argument(
        "--balance", type=float, default=0.9, help="share of the majority class"
    )
    args = p.parse_args(argv)
    settings = [*args.candidates, *(["forest"] if args.forest else [])]
    torch.set_num_threads(1)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores; torch {torch.__version__}, 1 thread; {args.rounds} interleaved "
        f"rounds; classes {args.balance:g}/{1 - args.balance:g}"
    )
    print()
    print("| rows | candidates | fit s (median) | x race off (median of rounds) |")
    print("|---|---|---|---|")
    for n in args.sizes:
        X, y = make_classification(
            n_samples=n,
            n_features=20,
            weights=[args.balance, 1 - args.balance],
            random_state=0,
        )
        X = X.astype(np.float32)
        times = {k: [] for k in settings}
        for _ in range(args.rounds):
            for k in settings:
                times[k].append(_fit_time(X, y, k))
        base = times[settings[0]]
        for k in settings:
            ratio = statistics.median(
                t / b for t, b in zip(times[k], base, strict=True)
            )
            shown = k if k == "forest" else "off" if k <= 1 else str(k)
            print(
                f"| {n} | {shown} | {statistics.median(times[k]):.2f} | {ratio:.2f} |"
            )
    if args.predict:
        _predict_table(X, y, args.rounds)
    return 0


def _predict_table(X, y, rounds, calls=(1, 1000, 100_000)):
    """Median ms of predict_proba, the network alone against the blend."""
    nets = {
        "network alone": VitalRouteClassifier(
            random_state=0, router__race=False, router__forest_weight=0.0
        ).fit(X, y),
        "forest blend": VitalRouteClassifier(random_state=0, router__race=False).fit(
            X, y
        ),
    }
    print()
    print(
        f"predict_proba, fitted on {len(X)} rows; "
        f"median ms of {rounds} interleaved rounds"
    )
    print()
    print("| rows a call | network alone ms | forest blend ms | x network alone |")
    print("|---|---|---|---|")
    for rows in calls:
        Xp = np.resize(X, (rows, X.shape[1]))
        times = {k: [] for k in nets}
        for _ in range(rounds):
            for k, net in nets.items():
                repeat = max(1, 200 // max(1, rows // 1000))
                start = time.perf_counter()
                for _ in range(repeat):
                    net.predict_proba(Xp)
                times[k].append((time.perf_counter() - start) / repeat * 1000)
        a, b = (statistics.median(times[k]) for k in nets)
        print(f"| {rows} | {a:.3f} | {b:.3f} | {b / a:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
