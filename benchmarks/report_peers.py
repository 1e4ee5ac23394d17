"""The classifier against its peers, from the measured calibration records.

Reads the one-fit-per-split records of ``benchmarks/calibrate_race.py``
(``--peers``): ``VitalRouteClassifier()`` with its race (``race_bll``, the
shipped rule), the fixed plan (``auto_fixed``: ``router__race=False``) and
the peers, on the splits every method has (all recorded seeds, 5 folds
each). Per data set, each method's score is its mean over those splits;
the report gives pooled means, paired differences over data sets (95 % t
intervals, sets won/tied/lost), mean ranks and size buckets (median
training rows of the set's splits). Nothing is chosen here: it only
measures.

Usage::

    python benchmarks/calibrate_race.py --seeds 0 1 --candidates --keep \\
        --peers race_bll auto_fixed brf logreg lgbm catboost inv_e30 la_e30
    python benchmarks/report_peers.py --out docs/_static/report_peers.md
"""

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402
from choose_race import CACHE, _fmt, bucket_table, paired  # noqa: E402

#: record name -> report label; the first is the one compared with the rest
METHODS = {
    "auto_forest": "auto",
    "race_bll": "auto, no forest",
    "auto_fixed": "auto, no forest, race off",
    "brf": "brf",
    "catboost": "catboost",
    "lgbm": "lgbm",
    "logreg": "logreg",
    "la_e30": "logit-adjusted, 30 epochs",
    "inv_e30": "inv_freq, 30 epochs",
}
METRICS = {
    "balanced_accuracy": "balanced acc %",
    "macro_f1": "macro-F1 %",
    "minority_recall": "minority recall %",
}


def load(path, methods=METHODS):
    """``records[method][(data, seed, fold)]`` and ``rows[(data, seed, fold)]``."""
    records, rows = {m: {} for m in methods}, {}
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        if r["candidate"] in records:
            key = (r["data"], r["seed"], r["fold"])
            records[r["candidate"]][key] = r
            rows[key] = r["n_train"]
    return records, rows


def common_splits(records):
    """The splits every method has a record of."""
    keys = [set(v) for v in records.values()]
    return set.intersection(*keys) if keys else set()


def per_data_set(records, splits, metric):
    """``scores[method][data]``: the mean of ``metric`` over the common splits."""
    out = {}
    for m, recs in records.items():
        by = {}
        for key in splits:
            value = recs[key][metric]
            if value is not None and np.isfinite(value):
                by.setdefault(key[0], []).append(value)
        out[m] = {d: float(np.mean(v)) for d, v in by.items()}
    return out


def report(records, rows):
    splits = common_splits(records)
    data = sorted({k[0] for k in splits})
    seeds = sorted({k[1] for k in splits})
    size = {d: float(np.median([rows[k] for k in splits if k[0] == d])) for d in data}
    lines = [
        f"{len(data)} data sets, {len(splits)} splits (seeds {seeds}, 5 folds each) "
        "that every method has.",
        "",
    ]
    bacc = per_data_set(records, splits, "balanced_accuracy")
    means = {metric: per_data_set(records, splits, metric) for metric in METRICS}
    first = next(iter(METHODS))
    ranks = np.mean(
        [stats.rankdata([-bacc[m][d] for m in METHODS]) for d in data], axis=0
    )
    head = " | ".join(METRICS.values())
    lines += [
        f"| method | {head} | mean rank | {METHODS[first]} − method, pp |",
        "|---|" + "---|" * (len(METRICS) + 2),
    ]
    for (m, label), rank in zip(METHODS.items(), ranks, strict=True):
        cells = [
            f"{100 * np.mean([means[metric][m][d] for d in means[metric][m]]):.2f}"
            for metric in METRICS
        ]
        diff = "—" if m == first else _fmt(paired(bacc[first], bacc[m]))
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {rank:.2f} | {diff} |")
    lines += ["", "By training rows (pooled balanced accuracy %):", ""]
    lines += bucket_table(bacc, METHODS, data, size)
    lines += ["", "Per data set (balanced accuracy %, mean over the splits):", ""]
    lines.append("| data | rows | " + " | ".join(METHODS.values()) + " |")
    lines.append("|---|---|" + "---|" * len(METHODS))
    for d in sorted(data, key=lambda d: size[d]):
        cells = [f"{100 * bacc[m][d]:.1f}" for m in METHODS]
        lines.append(f"| {d} | {size[d]:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", default=str(CACHE))
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    records, rows = load(args.records)
    return _cli.emit(
        "benchmarks/report_peers.py", argv, report(records, rows), args.out
    )


if __name__ == "__main__":
    sys.exit(main())
