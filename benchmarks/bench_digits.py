"""The 8:1 digits check: auto against the rebalancing baselines at 10 and 30 epochs.

sklearn digits, a stratified 2/3 training split whose classes 5-9 keep 1/8
of their rows (about 15 rows each), the other third as test rows. Every
method is the same default network; only the rebalancing differs:

- ``auto``: ``VitalRouteClassifier()`` (its routed budget unless
  ``max_epochs`` is given),
- ``inv_freq``: ``tactics="none", class_weight="balanced"``,
- ``logit_adjusted``: ``tactics="none", loss="logit_adjusted"``,
- ``class``: ``tactics=("class",)`` (the class-stress sampler).

Each is trained with ``max_epochs`` 10 and 30 (``auto`` also with its own
budget), over several seeds; balanced accuracy on the test rows, with the
paired difference of ``auto`` to the best baseline.

Usage (one torch thread)::

    python benchmarks/bench_digits.py --seeds 10
"""

import argparse
import sys

import numpy as np
import torch
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier

BASELINES = {
    "inv_freq": dict(tactics="none", class_weight="balanced"),
    "logit_adjusted": dict(tactics="none", loss="logit_adjusted"),
    "class": dict(tactics=("class",)),
}


def split(seed, factor=8):
    """Training rows (classes 5-9 cut to 1/factor) and test rows."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, train_size=2 / 3, stratify=y, random_state=seed
    )
    rng = np.random.default_rng(seed)
    keep = (y_tr < 5) | (rng.random(len(y_tr)) < 1 / factor)
    return X_tr[keep], y_tr[keep], X_te, y_te


def score(params, data, seed):
    X_tr, y_tr, X_te, y_te = data
    clf = make_pipeline(
        StandardScaler(), VitalRouteClassifier(random_state=seed, **params)
    )
    clf.fit(X_tr, y_tr)
    return balanced_accuracy_score(y_te, clf.predict(X_te))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    runs = {}
    for seed in range(args.seeds):
        data = split(seed)
        if seed == 0:
            counts = np.bincount(data[1])
            print(f"training rows per class (seed 0): {counts.tolist()}")
        runs.setdefault("auto (own budget)", []).append(score({}, data, seed))
        for epochs in (10, 30):
            runs.setdefault(f"auto @{epochs}", []).append(
                score({"max_epochs": epochs}, data, seed)
            )
            for name, params in BASELINES.items():
                runs.setdefault(f"{name} @{epochs}", []).append(
                    score({**params, "max_epochs": epochs}, data, seed)
                )
    print(f"\nbalanced accuracy %, mean ± std over {args.seeds} seeds")
    for name, vals in runs.items():
        print(f"{name:22s} {100 * np.mean(vals):6.2f} ± {100 * np.std(vals):.2f}")
    print("\nauto - best baseline at the same epochs (paired, pp, 95 % t interval)")
    for epochs in (10, 30):
        best = max(BASELINES, key=lambda b: np.mean(runs[f"{b} @{epochs}"]))
        for label in (f"auto @{epochs}", "auto (own budget)"):
            d = np.array(runs[label]) - np.array(runs[f"{best} @{epochs}"])
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            print(
                f"{label:18s} - {best} @{epochs}: {100 * d.mean():+.2f} "
                f"[{100 * (d.mean() - half):+.2f}, {100 * (d.mean() + half):+.2f}]"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
