"""Calibration runs of the router: candidate trainings on the calibration suite.

Each candidate is one way of training the same network (rebalancing method,
training budget, regularisation); every candidate runs on the same splits
(5-fold stratified CV x seeds, the long tail induced on the training folds
only). Records go to a JSON-lines cache, one line per (data set, candidate,
seed, fold), so a run resumes where it stopped and new candidates add to it.

The rules of the default router are chosen from these records by
``benchmarks/choose_router.py`` (leave-one-data-set-out); the acceptance sets
(yeast, ecoli, glass, satimage, MNIST) are never loaded.

Usage::

    python benchmarks/calibrate_router.py --candidates la_e30 inv_e30 --seeds 0 1
    python benchmarks/calibrate_router.py --list
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _router_data import SUITE, load_task  # noqa: E402

CACHE = Path("results/calibration/records.jsonl")


# -- candidates ---------------------------------------------------------------
def _epochs_for(n_train, *, steps, batch=64, min_epochs=30, max_epochs=500):
    """Epochs giving at least ``steps`` optimizer steps, within bounds."""
    per_epoch = max(1, math.ceil(n_train / batch))
    return int(min(max_epochs, max(min_epochs, math.ceil(steps / per_epoch))))


_REBALANCE = {
    "none": dict(tactics="none"),
    "inv": dict(tactics="none", class_weight="balanced"),
    "la": dict(tactics="none", loss="logit_adjusted"),
    "cb": dict(tactics=("class",), tactic__class__beta=0.0),
    "vit": dict(tactics=("class",)),
    "lacb": dict(tactics=("class",), tactic__class__beta=0.0, loss="logit_adjusted"),
    "lainv": dict(tactics="none", class_weight="balanced", loss="logit_adjusted"),
    "hard": dict(tactics=("hard",)),
    "lahard": dict(tactics=("hard",), loss="logit_adjusted"),
    "lalr": dict(tactics=("lr_scale",), loss="logit_adjusted"),
    "focal": dict(tactics="none", loss="focal"),
    "ros": dict(tactics="none"),
    "seed": dict(tactics="auto", router="vitalroute"),
}
PEERS = ("brf", "hgb", "logreg", "lgbm", "catboost")
#: Candidates that are VitalRouteClassifier's defaults plus these parameters.
DEFAULTS = {
    "auto": {},
    "auto_inv": {"class_weight": "balanced"},
    "auto_tilt": {"router__tilt": True},
    # (the network alone: the records of these three predate the forest blend)
    # the race of issue 23 as first built (4 candidates, 3 checkpoints,
    # held-out balanced accuracy) and as shipped (chosen by choose_race.py)
    "auto_race": {
        "router__race": True,
        "router__race_candidates": ("default", "h32", "do3", "wd10"),
        "router__race_checkpoints": (0.25, 0.5, 1.0),
        "router__race_margin": 0.0,
        "router__race_scoring": "balanced_accuracy",
        "router__forest_weight": 0.0,
    },
    "race_bll": {
        "router__race": True,
        "router__race_candidates": ("default", "wd10"),
        "router__race_checkpoints": (1.0,),
        "router__race_margin": 0.01,
        "router__race_scoring": "balanced_log_loss",
        "router__forest_weight": 0.0,
    },
    "auto_fixed": {"router__race": False, "router__forest_weight": 0.0},
    # the forest blend (issue 23), as shipped: the library's defaults
    "auto_forest": {},
}
# option t<name>: add a tactic to the candidate's tactics
_TACTIC_TOKENS = {"tilt": "tilt", "reset": "reset", "hard": "hard", "lr": "lr_scale"}


def parse(name):
    """Split a candidate name into its rebalancing and option tokens.

    ``<rebalance>_<budget>[_<option>...]`` where the budget is ``e<N>``
    (N epochs) or ``s<N>k`` (at least N thousand optimizer steps, 30..500
    epochs) and options are ``wd<x>`` (AdamW weight decay), ``wdn<K>``
    (AdamW weight decay ``min(1, K / n_train)``), ``do<x>``
    (dropout), ``bs<N>`` (batch size), ``lr<x>``, ``tau<x>`` (logit
    adjustment scale), ``t<tactic>`` (add a tactic: ``ttilt``, ``treset``,
    ``thard``, ``tlr``), ``ts<x>`` (tilt strength), ``es<N>`` (early
    stopping, patience N, on a stratified 15 % split, up to 300 epochs),
    ``h<a>x<b>`` (hidden units).
    """
    parts = name.split("_")
    return parts[0], parts[1], parts[2:]


def _float(tok, prefix):
    return float(tok[len(prefix) :])


def net_params(name, n_train):
    """VitalRouteClassifier parameters of candidate ``name``."""
    reb, bud, opts = parse(name)
    params = dict(_REBALANCE[reb])
    batch = 64
    for tok in opts:
        if tok.startswith("bs"):
            batch = int(tok[2:])
    params["batch_size"] = batch
    if bud.startswith("e"):
        params["max_epochs"] = int(bud[1:])
    else:
        params["max_epochs"] = _epochs_for(
            n_train, steps=int(bud[1:-1]) * 1000, batch=batch
        )
    for tok in opts:
        if tok.startswith("wdn"):
            import torch

            # weight decay shrinking with the data: min(1, K / n_train)
            params["optimizer"] = torch.optim.AdamW
            params["optimizer__weight_decay"] = min(1.0, _float(tok, "wdn") / n_train)
        elif tok.startswith("wd"):
            import torch

            params["optimizer"] = torch.optim.AdamW
            params["optimizer__weight_decay"] = _float(tok, "wd")
        elif tok.startswith("do"):
            params["dropout"] = _float(tok, "do")
        elif tok.startswith("lr"):
            params["lr"] = _float(tok, "lr")
        elif tok.startswith("tau"):
            params["logit_adjust_tau"] = _float(tok, "tau")
        elif tok.startswith("es"):
            from skorch.callbacks import EarlyStopping

            params["train_split"] = 0.15
            params["max_epochs"] = max(params["max_epochs"], 300)
            params["callbacks"] = [EarlyStopping(patience=int(tok[2:]), load_best=True)]
        elif tok.startswith("t") and tok[1:] in _TACTIC_TOKENS:
            base = params.get("tactics", "none")
            base = () if base == "none" else tuple(base)
            params["tactics"] = (*base, _TACTIC_TOKENS[tok[1:]])
        elif tok.startswith("ts"):
            params["tactic__tilt__strength"] = _float(tok, "ts")
        elif tok.startswith("h"):
            params["hidden_units"] = tuple(int(u) for u in tok[1:].split("x"))
        elif not tok.startswith("bs"):
            raise KeyError(f"unknown option {tok!r} in {name!r}")
    return params


def candidate_names():
    """The first screen's candidates."""
    out = []
    for reb in ("none", "inv", "la", "cb", "vit", "ros"):
        for bud in ("e30", "s2k"):
            out.append(f"{reb}_{bud}")
    return out + list(PEERS)


