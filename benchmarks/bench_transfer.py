"""Transfer benchmark: does the tactic pick the parent that helps? (issue 19)

For each family of ``skvitalroute.compare.scenarios._transfer.FAMILIES``
(digits, tabular, longtail; six parents each) and each split (a fresh draw
of the child's scarce training rows), the child is trained

- from scratch (``scratch``: no transfer),
- from each parent alone (``from:<name>``: forced warm start, no veto),
- with the whole pool (``routed_pool``: the tactic's pick, with the veto
  and the scratch candidate),

all with the same seed, so a fit differs from another only by where its
trunk starts. The ``routed_pool`` fit also records, for every candidate,
the transferability scores that were compared to choose the tactic's
score: LogME (You et al., 2021), LEEP (Nguyen et al., 2020), the
cross-validated accuracy of a 5-NN and of a logistic probe on the
warm-started network's last hidden features, and the stasis.

Records are cached in ``benchmarks/results/transfer/records.jsonl``, one
line per (family, split, method); a run only fits what is missing, so it
resumes and can be extended (more splits, another family). The reserved
acceptance sets are never loaded: the families are sklearn's digits and a
synthetic table.

Usage::

    python benchmarks/bench_transfer.py                 # fit what is missing, report
    python benchmarks/bench_transfer.py --splits 20     # extend to 20 splits
    python benchmarks/bench_transfer.py --report-only
    python benchmarks/bench_transfer.py --splits 20 --reseed   # the seed noise
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks._transfer import (
    SCRATCH,
    TransferWarmStart,
    copy_plan,
    head_inputs,
    warm_score,
)
from skvitalroute.compare._methods import NetConfig
from skvitalroute.compare._metrics import paired_test
from skvitalroute.compare.scenarios._transfer import FAMILIES, FORCED
from skvitalroute.probe import VitalityProbe

CACHE = Path(__file__).resolve().parent / "results" / "transfer" / "records.jsonl"
#: The child's training: small network settings shared by every fit.
CHILD = dict(hidden_units=(128, 64), lr=1e-3, batch_size=32, max_epochs=100)
#: The parents' training (``parent_pool``).
PARENT_CONFIG = NetConfig(epochs=30, hidden_units=(128, 64), lr=1e-3, batch_size=64)
SCORES = ("logme", "leep", "knn", "logreg", "stasis")
#: ``--reseed``: the forced fits again, same rows, another network seed
#: (method ``scratch@reseed``, ``from:<name>@reseed``): how much of a split's
#: ranking of the parents is the seed's.
RESEED = "@reseed"
RESEED_OFFSET = 10_000
METRICS = {"accuracy": accuracy_score, "balanced_accuracy": balanced_accuracy_score}


# -- the scores compared ------------------------------------------------------
def leep(parent_probs, y):
    """LEEP (Nguyen et al., 2020): log expected empirical prediction.

    ``parent_probs`` are the parent's own class probabilities on the child's
    rows; the empirical conditional ``P(y | z)`` of child label given parent
    label turns them into a child classifier, whose mean log-likelihood of
    ``y`` is the score.
    """
    theta = np.asarray(parent_probs, dtype=float)
    classes, codes = np.unique(y, return_inverse=True)
    joint = np.zeros((len(classes), theta.shape[1]))
    for k in range(len(classes)):
        joint[k] = theta[codes == k].sum(0)
    joint /= len(y)
    cond = joint / np.maximum(joint.sum(0, keepdims=True), 1e-12)  # P(y | z)
    pred = theta @ cond.T
    return float(np.mean(np.log(np.maximum(pred[np.arange(len(y)), codes], 1e-12))))


def probe_cv(features, y, model):
    """Stratified CV accuracy of ``model`` on fixed features (2-5 folds)."""
    folds = int(min(5, np.bincount(np.unique(y, return_inverse=True)[1]).min()))
    if folds < 2:
        return float("nan")
    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    return float(cross_val_score(model, features, y, cv=cv).mean())


def _warm_features(child, pairs, X):
    import copy

    warm = copy.deepcopy(child)
    by_name = dict(warm.named_parameters()) | dict(warm.named_buffers())
    with torch.no_grad():
        for key, _, source in pairs:
            by_name[key].copy_(source)
    return head_inputs(warm, X)


def _probs(module, X):
    was = module.training
    module.eval()
    with torch.no_grad():
        out = torch.softmax(module(torch.as_tensor(X, dtype=torch.float32)), 1)
    module.train(was)
    return out.numpy()


class _Scores(Callback):
    """Reads every candidate's scores on the fresh module (before transfer)."""

    def __init__(self, pool):
        self.pool = pool

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y)
        child = net.module_
        self.scores_ = {}
        self.start_ = time.perf_counter()
        for name, module in [(SCRATCH, None), *self.pool]:
            pairs = [] if module is None else copy_plan(child, module)[0]
            feats = _warm_features(child, pairs, X)
            source = child if module is None else module
            self.scores_[name] = {
                "logme": warm_score(child, pairs, X, y),
                "leep": leep(_probs(source, X), y),
                "knn": probe_cv(feats, y, KNeighborsClassifier(5)),
                "logreg": probe_cv(
                    feats,
                    y,
                    make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                ),
                "stasis": float(VitalityProbe(source).observe(X).mean_stasis()),
            }
        self.score_time_ = time.perf_counter() - self.start_

    def on_epoch_begin(self, net, **kwargs):
        if not hasattr(self, "tactic_time_"):
            self.tactic_time_ = time.perf_counter() - self.start_ - self.score_time_


