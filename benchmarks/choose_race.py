"""Choose the race's rule from the calibration records, nested and leave-one-out.

Reads the records of ``benchmarks/calibrate_race.py`` and simulates the
race exactly as ``VitalRouteClassifier`` runs it: on each outer training
split, every candidate's inner trajectory (trained on 75 % of the outer
training rows) is read at the checkpoints of its budget, the winner is
picked by :func:`skvitalroute.routing._race.pick_winner` (the package's
own rule), and the outer test score is that of the winner's refit, read
off its full trajectory at the same number of optimizer steps. The race
only sees outer training rows: the estimate is nested.

A rule is (candidate set, checkpoints, margin). The script reports:

- the rule as shipped (``--rule``), against the fixed default plan
  (today's ``VitalRouteClassifier()``) and the peers, pooled and per size
  bucket, with paired 95 % t intervals over data sets;
- how often the race picks the (candidate, budget) that is best on the
  outer test fold, and the oracle (the best candidate per data set);
- leave-one-data-set-out: the rule chosen from a grid without data set
  *d*, scored on *d*;
- the race's cost: the candidates' inner fits plus the refit, against one
  default fit (training time from the records).

Usage::

    python benchmarks/choose_race.py --out docs/_static/choose_race.md
    python benchmarks/choose_race.py --rule default h32 do3 wd10 --checkpoints 0.25 0.5 1 \
        --margin 0.0 --criterion bacc
"""

import argparse
import json
import math
import os
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402

from _router_data import ADDED  # noqa: E402

from skvitalroute.routing._race import (  # noqa: E402
    checkpoint_epochs,
    pick_winner,
    refit_epochs,
)

CACHE = Path("benchmarks/results/race/records.jsonl")
PEERS = ("brf", "logreg", "lgbm", "catboost", "inv_e30", "la_e30")
BUCKETS = ((0, 500), (500, 5000), (5000, 10**9))