def build(name, task, n_train, min_count, seed):
    """The pipeline of candidate ``name`` for one training fold."""
    from imblearn.pipeline import Pipeline
    from sklearn.base import clone

    steps = [("preprocess", clone(task.preprocessor))]
    if name in PEERS:
        steps.append(("model", _peer(name, seed)))
        return Pipeline(steps)
    from skvitalroute import VitalRouteClassifier

    if name in DEFAULTS:
        # the library's own defaults, not an emulation of them
        net = VitalRouteClassifier(random_state=seed, **DEFAULTS[name])
        steps.append(("model", net))
        return Pipeline(steps)
    if parse(name)[0] == "ros":
        from imblearn.over_sampling import RandomOverSampler

        steps.append(("sampler", RandomOverSampler(random_state=seed)))
    net = VitalRouteClassifier(random_state=seed, **net_params(name, n_train))
    steps.append(("model", net))
    return Pipeline(steps)


def _peer(name, seed):
    if name == "brf":
        from imblearn.ensemble import BalancedRandomForestClassifier

        return BalancedRandomForestClassifier(
            n_estimators=100,
            sampling_strategy="all",
            replacement=True,
            bootstrap=False,
            random_state=seed,
            n_jobs=1,
        )
    if name == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            class_weight="balanced", random_state=seed
        )
    if name == "lgbm":
        from lightgbm import LGBMClassifier  # the bench extra

        return LGBMClassifier(
            class_weight="balanced", random_state=seed, n_jobs=1, verbose=-1
        )
    if name == "catboost":
        from catboost import CatBoostClassifier  # the bench extra

        return CatBoostClassifier(
            auto_class_weights="Balanced",
            random_seed=seed,
            thread_count=1,
            verbose=0,
            allow_writing_files=False,
        )
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", max_iter=2000)


