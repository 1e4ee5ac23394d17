"""Scenarios that test the claims made for vitality routing.

Each scenario builds its data (embedded digits or generated Gaussians), runs
the same network under the tactics being tested, and reports what happened,
favourable or not:

- ``confusable``: a class with plenty of rows but overlapping features. Does
  class stress find it, where inverse-frequency weighting only sees counts?
- ``shift``: class difficulty changes mid-training (see ``_shift.py``).
- ``scarce``: few rows a class, balanced: the hard-sample and LR-scaling
  tactics the router picks there.
- ``transfer``: the label-free parent pick (see ``_transfer.py``).
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skvitalroute.compare._compare import assemble
from skvitalroute.compare._data import Task
from skvitalroute.compare._methods import NetConfig
from skvitalroute.compare._report import format_table
from skvitalroute.compare._run import Split, fit_one, make_splits, run_fits

CONFUSABLE_CLASSES = (0, 1)


def _fmt(values):
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{100 * values.mean():6.2f} ± {100 * std:4.2f}"


def _jobs(task, splits, config, variants):
    """Jobs for :func:`run_fits`: ``variants`` maps label -> (method, kwargs)."""
    return [
        (fit_one, (task, method, s, config), {"label": label, **kwargs})
        for label, (method, kwargs) in variants.items()
        for s in splits
    ]


def _variants(methods, defaults, extra=None):
    """Requested methods (or the scenario's defaults) as fit variants."""
    names = methods or defaults
    out = {m: (m, {}) for m in names}
    if methods is None and extra:
        out.update(extra)
    return out


def _config(config, epochs, default_epochs):
    config = config or NetConfig()
    return NetConfig(
        epochs=epochs or default_epochs,
        hidden_units=config.hidden_units,
        lr=config.lr,
        batch_size=config.batch_size,
    )


# --------------------------------------------------------------------- confusable
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
        router turns the class sampler on; classes 0 and 1 keep every row.
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
    """Recall on the confusable classes, and whether the signal favoured them."""
    records, classes = result["records"], result["classes"]
    rows = []
    for m in result["summary"]:
        conf = _fmt(_class_recall(records, m, classes, confusable))
        minor = _fmt(_class_recall(records, m, classes, result["minority"]))
        probs = result["vitality"].get(m, {}).get("class_probs")
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
    probs = result["vitality"].get("vitalroute", {}).get("class_probs")
    if probs is not None:
        share = sum(probs[classes.index(c)] for c in confusable)
        found = share > uniform + 0.005
        text += (
            f"\nvitalroute drew the confusable classes {share:.3f} of the time "
            f"(uniform {uniform:.3f}): the class stress "
            + ("singled them out." if found else "did not single them out.")
        )
    return text


def run_confusable(
    methods=None,
    *,
    epochs=None,
    seeds=None,
    folds=None,
    config=None,
    n_jobs=-1,
    quiet=False,
):
    """The ``confusable`` scenario. Returns a result for the report."""
    task = confusable_task()
    config = _config(config, epochs, 30)
    seeds, folds = range(seeds or 2), folds or 5
    splits = make_splits(task, folds=folds, seeds=seeds)
    defaults = [
        "uniform",
        "inv_freq",
        "ros",
        "vitality_sampler",
        "vitalroute",
        "vitalroute_seed",
        "vitalroute_seed_blind",
        "logreg_balanced",
    ]
    variants = _variants(methods, defaults)
    records = run_fits(
        _jobs(task, splits, config, variants), n_jobs=n_jobs, quiet=quiet
    )
    how = f"{folds}-fold stratified CV x {len(seeds)} seeds = {len(splits)} splits"
    result = assemble(
        task,
        records,
        config,
        how=how,
        title="skvitalroute compare --scenario confusable",
    )
    result["sections"].append(confusable_section(result))
    return result


# ------------------------------------------------------------------------- scarce
def scarce_splits(y, per_class, repeats, seeds):
    """Draw ``per_class`` training rows of each class; the rest is the test set.

    Parameters
    ----------
    y : ndarray
        Labels.
    per_class : int
        Training rows per class.
    repeats : int
        Draws per seed.
    seeds : iterable of int
        Seeds.

    Returns
    -------
    splits : list of Split
    """
    splits = []
    for seed in seeds:
        for rep in range(repeats):
            rng = np.random.default_rng([seed, rep])
            train = np.concatenate(
                [
                    rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                    for c in np.unique(y)
                ]
            )
            test = np.setdiff1d(np.arange(len(y)), train)
            splits.append(Split(seed, rep, np.sort(train), test))
    return splits


def run_scarce(
    methods=None,
    *,
    epochs=None,
    seeds=None,
    folds=None,
    config=None,
    n_jobs=-1,
    quiet=False,
    per_class=10,
):
    """The ``scarce`` scenario: 10 digits a class, balanced; hard sampling."""
    X, y = load_digits(return_X_y=True)
    classes = np.unique(y)
    desc = (
        f"sklearn digits, {per_class} training rows a class (balanced, "
        f"{per_class * len(classes)} rows), tested on every other row; "
        "all classes count as 'minority'"
    )
    keep = {c: 1.0 for c in classes}
    task = Task("scarce", X, y, classes, keep, list(classes), StandardScaler(), desc)
    config = _config(config, epochs, 60)
    seeds, repeats = range(seeds or 2), folds or 5
    splits = scarce_splits(y, per_class, repeats, seeds)
    extra = {
        "hard_only": ("vitalroute", {"net_params": {"tactics": ("hard",)}}),
        "lr_scale_only": ("vitalroute", {"net_params": {"tactics": ("lr_scale",)}}),
    }
    defaults = [
        "uniform",
        "focal",
        "vitalroute",
        "vitalroute_seed",
        "vitalroute_seed_blind",
        "logreg_balanced",
    ]
    variants = _variants(methods, defaults, extra)
    records = run_fits(
        _jobs(task, splits, config, variants), n_jobs=n_jobs, quiet=quiet
    )
    how = f"{repeats} draws x {len(seeds)} seeds = {len(splits)} splits"
    result = assemble(
        task,
        records,
        config,
        how=how,
        baseline="uniform",
        title="skvitalroute compare --scenario scarce",
    )
    routes = result["vitality"].get("vitalroute_seed", {}).get("routes", {})
    result["sections"].append(
        "Seed router on the scarce labels: "
        + (", ".join(routes) or "(vitalroute_seed not run)")
        + ". vitalroute_seed_blind keeps that route but draws rows uniformly "
        "(hard_beta=0); hard_only / lr_scale_only force one tactic."
    )
    return result


def run_scenario(name, **kwargs):
    """Run the scenario ``name`` (``confusable``, ``shift``, ``scarce``, ``transfer``).

    Parameters
    ----------
    name : str
        Scenario name.
    **kwargs : dict
        ``methods``, ``epochs``, ``seeds``, ``folds``, ``config``,
        ``n_jobs``, ``quiet``; ``None`` takes the scenario's defaults.

    Returns
    -------
    result : dict
        As :func:`~skvitalroute.compare.compare`, with extra report sections.
    """
    if name == "shift":
        from skvitalroute.compare._shift import run_shift as runner
    elif name == "transfer":
        from skvitalroute.compare._transfer import run_transfer as runner
    elif name in ("confusable", "scarce"):
        runner = run_confusable if name == "confusable" else run_scarce
    else:
        raise ValueError(
            "scenario must be 'confusable', 'shift', 'scarce' or 'transfer'; "
            f"got {name!r}."
        )
    return runner(**kwargs)
