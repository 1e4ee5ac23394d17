"""Choose a fixed plan by size from the calibration records, leaving each data set out.

The race (``choose_race.py``) picks a plan per task from held-out scores; this
script asks the cheaper question first: is there a *fixed* rule, one plan for
small data and another above a number of training rows, that beats today's
default plan on data it was not chosen on? It reads the full trajectories of
``benchmarks/calibrate_race.py`` (each candidate trained on the outer training
rows, the outer test fold scored after every epoch):

- the plans: every recorded candidate at its routed budget (``default``,
  ``h32``, ``do3``, ``wd10``, ``wd0``) and the default at two and four times
  its budget (``x2``, ``x4``: the first epochs of ``long``, which trains four
  times the routed budget, capped at 500 epochs);
- a rule is (plan up to ``n0`` training rows, plan above), ``n0`` from a
  grid; a rule's score on a data set is the mean outer balanced accuracy of
  its plan over the folds;
- leave-one-data-set-out: for each data set, the rule with the best mean on
  the others, scored on it; paired 95 % t intervals over data sets against
  the default and against each peer, pooled and by size bucket.

Usage::

    python benchmarks/choose_plan.py --out docs/_static/choose_plan.md
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402

from choose_race import BUCKETS, CACHE, PEERS, _fmt, load, paired, per_dataset  # noqa: E402

THRESHOLDS = (0, 500, 1000, 2000, 3000, 5000, 10**9)
METRICS = {"bacc": "balanced_accuracy", "f1": "macro_f1", "mrec": "minority_recall"}


def plan_scores(split, metric="bacc"):
    """Outer test ``metric`` of every plan on one split (plans missing: absent)."""
    traj = split["traj"]
    out = {}
    for name, rec in traj.items():
        if name != "long":
            out[name] = rec["full"][metric][-1]
    if "long" in traj and "default" in traj:
        seq = traj["long"]["full"][metric]
        e = traj["default"]["full"]["epochs"]
        out["x2"] = seq[min(2 * e, len(seq)) - 1]
        out["x4"] = seq[-1]
    return out


def tables(splits, metric="bacc"):
    """``plans[plan][data]`` and ``peers[peer][data]`` means, ``rows[data]``."""
    plans, peers, rows = {}, {}, {}
    for key, s in splits.items():
        for name, v in plan_scores(s, metric).items():
            plans.setdefault(name, {})[key] = v
        for p in PEERS:
            if p in s["peer"]:
                peers.setdefault(p, {})[key] = s["peer"][p][METRICS[metric]]
        rows.setdefault(key[0], []).append(s["n"])
    plans = {p: per_dataset(v) for p, v in plans.items()}
    peers = {p: per_dataset(v) for p, v in peers.items()}
    return plans, peers, {d: float(np.median(n)) for d, n in rows.items()}


def complete(plans, data):
    """Plans recorded on every data set."""
    return sorted(p for p, v in plans.items() if all(d in v for d in data))


def rules(names, thresholds=THRESHOLDS):
    """(small plan, large plan, n0): the small plan up to n0 rows."""
    out = {("default", "default", 10**9)}
    for a in names:
        for b in names:
            for n0 in thresholds:
                if a != b or n0 == 10**9:
                    out.add((a, b, n0) if a != b else (a, a, 10**9))
    return sorted(out, key=str)


def rule_score(rule, plans, rows, d):
    small, large, n0 = rule
    return plans[small if rows[d] <= n0 else large][d]


def leave_one_out(rule_list, plans, rows, data):
    """For each data set: the rule best on the others and its score there."""
    means = {r: {d: rule_score(r, plans, rows, d) for d in data} for r in rule_list}
    chosen, scores = {}, {}
    for d in data:
        best = max(rule_list, key=lambda r: np.mean([means[r][e] for e in data if e != d]))
        chosen[d], scores[d] = best, means[best][d]
    return chosen, scores, means


def _row_bucket(rows, bucket):
    return [d for d, n in rows.items() if bucket[0] < n <= bucket[1]]


def report(splits):
    plans, peers, rows = tables(splits)
    data = sorted(rows)
    names = complete(plans, data)
    rule_list = rules(names)
    chosen, loo, means = leave_one_out(rule_list, plans, rows, data)
    lines = [
        f"{len(data)} data sets, {len(splits)} outer splits; plans on every set: {names}.",
        f"{len(rule_list)} rules (plan up to n0 rows, plan above; n0 in {list(THRESHOLDS[:-1])}).",
        "",
        "Every plan alone, against the default (pooled balanced accuracy; paired "
        "difference over data sets, 95 % t interval, sets won/tied/lost):",
        "",
        "| plan | pooled % | plan − default |",
        "|---|---|---|",
    ]
    base = plans["default"]
    for p in names:
        diff = paired(plans[p], base)
        lines.append(f"| {p} | {100 * np.mean([plans[p][d] for d in data]):.2f} | {_fmt(diff)} |")
    best = max(rule_list, key=lambda r: np.mean(list(means[r].values())))
    lines += [
        "",
        f"Best rule on all sets (in-sample): {best}, pooled "
        f"{100 * np.mean(list(means[best].values())):.2f} %.",
        "",
        "Leave-one-data-set-out (the rule chosen without the set, scored on it):",
        "",
        f"- against the default: {_fmt(paired(loo, base))}",
    ]
    for p in PEERS:
        if p in peers and all(d in peers[p] for d in data):
            diff = paired(loo, peers[p])
            lines.append(f"- against {p}: {_fmt(diff)}")
    picked = {}
    for d in data:
        picked[chosen[d]] = picked.get(chosen[d], 0) + 1
    lines.append(f"- rules chosen: {dict(sorted(picked.items(), key=lambda kv: -kv[1]))}")
    lines += ["", "By size bucket (training rows), pooled %:", "",
              "| bucket | sets | default | LOO rule | brf | catboost | lgbm |", "|---|---|---|---|---|---|---|"]
    for b in BUCKETS:
        ds = _row_bucket(rows, b)
        if not ds:
            continue
        cells = [f"{100 * np.mean([base[d] for d in ds]):.2f}", f"{100 * np.mean([loo[d] for d in ds]):.2f}"]
        for p in ("brf", "catboost", "lgbm"):
            vals = [peers[p][d] for d in ds if d in peers.get(p, {})]
            cells.append(f"{100 * np.mean(vals):.2f}" if vals else "–")
        hi = "∞" if b[1] >= 10**9 else b[1]
        lines.append(f"| {b[0]}–{hi} | {len(ds)} | " + " | ".join(cells) + " |")
    lines += ["", "Per data set (mean over folds, %):", "",
              "| data | rows | default | " + " | ".join(n for n in names if n != "default") + " | LOO rule | brf |",
              "|---|---|---|" + "---|" * (len(names) - 1) + "---|---|"]
    for d in sorted(data, key=lambda d: rows[d]):
        cells = [f"{100 * plans[p][d]:.1f}" for p in names if p != "default"]
        lines.append(
            f"| {d} | {rows[d]:.0f} | {100 * base[d]:.1f} | " + " | ".join(cells)
            + f" | {100 * loo[d]:.1f} | {100 * peers['brf'][d]:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", default=str(CACHE))
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    splits = {k: s for k, s in load(args.records).items() if "default" in s["traj"]}
    return _cli.emit("benchmarks/choose_plan.py", argv, report(splits), args.out)


if __name__ == "__main__":
    sys.exit(main())
