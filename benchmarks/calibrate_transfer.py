"""Calibrate the transfer tactic's margin ``min_gain`` on other families.

``TransferWarmStart`` copies its best parent only when the parent's LogME
beats scratch's (the best of five fresh starts) by more than ``min_gain``.
The margin is chosen here on *calibration* families, none of which is one
of ``bench_transfer.py``'s three benchmark families (digits 0-4 -> 5-9,
the ``make_classification(random_state=7)`` table, digits 5-9 -> 0-4 with
a long tail):

- ``digits_even``: parents on the even digits, child the odd digits, 8
  training rows a class;
- ``digits_tail37``: parents on digits 3-7, child 0, 1, 2, 8, 9 with 20,
  10, 5, 3, 2 training rows (balanced accuracy);
- ``segment_half``: KEEL ``segment``, parents on 4 of its 7 classes, the
  child the other 3 with 8 rows a class;
- ``vowel_half``: KEEL ``vowel``, parents on 6 of its 11 classes, the
  child the other 5 with 8 rows a class;
- ``texture_coarse``: KEEL ``texture``, parents learn the 11 classes on
  half the rows, the child a coarse 3-class label (class code mod 3) of
  the other rows, 10 rows a class;
- ``synth_coarse``: ``make_classification(random_state=11)``, 6 classes,
  parents learn them on 1800 rows, the child classes ``c`` and ``c + 3``
  merged on the other rows, 10 rows a class.

Each family has the same six parent kinds as the benchmark
(:func:`~skvitalroute.compare.scenarios._transfer.parent_pool`). On each
split the child is fitted from scratch, from each parent (forced), and with
the pool at ``min_gain=0`` (``routed_pool``), whose record keeps every
candidate's LogME as the tactic compared them (``parent_scores``: scratch
is the best of five fresh starts). Since the pick draws on no random
stream, the routed fit *is* the forced fit of its pick (checked:
``forced_same``), so the fit any margin would give is read from the
records exactly: the pick at margin ``m`` is the best allowed parent if its
LogME exceeds scratch's by more than ``m``, else scratch.

The margin is chosen by leave-one-family-out: for each family, the margin
of the grid that maximises the mean ``routed - scratch`` over the *other*
families (ties: the smaller margin); reported with the regret to the best
single candidate (the candidate, scratch included, with the best mean on
that family). The shipped default is the margin chosen on all families
when the left-out choices agree.

Records are cached one line per (family, split, method) in
``benchmarks/results/transfer/calibration.jsonl`` (bench_transfer's record
format); a run fits only what is missing. The reserved acceptance sets are
never loaded (``_router_data``'s reader refuses them by name).

Usage::

    python benchmarks/calibrate_transfer.py --splits 10
    python benchmarks/calibrate_transfer.py --report-only
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks._transfer import SCRATCH, TransferWarmStart
from skvitalroute.compare._metrics import paired_test
from skvitalroute.compare.scenarios._transfer import (
    FORCED,
    TransferFamily,
    _scaled_pool,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _router_data import _check_not_reserved, _read_keel  # noqa: E402
from bench_transfer import CHILD, METRICS, PARENT_CONFIG, _methods_names  # noqa: E402

CACHE = Path(__file__).resolve().parent / "results" / "transfer" / "calibration.jsonl"
#: The margins compared (LogME units).
GRID = (0.0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2)
#: Name of the pool callback of the ``routed_pool`` fit.
POOL = "pool_transfer"


# -- the families --------------------------------------------------------------
def _family(name, X, y, is_parent, child_y, counts, metric, desc, seed=0):
    X, pool = _scaled_pool(
        X, y, is_parent, PARENT_CONFIG, parent_epochs=30, random_state=seed
    )
    return TransferFamily(name, X[~is_parent], child_y, counts, pool, metric, desc)


def _digits(name, parent_classes, counts, metric):
    X, y = load_digits(return_X_y=True)
    is_parent = np.isin(y, parent_classes)
    yc = y[~is_parent]
    child = [int(c) for c in np.unique(yc)]
    by_class = dict(zip(child, counts, strict=True))
    desc = (
        f"sklearn digits: parents on {list(parent_classes)}; child {child} with "
        f"{', '.join(map(str, counts))} training rows"
    )
    return _family(name, X, y, is_parent, yc, by_class, metric, desc)


def _keel_half(name, file, n_parent_classes, per_class):
    _check_not_reserved(file)
    X, y = _read_keel("keel-balanced", file)
    X = X.to_numpy(dtype=float)
    classes = np.unique(y)
    is_parent = np.isin(y, classes[:n_parent_classes])
    yc = np.searchsorted(classes, y[~is_parent]) - n_parent_classes
    counts = {int(c): per_class for c in np.unique(yc)}
    desc = (
        f"KEEL {file}: parents on {n_parent_classes} of {len(classes)} classes; "
        f"child the other {len(counts)}, {per_class} training rows a class"
    )
    return _family(name, X, y, is_parent, yc, counts, "accuracy", desc)


def _coarse(name, X, y, coarse, per_class, what):
    rng = np.random.default_rng(0)
    is_parent = np.zeros(len(y), bool)
    is_parent[rng.permutation(len(y))[: len(y) // 2]] = True
    yc = coarse(y[~is_parent])
    counts = {int(c): per_class for c in np.unique(yc)}
    desc = (
        f"{what}: parents learn the {len(np.unique(y))} classes on half the rows; "
        f"child a coarse {len(counts)}-class label of the others, {per_class} "
        "training rows a class"
    )
    return _family(name, X, y, is_parent, yc, counts, "accuracy", desc)


def _texture():
    _check_not_reserved("texture")
    X, y = _read_keel("keel-balanced", "texture")
    codes = np.unique(y, return_inverse=True)[1]
    return _coarse(
        "texture_coarse", X.to_numpy(float), codes, lambda c: c % 3, 10, "KEEL texture"
    )


def _synth():
    X, y = make_classification(
        n_samples=3600,
        n_features=16,
        n_informative=10,
        n_redundant=3,
        n_classes=6,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=11,
    )
    return _coarse(
        "synth_coarse",
        X,
        y,
        lambda c: c % 3,
        10,
        "make_classification(random_state=11), 6 classes",
    )


#: Calibration family name -> builder (none is a benchmark family).
FAMILIES = {
    "digits_even": lambda: _digits(
        "digits_even", (0, 2, 4, 6, 8), (8,) * 5, "accuracy"
    ),
    "digits_tail37": lambda: _digits(
        "digits_tail37", (3, 4, 5, 6, 7), (20, 10, 5, 3, 2), "balanced_accuracy"
    ),
    "segment_half": lambda: _keel_half("segment_half", "segment", 4, 8),
    "vowel_half": lambda: _keel_half("vowel_half", "vowel", 6, 8),
    "texture_coarse": _texture,
    "synth_coarse": _synth,
}


# -- the fits ------------------------------------------------------------------
def _fit(family, split, method):
    """One fit and its record (bench_transfer's format)."""
    pool = family.pool
    params = dict(CHILD, random_state=int(split.seed), tactics="none")
    cb = None
    if method.startswith("from:"):
        name = method[5:]
        cb = TransferWarmStart(
            [(name, dict(pool)[name])], scratch=False, max_stasis=None
        )
        params["callbacks"] = [(FORCED, cb)]
    elif method == "routed_pool":
        cb = TransferWarmStart(pool, min_gain=0.0)
        params["callbacks"] = [(POOL, cb)]
    X, y = family.X.astype(np.float32), family.y
    start = time.perf_counter()
    clf = VitalRouteClassifier(**params).fit(X[split.train], y[split.train])
    fit_time = time.perf_counter() - start
    pred = clf.predict(X[split.test])
    rec = {
        "family": family.name,
        "split": int(split.seed),
        "method": method,
        "metric": family.metric,
        "score": float(METRICS[family.metric](y[split.test], pred)),
        "n_train": int(len(split.train)),
        "description": family.description,
        "fit_time": fit_time,
    }
    if method == "routed_pool":
        rec.update(
            picked=cb.parent_,
            vetoed=list(cb.vetoed_),
            reason=cb.reason_,
            parent_scores=dict(cb.parent_scores_),
            stasis=dict(cb.stasis_),
        )
    return rec


def _load(cache):
    if not cache.exists():
        return []
    return [json.loads(line) for line in cache.read_text().splitlines() if line]


def run(families, splits, cache=CACHE):
    """Fit every missing (family, split, method), split by split."""
    from threadpoolctl import threadpool_limits

    cache.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["family"], r["split"], r["method"]) for r in _load(cache)}
    built = {}
    with (
        torch.random.fork_rng(devices=[]),
        threadpool_limits(1),
        cache.open("a") as out,
    ):
        torch.set_num_threads(1)
        for s in range(splits):
            for name in families:
                for method in _methods_names(name):
                    if (name, s, method) in done:
                        continue
                    if name not in built:
                        start = time.perf_counter()
                        built[name] = FAMILIES[name]()
                        took = time.perf_counter() - start
                        print(f"{name}: pool built in {took:.1f} s", file=sys.stderr)
                    rec = _fit(built[name], built[name].split(s), method)
                    out.write(json.dumps(rec) + "\n")
                    out.flush()
            print(f"split {s} done", file=sys.stderr)