# -- the fits ------------------------------------------------------------------
def _fit(family, split, method):
    pool = family.pool
    method, reseed, _ = method.partition(RESEED)
    seed = int(split.seed) + (RESEED_OFFSET if reseed else 0)
    params = dict(CHILD, random_state=seed, tactics="none")
    scores = None
    if method.startswith("from:"):
        name = method[5:]
        module = dict(pool)[name]
        forced = TransferWarmStart([(name, module)], scratch=False, max_stasis=None)
        params["callbacks"] = [(FORCED, forced)]
    elif method == "routed_pool":
        scores = _Scores(pool)
        params.update(tactics=("transfer",), parent_pool=pool)
        params["callbacks"] = [("bench_scores", scores)]
    clf = VitalRouteClassifier(**params)
    X, y = family.X.astype(np.float32), family.y
    start = time.perf_counter()
    clf.fit(X[split.train], y[split.train])
    fit_time = time.perf_counter() - start
    pred = clf.predict(X[split.test])
    rec = {
        "family": family.name,
        "split": int(split.seed),
        "method": method + (RESEED if reseed else ""),
        "metric": family.metric,
        "score": float(METRICS[family.metric](y[split.test], pred)),
        "n_train": int(len(split.train)),
        "description": family.description,
        "fit_time": fit_time,
    }
    if scores is not None:
        cb = dict(clf.callbacks_)["vitality_transfer"]
        rec.update(
            picked=cb.parent_,
            vetoed=list(cb.vetoed_),
            reason=cb.reason_,
            min_gain=cb.min_gain,
            parent_scores=dict(cb.parent_scores_),
            candidates=scores.scores_,
            benchmark_score_time=scores.score_time_,
            tactic_time=scores.tactic_time_,
        )
    return rec


class _Timer(Callback):
    """Seconds from the first ``on_train_begin`` (user callbacks run before
    the tactics) to the first epoch: the tactics' set-up, the pick included."""

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.perf_counter()

    def on_epoch_begin(self, net, **kwargs):
        if not hasattr(self, "setup_"):
            self.setup_ = time.perf_counter() - self.start_


