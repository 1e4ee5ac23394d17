"""The ``confusable`` scenario: a class with plenty of rows but overlapping features.

Does class stress find it, where inverse-frequency weighting only sees
counts?
"""

import numpy as np
from sklearn.preprocessing import StandardScaler

from skvitalroute.compare._data import Task
from skvitalroute.compare._report import format_table
from skvitalroute.compare.scenarios._common import (
    SAMPLING_METHODS,
    fit_jobs,
    percent,
)

CONFUSABLE_CLASSES = (0, 1)
#: The method whose class sampler the verdict reads (the default router has none).
SAMPLER_METHOD = "vitalroute_seed"
DEFAULT_METHODS = SAMPLING_METHODS + ("logreg_balanced",)


def confusable_task(n_per_class=300, n_features=10, gap=0.8, random_state=0):
    """Six Gaussian classes; classes 0 and 1 overlap, classes 4 and 5 are rare.

    Parameters
    ----------
    n_per_class : int, default=300
        Rows generated per class.
    n_features : int, default=10
        Dimensions.
    gap : float, default=0.8
        Distance between the centres of the confusable classes 0 and 1 (unit
        variance: a Bayes error of about ``Phi(-gap / 2)`` between them).
    random_state : int, default=0
        Seed of the generator.

    Returns
    -------
    task : Task
        Classes 4 and 5 keep 1/5 of their rows in the training folds, so the
        seed's table (``vitalroute_seed``) turns its class sampler on (the
        default router rebalances with its loss and has no sampler);
        classes 0 and 1 keep every row.
    """
    rng = np.random.default_rng(random_state)
    centers = rng.normal(scale=2.0, size=(6, n_features))
    direction = rng.normal(size=n_features)
    centers[1] = centers[0] + gap * direction / np.linalg.norm(direction)
    y = np.repeat(np.arange(6), n_per_class)
    X = centers[y] + rng.normal(size=(len(y), n_features))
    desc = (
        f"generated: 6 Gaussian classes x {n_per_class} rows, {n_features} features; "
        f"classes 0 and 1 overlap (centres {gap:g} apart), classes 4 and 5 keep 1/5 "
        "of their rows in the training folds"
    )
    keep = {4: 0.2, 5: 0.2}
    return Task("confusable", X, y, np.arange(6), keep, [4, 5], StandardScaler(), desc)


def _class_recall(records, method, classes, labels):
    idx = [list(classes).index(c) for c in labels]
    return [
        float(np.mean(np.asarray(r["per_class_recall"])[idx]))
        for r in records
        if r["method"] == method
    ]


def confusable_section(result, confusable=CONFUSABLE_CLASSES):
    """Recall on the confusable classes, and whether the signal favoured them.

    Parameters
    ----------
    result : CompareResult
        The scenario's result.
    confusable : tuple, default=(0, 1)
        The overlapping classes.

    Returns
    -------
    text : str
    """
    records, classes = result.records, result.classes
    rows = []
    for m in result.summary:
        conf = percent(_class_recall(records, m, classes, confusable))
        minor = percent(_class_recall(records, m, classes, result.minority))
        probs = result.vitality.get(m, {}).get("class_probs")
        rank, share = "", ""
        if probs is not None and np.ptp(probs) < 1e-9:
            rank, share = (
                "all equal",
                f"{sum(probs[classes.index(c)] for c in confusable):.3f}",
            )
        elif probs is not None:
            order = list(np.argsort(-np.asarray(probs)))
            rank = ",".join(str(order.index(classes.index(c)) + 1) for c in confusable)
            share = f"{sum(probs[classes.index(c)] for c in confusable):.3f}"
        rows.append([m, conf, minor, share, rank])
    header = [
        "method",
        "recall 0,1 %",
        "recall 4,5 %",
        "class prob 0+1",
        "prob rank of 0,1",
    ]
    uniform = 2 / len(classes)
    text = (
        "Confusable classes 0 and 1 (plenty of rows, overlapping) vs the rare "
        f"classes 4 and 5; class prob 0+1 is {uniform:.3f} when uniform, rank 1 = "
        "most drawn:\n" + format_table(header, rows)
    )
    # the in-training class sampler whose signal is on trial: the seed's table
    probs = result.vitality.get(SAMPLER_METHOD, {}).get("class_probs")
    if probs is not None:
        share = sum(probs[classes.index(c)] for c in confusable)
        found = share > uniform + 0.005
        text += (
            f"\n{SAMPLER_METHOD} drew the confusable classes {share:.3f} of the time "
            f"(uniform {uniform:.3f}): the class stress "
            + ("singled them out." if found else "did not single them out.")
        )
    return text


def run_confusable(options):
    """The ``confusable`` scenario (30 epochs, 5-fold CV x 2 seeds by default).

    Parameters
    ----------
    options : ScenarioOptions
        The run's options.

    Returns
    -------
    result : CompareResult
        With the confusable-class section.
    """
    task = confusable_task()
    config = options.net_config(30)
    splits, how = options.cv_splits(task)
    jobs = fit_jobs(task, splits, config, options.variants(DEFAULT_METHODS))
    result = options.run("confusable", task, jobs, config, how=how)
    result.sections.append(confusable_section(result))
    return result