def bucket_table(bacc, columns, data, size):
    """Markdown rows of pooled balanced accuracy by training-rows bucket.

    ``bacc[key][d]`` is a score in [0, 1] for each set ``d`` of ``data``;
    ``columns`` maps each key to its column header; ``size[d]`` is the
    set's training rows. Buckets without a set are left out.
    """
    lines = [
        "| rows | sets | " + " | ".join(columns.values()) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for lo, hi in BUCKETS:
        ds = [d for d in data if lo < size[d] <= hi]
        if ds:
            cells = [f"{100 * np.mean([bacc[k][d] for d in ds]):.2f}" for k in columns]
            top = "∞" if hi >= 10**9 else hi
            lines.append(f"| {lo}–{top} | {len(ds)} | " + " | ".join(cells) + " |")
    return lines


#: races as VitalRouteClassifier ran them (one record per split, calibrate_race.py
#: --peers race_bll auto_race): report row -> record name. ``race_measured`` is
#: the shipped rule, ``race4_measured`` the first race (4 candidates, 3
#: checkpoints, balanced accuracy); ``auto_race`` rows are simulations.
MEASURED = {"race_measured": "race_bll", "race4_measured": "auto_race"}


def load(path):
    """``splits[(data, fold)]`` -> {"n": n_train, "traj": {cand: rec}, "peer": {...}}."""
    splits = {}
    for line in Path(path).read_text().splitlines():
        r = json.loads(line)
        key = (r["data"], r["seed"], r["fold"])
        s = splits.setdefault(key, {"n": r["n_train"], "traj": {}, "peer": {}})
        if r["candidate"].startswith("traj:"):
            s["traj"][r["candidate"][5:]] = r
        else:
            s["peer"][r["candidate"]] = r
    return splits


def _final(traj, metric="bacc"):
    return traj["full"][metric][-1]


#: held-out criteria: balanced accuracy, or minus the balanced log-loss
CRITERIA = {
    "bacc": lambda inner, e: inner["bacc"][e - 1],
    "bll": lambda inner, e: -inner["bll"][e - 1],
}


def simulate(
    split, cands, fractions, margin, max_rows=5000, criterion="bacc", min_rows=0
):
    """Outer test metrics of the race on one split, and what it picked."""
    traj = split["traj"]
    default = traj["default"]
    if split["n"] > max_rows or split["n"] < min_rows or "inner" not in default:
        return _at(default, len(default["full"]["bacc"])), ("default", None)
    scores, budgets = {}, {}
    read = CRITERIA[criterion]
    for c in cands:
        inner = traj[c]["inner"]
        epochs = checkpoint_epochs(inner["epochs"], fractions)
        scores[c] = {e: read(inner, e) for e in epochs}
        budgets[c] = inner["epochs"]
    name, epoch = pick_winner(scores, margin=margin)
    full = traj[name]["full"]
    e_full = refit_epochs(
        epoch,
        budgets[name],
        full["epochs"],
        traj[name]["inner"]["per_epoch"],
        full["per_epoch"],
    )
    return _at(traj[name], e_full), (name, epoch)


def _at(traj, epoch):
    full = traj["full"]
    return {m: full[m][epoch - 1] for m in ("bacc", "f1", "mrec")}


def usable(splits, cands):
    """Splits with every candidate's trajectory (and the default's)."""
    out = {}
    for key, s in splits.items():
        if "default" not in s["traj"]:
            continue
        if s["n"] <= 5000 and not all(
            c in s["traj"] and "inner" in s["traj"][c] for c in cands
        ):
            continue
        out[key] = s
    return out


def per_dataset(values):
    """Mean over folds, per data set: ``values[(data, seed, fold)] -> float``."""
    by = {}
    for (d, _, _), v in values.items():
        by.setdefault(d, []).append(v)
    return {d: float(np.mean(v)) for d, v in by.items()}


def paired(a, b):
    """Mean difference a - b over data sets, 95 % t interval, wins/ties/losses."""
    ds = sorted(set(a) & set(b))
    diff = np.array([a[d] - b[d] for d in ds])
    mean = diff.mean()
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / math.sqrt(len(diff))
    wins = int((diff > 1e-9).sum())
    losses = int((diff < -1e-9).sum())
    return mean, mean - half, mean + half, wins, len(diff) - wins - losses, losses


def _fmt(p):
    return (
        f"{100 * p[0]:+.2f} pp [{100 * p[1]:+.2f}, {100 * p[2]:+.2f}] "
        f"{p[3]}/{p[4]}/{p[5]}"
    )


def method_scores(
    splits, cands, fractions, margin, metric="bacc", criterion="bacc", min_rows=0
):
    """Per data set means of the race, the default and each peer."""
    race, default, picks = {}, {}, {}
    peers = {p: {} for p in PEERS}
    for key, s in splits.items():
        out, pick = simulate(
            s, cands, fractions, margin, criterion=criterion, min_rows=min_rows
        )
        race[key] = out[metric]
        picks[key] = pick
        default[key] = _at(
            s["traj"]["default"], s["traj"]["default"]["full"]["epochs"]
        )[metric]
        pm = {"bacc": "balanced_accuracy", "f1": "macro_f1", "mrec": "minority_recall"}
        for p in PEERS:
            if p in s["peer"]:
                peers[p][key] = s["peer"][p][pm[metric]]
    out = {"auto_race": per_dataset(race), "auto_fixed": per_dataset(default)}
    # the race as VitalRouteClassifier(router__race=True) ran it (a record
    # per split), beside its simulation from the trajectories
    for row, record in MEASURED.items():
        measured = {
            key: s["peer"][record][pm[metric]]
            for key, s in splits.items()
            if record in s["peer"]
        }
        if len(measured) == len(splits):
            out[row] = per_dataset(measured)
    for p, v in peers.items():
        if v:
            out[p] = per_dataset(v)
    return out, picks


def grid(all_cands):
    """The rules compared leaving each data set out."""
    others = [c for c in all_cands if c != "default"]
    sets = [
        ("default", *combo)
        for k in range(1, len(others) + 1)
        for combo in combinations(others, k)
    ]
    fractions = [(1.0,), (0.5, 1.0), (0.25, 0.5, 1.0)]
    margins = [0.0, 0.01, 0.02]
    crit = ["bacc", "bll"]
    mins = [0, 300, 600]
    fixed = [((c,), (1.0,), 0.0, 5000, "bacc", 0) for c in all_cands]
    return fixed + [
        (s, f, m, 5000, c, r)
        for s in sets
        for f in fractions
        for m in margins
        for c in crit
        for r in mins
    ]


def rule_means(splits, rules):
    """``means[rule][data]``: the race's outer score per data set."""
    out = {}
    for rule in rules:
        vals = {k: simulate(s, *rule)[0]["bacc"] for k, s in splits.items()}
        out[rule] = per_dataset(vals)
    return out


def leave_one_out(splits, rules):
    """For each data set, the rule chosen on the others and its score there."""
    means = rule_means(splits, rules)
    data = sorted(next(iter(means.values())))
    chosen, scores = {}, {}
    for d in data:
        best = max(rules, key=lambda r: np.mean([means[r][e] for e in data if e != d]))
        chosen[d] = best
        scores[d] = means[best][d]
    return chosen, scores, means


def best_pick_rate(splits, cands, fractions, margin, criterion="bacc", min_rows=0):
    """Raced splits where the pick is the best (candidate, budget) on the test fold.

    The best is taken over the same (candidate, checkpoint) pairs the race
    chooses from, each mapped to its refit as the race maps it; a pick
    within 0.5 pp of it counts.
    """
    hit = total = 0
    for s in splits.values():
        if s["n"] > 5000 or "inner" not in s["traj"]["default"]:
            continue
        if s["n"] < min_rows:
            continue
        out, _ = simulate(s, cands, fractions, margin, criterion=criterion)
        best = max(
            simulate(s, [c], (f,), 0.0)[0]["bacc"] for c in cands for f in fractions
        )
        hit += out["bacc"] >= best - 0.005
        total += 1
    return hit, total


def cost(splits, cands):
    """Median (race time / default fit time) over raced splits, by size bucket."""
    ratios = {b: [] for b in BUCKETS}
    for s in splits.values():
        d = s["traj"]["default"]
        base = d["full"]["train_time"]
        if s["n"] > 5000 or "inner" not in d:
            r = 1.0
        else:
            r = sum(s["traj"][c]["inner"]["train_time"] for c in cands) / base + 1.0
        for b in BUCKETS:
            if b[0] < s["n"] <= b[1]:
                ratios[b].append(r)
    return {b: float(np.median(v)) if v else float("nan") for b, v in ratios.items()}


def report(splits, cands, fractions, margin, all_cands, criterion="bacc", min_rows=0):
    lines = []
    n_data = len({k[0] for k in splits})
    lines.append(f"{n_data} data sets, {len(splits)} outer splits.")
    lines.append(
        f"Rule: candidates {list(cands)}, checkpoints {list(fractions)}, "
        f"margin {margin:g}, criterion {criterion}, race from {min_rows} rows"
    )
    for metric, label in (
        ("bacc", "balanced accuracy"),
        ("f1", "macro-F1"),
        ("mrec", "minority recall"),
    ):
        scores, picks = method_scores(
            splits, cands, fractions, margin, metric, criterion, min_rows
        )
        lines.append("")
        lines.append(f"Pooled {label} (%), mean over data sets:")
        common = set.intersection(*(set(v) for v in scores.values()))
        for m, v in scores.items():
            lines.append(f"  {m:11s} {100 * np.mean([v[d] for d in common]):.2f}")
        if metric != "bacc":
            continue
        lines.append(f"  ({len(common)} data sets with every method)")
        lines.append("")
        lines.append("Paired differences, balanced accuracy (data sets won/tied/lost):")
        race = scores["auto_race"]
        for m in scores:
            if m != "auto_race":
                lines.append(f"  auto_race - {m:11s} {_fmt(paired(race, scores[m]))}")
        fixed = scores["auto_fixed"]
        for m in scores:
            if m not in ("auto_race", "auto_fixed"):
                lines.append(f"  auto_fixed - {m:10s} {_fmt(paired(fixed, scores[m]))}")
        for row in MEASURED:
            if row not in scores:
                continue
            for m in scores:
                if m != row:
                    lines.append(
                        f"  {row} - {m:10s} {_fmt(paired(scores[row], scores[m]))}"
                    )
        added = [d for d in fixed if d in ADDED]
        if added:
            lines.append(
                f"  on the {len(added)} sets added in issue 23 (never used to choose "
                "the fixed plan):"
            )
            for m in ("brf", "logreg", "lgbm", "la_e30", "inv_e30"):
                if m in scores:
                    sub = {d: fixed[d] for d in added}
                    lines.append(
                        f"    auto_fixed - {m:8s} {_fmt(paired(sub, scores[m]))}"
                    )
        lines.append("")
        lines.append("By training-set size (pooled balanced accuracy %, race vs BRF):")
        sizes = {}
        for (d, _, _), s in splits.items():
            sizes.setdefault(d, []).append(s["n"])
        for lo, hi in BUCKETS:
            ds = [d for d in race if lo < np.mean(sizes[d]) <= hi]
            if not ds:
                continue
            line = f"  {lo:>5d} < n <= {hi if hi < 10**9 else 'inf'}: {len(ds):2d} sets"
            for m in (
                "auto_race",
                *MEASURED,
                "auto_fixed",
                "brf",
                "logreg",
                "lgbm",
                "catboost",
            ):
                if m in scores and all(d in scores[m] for d in ds):
                    line += f"  {m} {100 * np.mean([scores[m][d] for d in ds]):.2f}"
            lines.append(line)
        lines.append("")
        lines.append(
            "Per data set (balanced accuracy %): race, fixed default, BRF, race picks"
        )
        for d in sorted(race):
            ps = [picks[k] for k in picks if k[0] == d]
            names = ",".join(p[0] for p in ps)
            brf = scores.get("brf", {}).get(d, float("nan"))
            lines.append(
                f"  {d:34s} {100 * race[d]:6.2f} {100 * scores['auto_fixed'][d]:6.2f} "
                f"{100 * brf:6.2f}  {names}"
            )
        # mean rank among everything
        methods = [m for m in scores if all(d in scores[m] for d in common)]
        ranks = []
        for d in sorted(common):
            vals = np.array([scores[m][d] for m in methods])
            ranks.append(stats.rankdata(-vals))
        lines.append("")
        lines.append("Mean rank over data sets (1 = best):")
        for m, r in zip(methods, np.mean(ranks, axis=0), strict=True):
            lines.append(f"  {m:11s} {r:.2f}")
    hit, total = best_pick_rate(splits, cands, fractions, margin, criterion, min_rows)
    lines.append("")
    lines.append(
        f"The race's pick is the best (candidate, budget) on the outer test fold, "
        f"within 0.5 pp, on {hit} of {total} raced splits."
    )
    oracle = {}
    for (d, seed, fold), s in splits.items():
        if s["n"] > 5000 or "inner" not in s["traj"]["default"]:
            continue
        oracle.setdefault(d, {})
        for c in cands:
            oracle[d].setdefault(c, []).append(_final(s["traj"][c]))
    orc = {d: max(np.mean(v) for v in by.values()) for d, by in oracle.items()}
    scores0 = method_scores(
        splits, cands, fractions, margin, criterion=criterion, min_rows=min_rows
    )[0]
    fixed, race = scores0["auto_fixed"], scores0["auto_race"]
    ds = sorted(orc)
    lines.append(
        f"Oracle (best candidate per data set, full budget) - fixed default on the "
        f"{len(ds)} raced sets: {100 * np.mean([orc[d] - fixed[d] for d in ds]):+.2f} pp; "
        f"race - fixed: {100 * np.mean([race[d] - fixed[d] for d in ds]):+.2f} pp."
    )
    lines.append("")
    lines.append(
        "Race cost (median of candidates' inner training time + a refit, / one default fit):"
    )
    for b, r in cost(splits, cands).items():
        lines.append(f"  {b[0]} < n <= {b[1] if b[1] < 10**9 else 'inf'}: {r:.2f}x")
    rules = grid(all_cands)
    chosen, loo, means = leave_one_out(splits, rules)
    lines.append("")
    lines.append(f"Leave one data set out ({len(rules)} rules in the grid):")
    shipped = (tuple(cands), tuple(fractions), margin, 5000, criterion, min_rows)
    same = sum(chosen[d] == shipped for d in chosen)
    lines.append(
        f"  the shipped rule is the left-out choice for {same} of {len(chosen)} data sets"
    )
    from collections import Counter

    for rule, k in Counter(chosen.values()).most_common(5):
        lines.append(
            f"  chosen {k:2d}x: {list(rule[0])} checkpoints {list(rule[1])} "
            f"margin {rule[2]:g} criterion {rule[4]} min_rows {rule[5]}"
        )
    scores = scores0
    for m in ("auto_fixed", "brf", "logreg", "lgbm", "catboost", "la_e30", "inv_e30"):
        if m in scores:
            lines.append(f"  left-out rule - {m:10s} {_fmt(paired(loo, scores[m]))}")
    lines.append(
        f"  left-out rule - shipped    {_fmt(paired(loo, scores['auto_race']))}"
    )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", default=str(CACHE))
    # the shipped rule (skvitalroute/routing/_default.py): the leave-one-out choice
    p.add_argument("--rule", nargs="+", default=["default", "wd10"])
    p.add_argument("--checkpoints", nargs="+", type=float, default=[1.0])
    p.add_argument("--margin", type=float, default=0.01)
    p.add_argument("--criterion", choices=["bacc", "bll"], default="bll")
    p.add_argument("--min-rows", type=int, default=0)
    p.add_argument("--grid", nargs="+", default=["default", "h32", "do3", "wd10"])
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    splits = usable(load(args.records), args.grid)
    text = report(
        splits,
        args.rule,
        args.checkpoints,
        args.margin,
        args.grid,
        args.criterion,
        args.min_rows,
    )
    return _cli.emit("benchmarks/choose_race.py", argv, text, args.out)


if __name__ == "__main__":
    sys.exit(main())
