"""The ``transfer`` scenario: is the lowest-stasis parent the best one to start from?

A pool of parents is pretrained on a related task (digits 0-4) in several
ways; the child task is digits 5-9 with 8 rows a class. The transfer tactic
picks, without labels, the parent with the lowest mean stasis on the
child's inputs. Each parent is also used on its own (forced warm start),
so the pick can be checked against the accuracy every parent actually
gives after training.
"""

import copy

import numpy as np
import torch
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skvitalroute._classifier._estimator import VitalRouteClassifier
from skvitalroute.compare._data import Task
from skvitalroute.compare._report import format_table
from skvitalroute.compare.scenarios._common import fit_jobs, percent
from skvitalroute.nn import MLPModule

PARENT_CLASSES = (0, 1, 2, 3, 4)


def _fit_parent(X, y, config, epochs, seed):
    net = VitalRouteClassifier(
        hidden_units=tuple(config.hidden_units),
        max_epochs=epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        tactics="none",
        random_state=seed,
    )
    return net.fit(X, y).module_


def parent_pool(X, y, config, *, epochs=30, random_state=0):
    """Parents pretrained on ``(X, y)`` in five ways, strongest to weakest.

    Parameters
    ----------
    X, y : ndarray
        The parents' task (digits 0-4, standardized).
    config : NetConfig
        Shared network shape (the parents must match the child's trunk).
    epochs : int, default=30
        Epochs of the fully trained parents.
    random_state : int, default=0
        Seed.

    Returns
    -------
    pool : list of (str, torch.nn.Module)
        ``trained`` (30 epochs), ``one_epoch``, ``shuffled_labels`` (trained
        on permuted labels), ``untrained`` (fresh initialisation) and
        ``damaged`` (``trained`` with 3/4 of its first hidden layer killed).
        torch's global random stream is left as it was.
    """
    rng = np.random.default_rng(random_state)
    trained = _fit_parent(X, y, config, epochs, random_state)
    one_epoch = _fit_parent(X, y, config, 1, random_state)
    shuffled = _fit_parent(X, rng.permutation(y), config, epochs, random_state)
    # the initialisation is seeded on a private copy of torch's global RNG,
    # as the classifier's own fits are: the user's stream is not advanced
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        untrained = MLPModule(X.shape[1], len(np.unique(y)), tuple(config.hidden_units))
    damaged = copy.deepcopy(trained)
    first = next(m for m in damaged.modules() if isinstance(m, torch.nn.Linear))
    dead = rng.permutation(first.out_features)[: 3 * first.out_features // 4]
    with torch.no_grad():
        first.bias[torch.as_tensor(dead)] = -1e3  # these units never fire again
    return [
        ("trained", trained),
        ("one_epoch", one_epoch),
        ("shuffled_labels", shuffled),
        ("untrained", untrained),
        ("damaged", damaged),
    ]


def _transfer_callback(pipe):
    model = pipe.named_steps["model"]
    return dict(getattr(model, "callbacks_", [])).get("vitality_transfer")


def _inspect(pipe, task, split):
    """Inspect: the picked parent and every candidate's stasis score."""
    cb = _transfer_callback(pipe)
    if cb is None:
        return {}
    return {"transfer_parent": cb.parent_, "parent_scores": dict(cb.parent_scores_)}


def transfer_task(config, random_state=0, parent_epochs=30):
    """Child task (digits 5-9) and the pool pretrained on digits 0-4."""
    X, y = load_digits(return_X_y=True)
    is_parent = np.isin(y, PARENT_CLASSES)
    # One label-free standardization, fitted on the parents' rows only, is
    # used by parents and child alike, so their input scales match.
    scaler = StandardScaler().fit(X[is_parent])
    X = scaler.transform(X)
    pool = parent_pool(
        X[is_parent],
        y[is_parent],
        config,
        epochs=parent_epochs,
        random_state=random_state,
    )
    Xc, yc = X[~is_parent], y[~is_parent]
    classes = np.unique(yc)
    desc = (
        "sklearn digits: parents pretrained on classes 0-4; child task classes 5-9 "
        "with 8 training rows a class (40 rows), tested on the other child rows; "
        "inputs standardized with the parents' scaler"
    )
    keep = {c: 1.0 for c in classes}
    task = Task(
        "transfer", Xc, yc, classes, keep, list(classes), FunctionTransformer(), desc
    )
    return task, pool


def _per_split(records, parents):
    """Per split: stasis and accuracy of every forced parent."""
    splits = {}
    for r in records:
        if r["method"].startswith("from:"):
            name = r["method"][5:]
            entry = splits.setdefault((r["seed"], r["fold"]), {})
            entry[name] = (r["parent_scores"].get(name, np.nan), r["accuracy"])
    return {k: v for k, v in splits.items() if len(v) == len(parents)}


def transfer_section(result, parents):
    """Parent table and the check of the lowest-stasis pick.

    Parameters
    ----------
    result : CompareResult
        The scenario's result.
    parents : list of str
        The pool's parent names.

    Returns
    -------
    text : str
    """
    records = result.records
    per_split = _per_split(records, parents)
    picks = [r.get("transfer_parent") for r in records if r["method"] == "routed_pool"]
    rows = []
    for name in parents:
        stasis = [v[name][0] for v in per_split.values()]
        acc = [r["accuracy"] for r in records if r["method"] == f"from:{name}"]
        rows.append(
            [
                name,
                f"{np.mean(stasis):.3f}" if stasis else "",
                percent(acc) if acc else "",
                f"{picks.count(name)}/{len(picks)}",
            ]
        )
    header = [
        "parent",
        "mean stasis on child X",
        "accuracy % after warm start",
        "picked by routed_pool",
    ]
    picked = {
        (r["seed"], r["fold"]): r.get("transfer_parent")
        for r in records
        if r["method"] == "routed_pool"
    }
    agree, rhos, n = 0, [], 0
    for key, v in per_split.items():
        stasis = np.array([v[name][0] for name in parents])
        acc = np.array([v[name][1] for name in parents])
        if picked.get(key) in v:
            n += 1
            agree += int(v[picked[key]][1] == acc.max())
        if np.ptp(stasis) > 0 and np.ptp(acc) > 0:
            rhos.append(stats.spearmanr(stasis, acc).statistic)
    lines = [
        "Parents (forced warm start from each; stasis read label-free on the child's "
        "training inputs):",
        format_table(header, rows),
    ]
    routes = result.vitality
    for m in ("routed_no_pool", "routed_pool"):
        if m in routes:
            labels = ", ".join(f"{k} x{v}" for k, v in routes[m]["routes"].items())
            lines.append(f"Route of {m}: {labels}.")
    if n:
        rho = f"{np.mean(rhos):+.2f}" if rhos else "n/a"
        lines.append(
            f"The parent the tactic picked (lowest stasis) was also the best parent "
            f"after training on {agree} of {n} splits (ties in accuracy count); mean "
            f"Spearman correlation of stasis with accuracy across parents: {rho} "
            "(negative = lower stasis, better accuracy)."
        )
    return "\n".join(lines)


def transfer_variants(pool):
    """No transfer, routing without and with the pool, and each parent forced.

    Parameters
    ----------
    pool : list of (str, torch.nn.Module)
        The parents.

    Returns
    -------
    variants : dict
        Label -> ``(method, fit_one kwargs)``.
    """
    out = {
        "no_transfer": ("uniform", {}),
        "routed_no_pool": ("vitalroute", {}),
        "routed_pool": (
            "vitalroute",
            {"net_params": {"parent_pool": pool}, "inspect": _inspect},
        ),
    }
    for name, module in pool:
        params = {"parent_pool": [(name, module)], "tactics": ("transfer",)}
        out[f"from:{name}"] = (
            "vitalroute",
            {"net_params": params, "inspect": _inspect},
        )
    return out


def run_transfer(options, *, per_class=8):
    """The ``transfer`` scenario (50 epochs, 5 draws x 2 seeds by default).

    Parameters
    ----------
    options : ScenarioOptions
        The run's options; ``methods`` is ignored (with a note): the
        scenario's variants are fixed (:func:`transfer_variants`).
    per_class : int, default=8
        The child's training rows a class.

    Returns
    -------
    result : CompareResult
        Paired against ``no_transfer``, with the parent section.
    """
    config = options.net_config(50)
    task, pool = transfer_task(config)
    splits, how = options.draw_splits(task.y, per_class)
    jobs = fit_jobs(task, splits, config, transfer_variants(pool))
    result = options.run(
        "transfer", task, jobs, config, how=how, baseline="no_transfer"
    )
    result.sections.append(transfer_section(result, [n for n, _ in pool]))
    if options.methods:
        result.notes.append("--methods is ignored by the transfer scenario.")
    return result
