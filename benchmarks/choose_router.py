"""Choose the default router's rules from the calibration records, leave-one-out.

Reads ``results/calibration/records.jsonl`` (written by
``benchmarks/calibrate_router.py``) and, for a family of rules, asks:

1. **Which rule wins on the suite?** A rule maps a training split's label
   profile (rows, classes, smallest class, ratio) to one candidate training.
   Family: one candidate for every task, or ``feature < threshold ? A : B``
   for a profile feature, a threshold between two data sets' values and two
   candidates. Score: mean balanced accuracy over data sets.
2. **Does it survive leaving each data set out?** For each data set ``d``
   the rule is chosen again without ``d`` and applied to ``d``; the
   left-out scores are compared with inv_freq and logit adjustment (30
   epochs) and with the rule chosen on the whole suite.

With ``--budgets e10 e30`` the question is the rebalancing at a budget
the user fixed: candidates are rebalancing prefixes (``la inv cb``), each
run at every budget (``la_e10``, ``la_e30``); every (data set, budget) is
one task, the profile gains ``steps`` (epochs x batches of 64), and leaving
a data set out leaves out all its budgets.

Usage::

    python benchmarks/choose_router.py --candidates la_s2k_wdn1000 la_s2k ...
    python benchmarks/choose_router.py --family single   # one candidate only
    python benchmarks/choose_router.py --budgets e10 e30 --candidates la inv cb \
        --baselines inv la --records results/router/records.jsonl
"""

import argparse
import json
import os
import sys
from itertools import product
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _router_data import SUITE, load_task  # noqa: E402
from _suite_stats import paired_suite  # noqa: E402

FEATURES = ("n_train", "min_count", "n_classes", "ratio", "steps")


def split_profiles(data_names, seeds, folds=5):
    """``{(data, seed, fold): profile dict}`` of every training split."""
    from skvitalroute.compare._run import make_splits

    out = {}
    for spec in SUITE:
        if spec.name not in data_names:
            continue
        task = load_task(spec)
        for s in make_splits(task, folds=folds, seeds=seeds):
            counts = np.unique(task.y[s.train], return_counts=True)[1]
            out[(spec.name, s.seed, s.fold)] = {
                "n_train": len(s.train),
                "min_count": int(counts.min()),
                "n_classes": len(counts),
                "ratio": counts.min() / counts.max(),
            }
    return out


class Rule:
    """``feature < threshold ? low : high`` (``feature=None``: always ``low``)."""

    def __init__(self, low, high=None, feature=None, threshold=None):
        self.low, self.high = low, high
        self.feature, self.threshold = feature, threshold

    def pick(self, profile):
        if self.feature is None or profile[self.feature] < self.threshold:
            return self.low
        return self.high

    def __repr__(self):
        if self.feature is None:
            return self.low
        return f"{self.feature} < {self.threshold:.4g} ? {self.low} : {self.high}"


def rule_scores(rule, tab, profiles, data):
    """Per-data-set mean score of ``rule`` (one candidate per split)."""
    out = {}
    for d in data:
        vals = [tab[d][rule.pick(profiles[(d, *s)])][s] for s in tab[d][rule.low]]
        out[d] = float(np.mean(vals))
    return out


def _family(candidates, profiles, data, kind, features=FEATURES):
    yield from (Rule(c) for c in candidates)
    if kind == "single":
        return
    present = next(iter(profiles.values()))
    for feature in (f for f in features if f in present):
        values = sorted(
            {round(p[feature], 6) for k, p in profiles.items() if k[0] in data}
        )
        cuts = [(a + b) / 2 for a, b in zip(values[:-1], values[1:], strict=True)]
        # thresholds between data sets' typical values, not every split
        cuts = np.unique(np.quantile(cuts, np.linspace(0.05, 0.95, 19))) if cuts else []
        for t, (a, b) in product(cuts, product(candidates, candidates)):
            if a != b:
                yield Rule(a, b, feature, float(t))


def choose(tab, profiles, data, candidates, kind, features=FEATURES):
    """The rule of the family with the best mean score over ``data``."""
    best, best_score = None, -np.inf
    for rule in _family(candidates, profiles, data, kind, features):
        score = np.mean(list(rule_scores(rule, tab, profiles, data).values()))
        if score > best_score + 1e-12:
            best, best_score = rule, score
    return best, best_score