# -- the simulation ------------------------------------------------------------
def table(records, family):
    """Per complete split: accuracy of every candidate and the pool's scores.

    Returns
    -------
    rows : list of dict
        ``{"acc": {candidate: score}, "scores": {candidate: LogME},
        "vetoed": [...], "routed": score, "picked": name}`` per split.
    """
    by = {}
    for r in records:
        if r["family"] == family:
            by.setdefault(r["split"], {})[r["method"]] = r
    methods = _methods_names(family)
    rows = []
    for s in sorted(by):
        if not all(m in by[s] for m in methods):
            continue
        acc = {
            (SCRATCH if m == "scratch" else m[5:]): by[s][m]["score"]
            for m in methods
            if m != "routed_pool"
        }
        routed = by[s]["routed_pool"]
        scores = routed.get("parent_scores") or {
            k: v["logme"] for k, v in routed["candidates"].items()
        }
        rows.append(
            {
                "acc": acc,
                "scores": scores,
                "vetoed": routed.get("vetoed", []),
                "routed": routed["score"],
                "picked": routed["picked"] or SCRATCH,
            }
        )
    return rows


def pick(row, margin):
    """The candidate the tactic picks at ``margin`` on one split's record."""
    scores = row["scores"]
    allowed = [n for n in scores if n != SCRATCH and n not in row["vetoed"]]
    if not allowed:
        return SCRATCH
    best = max(allowed, key=scores.get)
    return best if scores[best] > scores[SCRATCH] + margin else SCRATCH


