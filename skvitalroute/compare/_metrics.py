"""Scores of one fit, their aggregation, and paired tests against a baseline."""

import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import (
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    recall_score,
    roc_auc_score,
)

#: Metrics of the cross-validated protocol, in table order.
CV_METRICS = (
    "balanced_accuracy",
    "macro_f1",
    "minority_recall",
    "log_loss",
    "brier",
    "roc_auc",
    "fit_time",
)
#: The metrics of the predicted probabilities (lower is better for the losses).
PROBA_METRICS = ("log_loss", "brier", "roc_auc")
#: Metrics of the original study's holdout protocol.
HOLDOUT_METRICS = ("accuracy", "minority_accuracy", "balanced_accuracy", "fit_time")


def score_predictions(y_true, y_pred, classes, minority, proba=None):
    """Every metric of the comparison for one test fold.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    classes : array-like
        All labels of the task (per-class recall is reported in this order).
    minority : array-like
        The labels made minority.
    proba : array-like of shape (n_samples, n_classes), default=None
        Predicted probabilities, one column per entry of ``classes`` (in
        that order). Without them the probability metrics are NaN.

    Returns
    -------
    scores : dict
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``,
        ``minority_recall`` (mean recall of the minority classes),
        ``minority_accuracy`` (accuracy on the test rows of the minority
        classes, pooled), ``per_class_recall`` (list, one per class) and
        the probability metrics of :func:`score_probabilities`
        (``log_loss``, ``brier``, ``roc_auc``).

    Examples
    --------
    >>> s = score_predictions([0, 0, 1, 1, 2, 2], [0, 0, 1, 0, 2, 0],
    ...                       classes=[0, 1, 2], minority=[1, 2])
    >>> s["balanced_accuracy"], s["minority_recall"], s["per_class_recall"]
    (0.6666666666666666, 0.5, [1.0, 0.5, 0.5])
    >>> s["log_loss"]  # no probabilities given
    nan
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes, minority = list(classes), list(minority)
    with warnings.catch_warnings():
        # A class never predicted has an undefined precision: counted as 0.
        warnings.simplefilter("ignore")
        per_class = recall_score(
            y_true, y_pred, labels=classes, average=None, zero_division=0
        )
        macro_f1 = f1_score(
            y_true, y_pred, labels=classes, average="macro", zero_division=0
        )
        balanced = balanced_accuracy_score(y_true, y_pred)
    in_minority = np.isin(y_true, minority)
    index = {c: i for i, c in enumerate(classes)}
    minority_recall = float(np.mean([per_class[index[c]] for c in minority]))
    minority_acc = float(np.mean(y_pred[in_minority] == y_true[in_minority]))
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "balanced_accuracy": float(balanced),
        "macro_f1": float(macro_f1),
        "minority_recall": minority_recall,
        "minority_accuracy": minority_acc if in_minority.any() else float("nan"),
        "per_class_recall": [float(r) for r in per_class],
        **score_probabilities(y_true, proba, classes),
    }


def score_probabilities(y_true, proba, classes):
    """Log-loss, Brier score and ROC-AUC of predicted probabilities.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    proba : array-like of shape (n_samples, n_classes) or None
        Probabilities, one column per entry of ``classes``.
    classes : array-like
        All labels of the task, in the order of ``proba``'s columns.

    Returns
    -------
    scores : dict
        ``log_loss`` (:func:`sklearn.metrics.log_loss`), ``brier``
        (:func:`sklearn.metrics.brier_score_loss`: on two classes the squared
        error of the second class's probability, in [0, 1]; on more, summed
        over the classes, in [0, 2]) and ``roc_auc``
        (:func:`sklearn.metrics.roc_auc_score`; on more than two classes the
        macro mean of one-vs-rest). A metric that cannot be computed (no
        probabilities, or a test fold with a single class for ROC-AUC) is
        NaN.

    Examples
    --------
    >>> s = score_probabilities([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], [0, 1])
    >>> round(s["log_loss"], 4), round(s["brier"], 4), s["roc_auc"]
    (0.4987, 0.1633, 1.0)
    """
    nan = float("nan")
    if proba is None:
        return {"log_loss": nan, "brier": nan, "roc_auc": nan}
    y_true, proba, classes = np.asarray(y_true), np.asarray(proba, float), list(classes)
    out = {
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
        "brier": float(brier_score_loss(y_true, proba, labels=classes)),
        "roc_auc": nan,
    }
    if len(np.unique(y_true)) < 2:
        return out  # ROC-AUC needs both sides
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if len(classes) == 2:
                auc = roc_auc_score(y_true == classes[1], proba[:, 1])
            else:
                auc = roc_auc_score(
                    y_true, proba, multi_class="ovr", average="macro", labels=classes
                )
        except ValueError:  # a class absent from the test fold
            auc = nan
    out["roc_auc"] = float(auc)
    return out


def aggregate(records, metrics):
    """Mean and standard deviation of each metric, per method.

    Parameters
    ----------
    records : list of dict
        One dict per fit, with a ``method`` key and the metrics.
    metrics : sequence of str
        The metrics to aggregate.

    Returns
    -------
    summary : dict
        Method (in first-seen order) -> ``{"n": int, metric: (mean, std)}``,
        ``std`` being the sample standard deviation (``ddof=1``; 0 for one fit),
        both over the fits where the metric is defined (NaN when it never is).

    Examples
    --------
    >>> recs = [{"method": "a", "acc": 0.5}, {"method": "a", "acc": 0.7}]
    >>> s = aggregate(recs, ["acc"])["a"]
    >>> s["n"], [round(v, 4) for v in s["acc"]]
    (2, [0.6, 0.1414])
    """
    summary = {}
    for method in dict.fromkeys(r["method"] for r in records):
        rows = [r for r in records if r["method"] == method]
        entry = {"n": len(rows)}
        for m in metrics:
            values = np.array([r.get(m, np.nan) for r in rows], dtype=float)
            values = values[~np.isnan(values)]
            if not len(values):
                entry[m] = (float("nan"), float("nan"))
                continue
            std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            entry[m] = (float(np.mean(values)), std)
        summary[method] = entry
    return summary


def paired_differences(records, method, baseline, metric):
    """Per-split differences ``method - baseline`` on the splits both ran.

    Parameters
    ----------
    records : list of dict
        Fits, each with ``method``, ``seed``, ``fold`` and the metric.
    method, baseline : str
        Method names.
    metric : str
        Metric name.

    Returns
    -------
    diffs : ndarray
        One difference per shared ``(seed, fold)``, in sorted split order.
    """

    def by_split(name):
        return {
            (r["seed"], r["fold"]): r[metric] for r in records if r["method"] == name
        }

    a, b = by_split(method), by_split(baseline)
    shared = sorted(set(a) & set(b))
    return np.array([a[k] - b[k] for k in shared], dtype=float)


def paired_test(diffs, *, confidence=0.95):
    """Summarise paired differences: mean, t interval, Wilcoxon p-value.

    Parameters
    ----------
    diffs : array-like
        Per-split differences.
    confidence : float, default=0.95
        Level of the t interval on the mean difference.

    Returns
    -------
    result : dict
        ``n``, ``mean``, ``std``, ``ci_low``, ``ci_high``, ``wins``,
        ``losses``, ``ties`` and ``p_value`` (two-sided Wilcoxon
        signed-rank test, :func:`scipy.stats.wilcoxon`). All differences
        zero gives ``p_value=1.0``; fewer than two splits gives NaN.

    Notes
    -----
    Folds of a repeated cross-validation share training rows, so they are
    not independent: the p-value and interval are optimistic (Nadeau and
    Bengio, 2003) and are meant as a guide, not a proof.

    Examples
    --------
    >>> r = paired_test([0.0, 0.0, 0.0])
    >>> r["p_value"], r["ties"]
    (1.0, 3)
    >>> r = paired_test([0.01, 0.02, 0.03, 0.04, 0.05, 0.06])
    >>> round(r["mean"], 3), round(r["p_value"], 4), r["wins"]
    (0.035, 0.0312, 6)
    """
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    out = {
        "n": n,
        "mean": float(d.mean()) if n else float("nan"),
        "std": float(d.std(ddof=1)) if n > 1 else float("nan"),
        "wins": int((d > 0).sum()),
        "losses": int((d < 0).sum()),
        "ties": int((d == 0).sum()),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "p_value": float("nan"),
    }
    if n < 2:
        return out
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * out["std"] / np.sqrt(n)
    out["ci_low"], out["ci_high"] = float(out["mean"] - half), float(out["mean"] + half)
    if np.all(d == 0):
        out["p_value"] = 1.0  # identical on every split: no evidence either way
    else:
        out["p_value"] = float(stats.wilcoxon(d).pvalue)
    return out


def compare_to_baseline(records, baseline, metrics):
    """Paired test of every other method against ``baseline``.

    Parameters
    ----------
    records : list of dict
        Fits with ``method``, ``seed``, ``fold`` and the metrics.
    baseline : str
        Reference method (e.g. ``"inv_freq"``).
    metrics : sequence of str
        Metrics to compare.

    Returns
    -------
    comparison : dict
        Method -> metric -> :func:`paired_test` result; empty when the
        baseline did not run.
    """
    methods = list(dict.fromkeys(r["method"] for r in records))
    if baseline not in methods:
        return {}
    return {
        m: {
            k: paired_test(paired_differences(records, m, baseline, k)) for k in metrics
        }
        for m in methods
        if m != baseline
    }


def summarize_vitality(records, n_classes):
    """Average, per method, what the vitality tactics read.

    Parameters
    ----------
    records : list of dict
        Fits with a ``vitality`` dict (see
        :func:`~skvitalroute.compare._methods.vitality_readings`).
    n_classes : int
        Number of classes (the uniform class probability is ``1 / n_classes``).

    Returns
    -------
    summary : dict
        Method -> ``routes`` (label -> count) and, when read, the mean over
        fits of ``stress_lo``, ``stress_hi``, ``stress_spread``, ``prob_lo``,
        ``prob_hi``, the per-class means ``class_probs`` and
        ``prob_ratio = prob_hi / prob_lo``. Methods that read nothing are left out.
    """
    out = {}
    for method in dict.fromkeys(r["method"] for r in records):
        reads = [
            r["vitality"]
            for r in records
            if r["method"] == method and r.get("vitality")
        ]
        if not reads:
            continue
        entry = {"routes": {}}
        for v in reads:
            if "route" in v:
                entry["routes"][v["route"]] = entry["routes"].get(v["route"], 0) + 1
        for key in ("stress_lo", "stress_hi", "stress_spread", "prob_lo", "prob_hi"):
            values = [v[key] for v in reads if key in v]
            if values:
                entry[key] = float(np.mean(values))
        probs = [v["class_probs"] for v in reads if "class_probs" in v]
        if probs:
            entry["class_probs"] = [float(p) for p in np.mean(probs, axis=0)]
            entry["prob_ratio"] = entry["prob_hi"] / max(entry["prob_lo"], 1e-12)
        entry["uniform_prob"] = 1.0 / n_classes
        out[method] = entry
    return out