# -- running ------------------------------------------------------------------
def _fit_one(spec, name, seed, fold, train, test):
    import torch

    from skvitalroute.compare._metrics import score_predictions

    torch.set_num_threads(1)
    task = load_task(spec)
    X = task.X
    y_train = task.y[train]
    min_count = int(np.unique(y_train, return_counts=True)[1].min())
    pipe = build(name, task, len(train), min_count, seed * 1000 + fold)
    start = time.perf_counter()
    pipe.fit(X.iloc[train], y_train)
    fit_time = time.perf_counter() - start
    y_pred = pipe.predict(X.iloc[test])
    scores = score_predictions(task.y[test], y_pred, task.classes, task.minority)
    scores.pop("per_class_recall", None)
    model = pipe.named_steps["model"]
    extra = {}
    if hasattr(model, "history"):
        extra["epochs"] = len(model.history)
    return {
        "data": spec.name,
        "candidate": name,
        "seed": seed,
        "fold": fold,
        "n_train": len(train),
        **scores,
        "fit_time": fit_time,
        **extra,
    }


def _done(cache):
    done = set()
    if cache.exists():
        for line in cache.read_text().splitlines():
            r = json.loads(line)
            done.add((r["data"], r["candidate"], r["seed"], r["fold"]))
    return done


def run(data, candidates, seeds, folds=5, n_jobs=2, cache=CACHE, suite=SUITE):
    """Run every missing (data set, candidate, split) and append its record."""
    from skvitalroute.compare._run import make_splits

    cache.parent.mkdir(parents=True, exist_ok=True)
    done = _done(cache)
    jobs = []
    for spec in suite:
        if data and spec.name not in data:
            continue
        task = load_task(spec)
        for split in make_splits(task, folds=folds, seeds=seeds):
            for name in candidates:
                key = (spec.name, name, split.seed, split.fold)
                if key not in done:
                    jobs.append(
                        (
                            spec,
                            name,
                            split.seed,
                            split.fold,
                            split.train,
                            split.test,
                        )
                    )
    # big data sets first, so that the tail of the run is short jobs
    jobs.sort(key=lambda j: -len(j[4]))
    print(f"{len(jobs)} fits to run", file=sys.stderr)
    append_records(cache, _fit_one, jobs, n_jobs=n_jobs, every=50)


def append_records(cache, func, jobs, *, n_jobs, every, done=()):
    """Run ``func(*job)`` for every job, two at a time by default, and append
    each record it returns (one, or a list) to ``cache`` as it arrives.

    A record whose (data, candidate, seed, fold) is in ``done`` is not
    written again; progress goes to stderr every ``every`` jobs.
    """
    from joblib import Parallel, delayed

    start = time.perf_counter()
    with cache.open("a") as out:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for i, recs in enumerate(parallel(delayed(func)(*j) for j in jobs)):
            for rec in recs if isinstance(recs, list) else [recs]:
                if (
                    rec["data"],
                    rec["candidate"],
                    rec["seed"],
                    rec["fold"],
                ) not in done:
                    out.write(json.dumps(rec) + "\n")
            out.flush()
            if (i + 1) % every == 0:
                el = time.perf_counter() - start
                print(f"  {i + 1}/{len(jobs)} in {el:.0f} s", file=sys.stderr)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", nargs="+", default=None)
    p.add_argument("--data", nargs="+", default=None)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(candidate_names()))
        return 0
    run(
        args.data,
        args.candidates or candidate_names(),
        args.seeds,
        n_jobs=args.n_jobs,
        cache=Path(args.cache),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