def simulate(rows, margin):
    """Per-split accuracy of the pick at ``margin``, scratch's, and the best
    single candidate's (best mean over the splits, scratch included)."""
    got = np.array([r["acc"][pick(r, margin)] for r in rows])
    scratch = np.array([r["acc"][SCRATCH] for r in rows])
    names = list(rows[0]["acc"])
    means = {n: np.mean([r["acc"][n] for r in rows]) for n in names}
    best = max(means, key=means.get)
    return got, scratch, np.array([r["acc"][best] for r in rows]), best


def objective(tables, margin, families, against="scratch"):
    """Mean over ``families`` of the mean ``routed - scratch`` at ``margin``
    (``against="best"``: ``routed - best single candidate``, minus the regret)."""
    col = {"scratch": 1, "best": 2}[against]
    out = []
    for f in families:
        sim = simulate(tables[f], margin)
        out.append(np.mean(sim[0] - sim[col]))
    return float(np.mean(out))


def choose(tables, families, grid=GRID, against="scratch"):
    """The margin of ``grid`` with the best objective (ties: the smaller)."""
    values = [objective(tables, m, families, against) for m in grid]
    return grid[int(np.argmax(np.round(values, 10)))]


def _pp(x):
    return f"{100 * x:+.2f}"


def _ci(d):
    t = paired_test(d)
    return f"{_pp(t['mean'])} [{_pp(t['ci_low'])}, {_pp(t['ci_high'])}]"