def leave_one_out(tab, profiles, data, candidates, kind, features=FEATURES):
    """For each data set: the rule chosen without it and its score on it."""
    out = {}
    for d in data:
        rest = [x for x in data if _base(x) != _base(d)]
        rule, _ = choose(tab, profiles, rest, candidates, kind, features)
        out[d] = (rule, rule_scores(rule, tab, profiles, [d])[d])
    return out


def _base(task):
    """The data set of a task name (``"wine@e10"`` -> ``"wine"``)."""
    return task.split("@")[0]


def _at(candidate, budget):
    """``"la_wdn3000"`` at ``"e10"`` -> ``"la_e10_wdn3000"``."""
    reb, *opts = candidate.split("_")
    return "_".join([reb, budget, *opts])


def by_budget(tab, profiles, budgets, names):
    """One task per (data set, budget): candidates renamed to their prefix,
    profiles with the fit's optimizer steps (batches of 64)."""
    out_tab, out_prof = {}, {}
    for d, by in tab.items():
        for b in budgets:
            out_tab[f"{d}@{b}"] = {c: by[_at(c, b)] for c in names}
            for (pd_, seed, fold), prof in profiles.items():
                if pd_ == d:
                    steps = int(b[1:]) * -(-prof["n_train"] // 64)
                    out_prof[(f"{d}@{b}", seed, fold)] = {**prof, "steps": steps}
    return out_tab, out_prof


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--candidates", nargs="+", required=True)
    p.add_argument("--baselines", nargs="+", default=["inv_e30", "la_e30"])
    p.add_argument("--family", choices=("single", "threshold"), default="threshold")
    p.add_argument("--metric", default="balanced_accuracy")
    p.add_argument("--records", default="results/calibration/records.jsonl")
    p.add_argument("--budgets", nargs="+", default=None, help="e.g. e10 e30")
    p.add_argument(
        "--features",
        nargs="+",
        default=list(FEATURES),
        choices=FEATURES,
        help="profile features a threshold rule may read",
    )
    args = p.parse_args(argv)

    from _suite_stats import complete, table

    records = [json.loads(line) for line in Path(args.records).read_text().splitlines()]
    names = list(dict.fromkeys(args.candidates + args.baselines))
    full = [_at(c, b) for c in names for b in args.budgets] if args.budgets else names
    tab = complete(table(records, args.metric), full)
    data = sorted(tab)
    seeds = sorted({s for d in tab for s, _ in tab[d][full[0]]})
    profiles = split_profiles(data, seeds)
    if args.budgets:
        tab, profiles = by_budget(tab, profiles, args.budgets, names)
        data = sorted(tab)
    rule, score = choose(
        tab, profiles, data, args.candidates, args.family, args.features
    )
    print(f"{len(data)} data sets, seeds {seeds}, {len(args.candidates)} candidates")
    print(f"rule chosen on the whole suite: {rule}   (mean {100 * score:.2f})")
    loo = leave_one_out(
        tab, profiles, data, args.candidates, args.family, args.features
    )
    same = sum(repr(r) == repr(rule) for r, _ in loo.values())
    print(f"leave-one-data-set-out: the same rule is chosen for {same}/{len(data)}")
    # the left-out scores as a pseudo-candidate, paired with the baselines
    for d in data:
        r, _ = loo[d]
        tab[d]["loo"] = {
            s: tab[d][r.pick(profiles[(d, *s)])][s] for s in tab[d][names[0]]
        }
        tab[d]["suite_rule"] = {
            s: tab[d][rule.pick(profiles[(d, *s)])][s] for s in tab[d][names[0]]
        }
    print(
        f"\n{'data':22s} {'left-out rule':52s} {'loo':>6s} "
        + " ".join(f"{b:>9s}" for b in args.baselines)
    )
    for d in data:
        r, sc = loo[d]
        base = " ".join(
            f"{100 * np.mean(list(tab[d][b].values())):9.2f}" for b in args.baselines
        )
        print(f"{d:22s} {repr(r)[:52]:52s} {100 * sc:6.2f} {base}")
    for other in ("suite_rule", *args.baselines):
        res = paired_suite(tab, "loo", other)
        print(
            f"left-out rule - {other:12s}: {100 * res['mean']:+.2f} pp "
            f"[{100 * res['lo']:+.2f}, {100 * res['hi']:+.2f}] "
            f"(data sets {res['wins']}/{res['ties']}/{res['losses']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