def timing(name="digits", repeats=5):
    """Median set-up time with and without the pool, and of a whole fit from
    scratch, measured side by side (same load) on split 0 of ``name``."""
    family = FAMILIES[name](PARENT_CONFIG)
    split = family.split(0)
    X, y = family.X.astype(np.float32)[split.train], family.y[split.train]
    out = {"pool": [], "none": [], "fit": []}
    for _ in range(repeats):
        for key, extra in (
            ("pool", dict(tactics=("transfer",), parent_pool=family.pool)),
            ("none", dict(tactics="none")),
        ):
            timer = _Timer()
            params = dict(CHILD, random_state=0, callbacks=[("timer", timer)])
            start = time.perf_counter()
            VitalRouteClassifier(**params, **extra).fit(X, y)
            if key == "none":
                out["fit"].append(time.perf_counter() - start)
            out[key].append(timer.setup_)
    med = {k: float(np.median(v)) for k, v in out.items()}
    return (
        f"Timing ({name}, split 0, median of {repeats}, one thread): set-up before "
        f"the first epoch {med['pool']:.3f} s with the pool of {len(family.pool)} "
        f"parents (the pick) vs {med['none']:.3f} s without; one whole fit from "
        f"scratch {med['fit']:.3f} s."
    )


def _load(cache):
    if not cache.exists():
        return []
    return [json.loads(line) for line in cache.read_text().splitlines() if line]