def report(records, families, grid=GRID):
    """Markdown: the check, the grid, the leave-one-family-out choice."""
    tables = {f: table(records, f) for f in families}
    tables = {f: t for f, t in tables.items() if t}
    fams = list(tables)
    lines = ["## Calibration of min_gain (TransferWarmStart)", ""]
    for f in fams:
        rows = tables[f]
        same = sum(abs(r["routed"] - r["acc"][r["picked"]]) < 1e-12 for r in rows)
        gap = np.mean(
            [
                max(v for k, v in r["scores"].items() if k != SCRATCH)
                - r["scores"][SCRATCH]
                for r in rows
            ]
        )
        _, scratch, best_acc, best = simulate(rows, 0.0)
        lines.append(
            f"- {f}: {len(rows)} splits; routed_pool (min_gain=0) equals the forced "
            f"fit of its pick on {same}/{len(rows)}; best single candidate {best} "
            f"({_ci(best_acc - scratch)} pp over scratch); mean LogME lead of the "
            f"best parent over scratch {gap:+.3f}"
        )
    for title, col in (("routed - scratch", 1), ("routed - best single candidate", 2)):
        lines += [
            "",
            f"Mean {title} (pp) by margin, per family (simulated from the forced "
            "fits):",
            "",
            "| min_gain | " + " | ".join(fams) + " | mean |",
            "|---|" + "---|" * (len(fams) + 1),
        ]
        for m in grid:
            vals = []
            for f in fams:
                sim = simulate(tables[f], m)
                vals.append(np.mean(sim[0] - sim[col]))
            lines.append(
                f"| {m:g} | "
                + " | ".join(_pp(v) for v in vals)
                + f" | {_pp(np.mean(vals))} |"
            )
    lines += [
        "",
        "Leave one family out (the margin chosen on the other families, applied "
        "to the left-out one; routed - scratch and routed - best single "
        "candidate, pp, paired 95% t CI):",
        "",
        "| left out | min_gain chosen by routed - scratch | routed - scratch | "
        "regret: routed - best candidate | min_gain chosen by regret | "
        "routed - scratch | regret |",
        "|---|---|---|---|---|---|---|",
    ]
    chosen = {"scratch": [], "best": []}
    for f in fams:
        cells = []
        for against in chosen:
            m = choose(tables, [g for g in fams if g != f], grid, against)
            chosen[against].append(m)
            got, scratch, best_acc, best = simulate(tables[f], m)
            cells.append(f"{m:g} | {_ci(got - scratch)} | {_ci(got - best_acc)}")
        lines.append(f"| {f} ({best}) | " + " | ".join(cells) + " |")
    lines.append("")
    for against, what in (("scratch", "routed - scratch"), ("best", "regret")):
        overall = choose(tables, fams, grid, against)
        lines.append(
            f"Chosen by {what} on all {len(fams)} families: min_gain={overall:g} "
            f"(left-out choices: {', '.join(f'{m:g}' for m in chosen[against])})."
        )
    lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", nargs="+", default=list(FAMILIES))
    p.add_argument("--splits", type=int, default=10)
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--report-only", action="store_true")
    args = p.parse_args(argv)
    cache = Path(args.cache)
    if not args.report_only:
        run(args.families, args.splits, cache)
    print(report(_load(cache), args.families))
    return 0


if __name__ == "__main__":
    sys.exit(main())
