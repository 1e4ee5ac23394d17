"""Suite-level statistics of calibration records: ranks, pooled means, paired CIs.

A record is one fit: ``data``, ``candidate`` (or ``method``), ``seed``,
``fold`` and the metrics. Every statistic pairs candidates on the same
(data set, seed, fold).
"""

import numpy as np
from scipy import stats


def table(records, metric, key="candidate"):
    """``{data: {candidate: {(seed, fold): value}}}``."""
    out = {}
    for r in records:
        out.setdefault(r["data"], {}).setdefault(r[key], {})[(r["seed"], r["fold"])] = (
            r[metric]
        )
    return out


def complete(tab, candidates):
    """Data sets where every candidate has the same, non-empty set of splits."""
    keep = {}
    for data, by in tab.items():
        if not all(c in by for c in candidates):
            continue
        splits = set.intersection(*(set(by[c]) for c in candidates))
        if splits:
            keep[data] = {c: {s: by[c][s] for s in sorted(splits)} for c in candidates}
    return keep


def dataset_means(tab, candidates):
    """``{data: {candidate: mean over the shared splits}}``."""
    return {
        d: {c: float(np.mean(list(by[c].values()))) for c in candidates}
        for d, by in tab.items()
    }


def mean_ranks(means, candidates):
    """Mean rank (1 = best, ties share the average rank) over data sets."""
    ranks = []
    for by in means.values():
        values = np.array([by[c] for c in candidates])
        ranks.append(stats.rankdata(-values))
    return dict(zip(candidates, np.mean(ranks, axis=0), strict=True))


def pooled(means, candidates):
    """Mean over data sets of each candidate's per-data-set mean."""
    return {c: float(np.mean([by[c] for by in means.values()])) for c in candidates}


def paired_suite(tab, a, b, *, confidence=0.95):
    """Difference ``a - b`` over the suite, paired by (data set, split).

    Returns
    -------
    result : dict
        ``mean`` (mean over data sets of the per-data-set mean difference),
        ``lo``/``hi`` (a t interval over data sets), ``wins``/``ties``/
        ``losses`` (data sets whose mean difference is > 0, = 0, < 0),
        ``n_data``.
    """
    per_data = []
    for by in tab.values():
        if a in by and b in by:
            shared = sorted(set(by[a]) & set(by[b]))
            if shared:
                per_data.append(np.mean([by[a][s] - by[b][s] for s in shared]))
    d = np.asarray(per_data)
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    if n > 1:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    else:
        half = float("nan")
    return {
        "mean": mean,
        "lo": mean - half,
        "hi": mean + half,
        "n_data": n,
        "wins": int((d > 1e-12).sum()),
        "ties": int((np.abs(d) <= 1e-12).sum()),
        "losses": int((d < -1e-12).sum()),
    }


def paired_within(by, a, b, *, confidence=0.95):
    """Difference ``a - b`` on one data set, paired by split, with a t CI."""
    shared = sorted(set(by[a]) & set(by[b]))
    d = np.array([by[a][s] - by[b][s] for s in shared])
    n = len(d)
    mean = float(d.mean())
    if n > 1 and d.std(ddof=1) > 0:
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    else:
        half = 0.0
    return mean, mean - half, mean + half