def run(families, splits, cache=CACHE, reseed=False):
    """Fit every missing (family, split, method) and append its record;
    with ``reseed``, also the forced fits at another network seed."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["family"], r["split"], r["method"]) for r in _load(cache)}
    from threadpoolctl import threadpool_limits

    # one core: torch and the BLAS of the probes' scores on one thread each
    with (
        torch.random.fork_rng(devices=[]),
        threadpool_limits(1),
        cache.open("a") as out,
    ):
        torch.set_num_threads(1)
        for name in families:
            family = None
            for s in range(splits):
                methods = _methods_names(name)
                if reseed:
                    methods += [m + RESEED for m in methods if m != "routed_pool"]
                for method in methods:
                    if (name, s, method) in done:
                        continue
                    if family is None:
                        start = time.perf_counter()
                        family = FAMILIES[name](PARENT_CONFIG)
                        took = time.perf_counter() - start
                        print(f"{name}: pool built in {took:.1f} s", file=sys.stderr)
                    rec = _fit(family, family.split(s), method)
                    out.write(json.dumps(rec) + "\n")
                    out.flush()
            print(f"{name}: {splits} splits done", file=sys.stderr)


def _methods_names(family_name):
    parents = ["trained", "one_epoch", "shuffled_labels", "untrained", "damaged"]
    return ["scratch", *(f"from:{n}" for n in [*parents, "rescaled"]), "routed_pool"]


# -- the report ----------------------------------------------------------------
def _pp(x):
    return f"{100 * x:+.2f}"


def _ci(d):
    t = paired_test(d)
    return f"{_pp(t['mean'])} [{_pp(t['ci_low'])}, {_pp(t['ci_high'])}]"


def family_report(records, family, score="logme", tolerance=0.005):
    """Markdown for one family: the candidates table and the criteria."""
    recs = [r for r in records if r["family"] == family]
    by = {}
    for r in recs:
        by.setdefault(r["split"], {})[r["method"]] = r
    methods = _methods_names(family)
    parents = [m[5:] for m in methods if m.startswith("from:")]
    splits = sorted(k for k, v in by.items() if all(m in v for m in methods))
    if not splits:
        return f"### {family}\n\n(no complete split)\n"
    metric = recs[0]["metric"]
    picks = [by[s]["routed_pool"]["picked"] or SCRATCH for s in splits]
    rows = []
    for name in [SCRATCH, *parents]:
        method = "scratch" if name == SCRATCH else f"from:{name}"
        acc = [by[s][method]["score"] for s in splits]
        cand = [by[s]["routed_pool"]["candidates"][name] for s in splits]
        rows.append(
            f"| {name} | "
            + " | ".join(f"{np.nanmean([c[k] for c in cand]):.3f}" for k in SCORES)
            + f" | {100 * np.mean(acc):.2f} | {picks.count(name)}/{len(splits)} |"
        )
    head = "| candidate | " + " | ".join(SCORES) + f" | {metric} % | picked |"
    sep = "|" + "---|" * (len(SCORES) + 3)
    # criteria, per split
    within = within_all = 0
    rhos = {k: [] for k in SCORES}
    for s in splits:
        acc = {p: by[s][f"from:{p}"]["score"] for p in parents}
        acc_all = {**acc, SCRATCH: by[s]["scratch"]["score"]}
        got = by[s]["routed_pool"]["score"]
        within += got >= max(acc.values()) - tolerance
        within_all += got >= max(acc_all.values()) - tolerance
        cand = by[s]["routed_pool"]["candidates"]
        a = np.array([acc[p] for p in parents])
        for k in SCORES:
            v = np.array([cand[p][k] for p in parents], dtype=float)
            sign = -1 if k == "stasis" else 1  # low stasis = good
            if np.ptp(v[np.isfinite(v)]) > 0 and np.ptp(a) > 0:
                ok = np.isfinite(v)
                rhos[k].append(sign * stats.spearmanr(v[ok], a[ok]).statistic)
    mean_acc = {
        p: np.mean([by[s][f"from:{p}"]["score"] for s in splits]) for p in parents
    }
    best = max(mean_acc, key=mean_acc.get)
    mean_all = {
        **mean_acc,
        SCRATCH: np.mean([by[s]["scratch"]["score"] for s in splits]),
    }
    near = sum(mean_all[p] >= max(mean_all.values()) - tolerance for p in picks)
    a = np.array([mean_acc[p] for p in parents])
    rho_means = {}
    for k in SCORES:
        v = np.array(
            [
                np.nanmean([by[s]["routed_pool"]["candidates"][p][k] for s in splits])
                for p in parents
            ]
        )
        sign = -1 if k == "stasis" else 1
        varies = np.ptp(v) > 0 and np.ptp(a) > 0
        rho_means[k] = sign * stats.spearmanr(v, a).statistic if varies else np.nan
    routed = np.array([by[s]["routed_pool"]["score"] for s in splits])
    scratch = np.array([by[s]["scratch"]["score"] for s in splits])
    best_acc = np.array([by[s][f"from:{best}"]["score"] for s in splits])
    forced_same = sum(
        abs(
            by[s]["routed_pool"]["score"]
            - by[s]["scratch" if p == SCRATCH else f"from:{p}"]["score"]
        )
        < 1e-12
        for s, p in zip(splits, picks, strict=True)
    )
    n = len(splits)
    damaged = picks.count("damaged")
    fixed = {}  # a fixed candidate on every split: within 0.5 pp of the best parent
    for name in [SCRATCH, *parents]:
        method = "scratch" if name == SCRATCH else f"from:{name}"
        fixed[name] = sum(
            by[s][method]["score"]
            >= max(by[s][f"from:{p}"]["score"] for p in parents) - tolerance
            for s in splits
        )
    top = max(fixed, key=fixed.get)
    lines = [
        f"### {family}",
        "",
        recs[0].get("description", ""),
        "",
        f"Mean over {n} splits; scores on the child's training rows (LogME, LEEP: "
        "higher is better; knn, logreg: CV accuracy of a probe on the warm-started "
        "network's last hidden features; stasis of the parent on the child's X).",
        "",
        head,
        sep,
        *rows,
        "",
        f"- pick is the best parent or within 0.5 pp of it: {within}/{n} splits "
        f"(best of parents and scratch: {within_all}/{n}); damaged picked "
        f"{damaged}/{n}; the routed fit equals the forced fit of its pick on "
        f"{forced_same}/{n}",
        f"- feasibility: the best fixed candidate ({top}, on every split) is the "
        f"best parent or within 0.5 pp of it on {fixed[top]}/{n} splits ("
        + ", ".join(f"{k} {v}" for k, v in fixed.items())
        + ")",
        f"- the pick's candidate is within 0.5 pp of the best mean {metric} (over "
        f"splits, scratch included): {near}/{n} splits",
        "- Spearman correlation of score with accuracy across the 6 parents, per "
        "split then averaged (stasis sign-flipped): "
        + ", ".join(f"{k} {np.mean(v):+.2f}" for k, v in rhos.items() if v),
        "- the same, of the parents' mean score with their mean accuracy: "
        + ", ".join(f"{k} {v:+.2f}" for k, v in rho_means.items()),
        f"- routed_pool - scratch: {_ci(routed - scratch)} pp (paired, 95% t CI)",
        f"- routed_pool - best single parent ({best}): {_ci(routed - best_acc)} pp",
        "",
    ]
    return "\n".join(lines)


def noise_report(records, family, tolerance=0.005):
    """What the network's seed alone does to a split's ranking of the parents.

    On splits with the forced fits at both seeds: how often the candidate
    best at the first seed is, at the second, the best parent or within
    ``tolerance`` of it (the criterion of issue 19 met by an oracle that
    knows the first seed's outcome), and the Spearman correlation of the
    parents' accuracies at the two seeds (what a score read before training
    can hope to reach, per split). ``None`` without reseeded records.
    """
    by = {}
    for r in records:
        if r["family"] == family:
            by.setdefault(r["split"], {})[r["method"]] = r["score"]
    forced = [m for m in _methods_names(family) if m != "routed_pool"]
    parents = [m for m in forced if m.startswith("from:")]
    splits = sorted(
        s for s, v in by.items() if all(m in v and m + RESEED in v for m in forced)
    )
    if not splits:
        return None
    hit = {"parents": 0, "scratch included": 0}
    rhos = []
    for s in splits:
        first, second = by[s], {m: by[s][m + RESEED] for m in forced}
        best_second = max(second[p] for p in parents)
        for key, pool in (("parents", parents), ("scratch included", forced)):
            oracle = max(pool, key=first.get)
            hit[key] += second[oracle] >= best_second - tolerance
        a, b = [first[p] for p in parents], [second[p] for p in parents]
        if np.ptp(a) > 0 and np.ptp(b) > 0:
            rhos.append(stats.spearmanr(a, b).statistic)
    n = len(splits)
    return (
        f"- seed noise ({n} splits refitted at another network seed, same rows): "
        f"the candidate best at the first seed is the best parent or within "
        f"{100 * tolerance:.1f} pp of it at the second on {hit['parents']}/{n} "
        f"(picking among parents) and {hit['scratch included']}/{n} (scratch "
        f"included); Spearman of the parents' accuracies at the two seeds, per "
        f"split then averaged: {np.mean(rhos):+.2f}"
    )


def report(records, families):
    """The whole report, family by family."""
    parts = []
    for f in families:
        text = family_report(records, f)
        noise = noise_report(records, f)
        parts.append(text if noise is None else text.rstrip("\n") + "\n" + noise + "\n")
    return "\n".join(parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", nargs="+", default=list(FAMILIES))
    p.add_argument("--splits", type=int, default=10)
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--out", help="also write the Markdown report here")
    p.add_argument(
        "--timing", action="store_true", help="also time the pick against a fit"
    )
    p.add_argument(
        "--reseed",
        action="store_true",
        help="also refit the forced fits at another network seed (the seed noise)",
    )
    args = p.parse_args(argv)
    cache = Path(args.cache)
    if not args.report_only:
        run(args.families, args.splits, cache, reseed=args.reseed)
    text = report(_load(cache), args.families)
    if args.timing:
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        with threadpool_limits(1), torch.random.fork_rng(devices=[]):
            text += "\n" + timing()
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
