"""The ``transfer`` scenario: does the tactic pick the parent that helps?

Three families of a child task with scarce labels and a pool of six parents
pretrained on a related task, from well trained to damaged
(:data:`FAMILIES`):

- ``digits``: parents on digits 0-4, child digits 5-9 with 8 rows a class;
- ``tabular``: a synthetic 8-class table; parents learn the 8 classes on
  some rows, the child a coarser 4-class label of other rows (10 a class);
- ``longtail``: parents on digits 5-9, child digits 0-4 with 20, 10, 5, 3
  and 2 training rows (scored by balanced accuracy).

The tactic scores every parent (and training from scratch) with LogME on
the child's training rows, vetoes a parent whose stasis is high, and copies
the winner. Each parent is also used on its own (a forced warm start), so
the pick can be checked against the accuracy every parent actually gives.
``benchmarks/bench_transfer.py`` runs the three families with a cache.
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from sklearn.datasets import load_digits, make_classification
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from skvitalroute._classifier._estimator import VitalRouteClassifier
from skvitalroute.callbacks._transfer import SCRATCH, TransferWarmStart
from skvitalroute.compare._data import Task
from skvitalroute.compare._report import format_table
from skvitalroute.compare._run import Split
from skvitalroute.compare.scenarios._common import fit_jobs, percent
from skvitalroute.nn import MLPModule

PARENT_CLASSES = (0, 1, 2, 3, 4)
#: Name of the user callback of a forced warm start (one parent, no veto).
FORCED = "forced_transfer"


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


def parent_pool(X, y, config, *, epochs=30, random_state=0, X_rescaled=None):
    """Parents pretrained on ``(X, y)`` in six ways, strongest to weakest.

    Parameters
    ----------
    X, y : ndarray
        The parents' task, in the child's input scaling.
    config : NetConfig
        Shared network shape (the parents must match the child's trunk).
    epochs : int, default=30
        Epochs of the fully trained parents.
    random_state : int, default=0
        Seed.
    X_rescaled : ndarray or None, default=None
        The same rows in another input scaling: the ``rescaled`` parent
        is trained on them (left out when None).

    Returns
    -------
    pool : list of (str, torch.nn.Module)
        ``trained`` (30 epochs), ``one_epoch``, ``shuffled_labels`` (trained
        on permuted labels), ``untrained`` (fresh initialisation),
        ``damaged`` (``trained`` with 3/4 of its first hidden layer killed)
        and ``rescaled`` (trained on ``X_rescaled``). torch's global random
        stream is left as it was.
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
    pool = [
        ("trained", trained),
        ("one_epoch", one_epoch),
        ("shuffled_labels", shuffled),
        ("untrained", untrained),
        ("damaged", damaged),
    ]
    if X_rescaled is not None:
        pool.append(
            ("rescaled", _fit_parent(X_rescaled, y, config, epochs, random_state))
        )
    return pool


@dataclass
class TransferFamily:
    """A child task with scarce labels and its pool of parents.

    Attributes
    ----------
    name : str
        Family name (a key of :data:`FAMILIES`).
    X, y : ndarray
        The child's rows (in the scaling the child trains on) and labels.
    counts : dict
        Label -> training rows drawn for each split; the rest are test rows.
    pool : list of (str, torch.nn.Module)
        The parents (:func:`parent_pool`).
    metric : {"accuracy", "balanced_accuracy"}
        The score the family is judged by.
    description : str
        One line for the report.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    counts: dict
    pool: list
    metric: str
    description: str

    def split(self, seed):
        """The training and test rows of draw ``seed``.

        Parameters
        ----------
        seed : int
            Draw number.

        Returns
        -------
        split : Split
        """
        rng = np.random.default_rng([seed, 19])
        train = np.concatenate(
            [
                rng.choice(np.flatnonzero(self.y == c), k, replace=False)
                for c, k in self.counts.items()
            ]
        )
        test = np.setdiff1d(np.arange(len(self.y)), train)
        return Split(seed, 0, np.sort(train), test)


def _scaled_pool(X, y, is_parent, config, *, parent_epochs, random_state):
    """The rows standardized on the parents' rows, and the parent pool.

    One label-free standardization, fitted on the parents' rows only, is
    used by parents and child alike, so their input scales match; the
    ``rescaled`` parent trains on min-max scaled parent rows instead.
    """
    scaler = StandardScaler().fit(X[is_parent])
    rescaled = MinMaxScaler().fit_transform(X[is_parent])
    X = scaler.transform(X)
    pool = parent_pool(
        X[is_parent],
        y[is_parent],
        config,
        epochs=parent_epochs,
        random_state=random_state,
        X_rescaled=rescaled,
    )
    return X, pool


def _digits_pool(parent_classes, config, **kwargs):
    X, y = load_digits(return_X_y=True)
    is_parent = np.isin(y, parent_classes)
    X, pool = _scaled_pool(X, y, is_parent, config, **kwargs)
    return X, y, is_parent, pool


def digits_family(config, *, random_state=0, parent_epochs=30, per_class=8):
    """Parents on digits 0-4, child digits 5-9 with ``per_class`` rows a class."""
    X, y, is_parent, pool = _digits_pool(
        PARENT_CLASSES, config, parent_epochs=parent_epochs, random_state=random_state
    )
    yc = y[~is_parent]
    desc = (
        "sklearn digits: parents pretrained on classes 0-4; child classes 5-9 with "
        f"{per_class} training rows a class, tested on the other child rows; inputs "
        "standardized with the parents' scaler (rescaled parent: min-max inputs)"
    )
    counts = {int(c): per_class for c in np.unique(yc)}
    return TransferFamily("digits", X[~is_parent], yc, counts, pool, "accuracy", desc)


def tabular_family(config, *, random_state=0, parent_epochs=30, per_class=10):
    """A synthetic 8-class table: parents learn the 8 classes on 2 400 rows,
    the child a 4-class grouping of them (classes ``c`` and ``c + 4``
    together) on the other rows, ``per_class`` training rows a class."""
    X, y = make_classification(
        n_samples=4000,
        n_features=20,
        n_informative=12,
        n_redundant=4,
        n_classes=8,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=7,
    )
    is_parent = np.arange(len(y)) < 2400
    X, pool = _scaled_pool(
        X, y, is_parent, config, parent_epochs=parent_epochs, random_state=random_state
    )
    yc = y[~is_parent] % 4
    desc = (
        "synthetic table (make_classification, 8 classes, 20 features): parents "
        "learn the 8 classes on 2400 rows; child: classes c and c+4 merged (4 "
        f"classes) on the other 1600 rows, {per_class} training rows a class"
    )
    counts = {int(c): per_class for c in np.unique(yc)}
    return TransferFamily("tabular", X[~is_parent], yc, counts, pool, "accuracy", desc)


def longtail_family(
    config, *, random_state=0, parent_epochs=30, counts=(20, 10, 5, 3, 2)
):
    """Parents on digits 5-9, child digits 0-4 with long-tailed training rows."""
    X, y, is_parent, pool = _digits_pool(
        (5, 6, 7, 8, 9), config, parent_epochs=parent_epochs, random_state=random_state
    )
    yc = y[~is_parent]
    desc = (
        "sklearn digits: parents pretrained on classes 5-9; child classes 0-4 with "
        f"{', '.join(map(str, counts))} training rows (long tail), scored by "
        "balanced accuracy"
    )
    by_class = dict(zip((int(c) for c in np.unique(yc)), counts, strict=True))
    return TransferFamily(
        "longtail", X[~is_parent], yc, by_class, pool, "balanced_accuracy", desc
    )


#: Family name -> builder ``builder(config, random_state=0, parent_epochs=30)``.
FAMILIES = {
    "digits": digits_family,
    "tabular": tabular_family,
    "longtail": longtail_family,
}


def _transfer_callback(pipe):
    model = pipe.named_steps["model"]
    found = dict(getattr(model, "callbacks_", []))
    return found.get("vitality_transfer", found.get(FORCED))


def _inspect(pipe, task, split):
    """Inspect: the picked parent, every candidate's score and stasis."""
    cb = _transfer_callback(pipe)
    if cb is None:
        return {}
    return {
        "transfer_parent": cb.parent_,
        "parent_scores": dict(cb.parent_scores_),
        "parent_stasis": dict(cb.stasis_),
    }


def transfer_task(config, random_state=0, parent_epochs=30, family="digits"):
    """The child task of ``family`` and its pool of parents.

    Parameters
    ----------
    config : NetConfig
        Shared network shape.
    random_state : int, default=0
        Seed of the parents.
    parent_epochs : int, default=30
        Epochs of the fully trained parents.
    family : str, default="digits"
        A key of :data:`FAMILIES`.

    Returns
    -------
    task : Task
    family : TransferFamily
    """
    fam = FAMILIES[family](
        config, random_state=random_state, parent_epochs=parent_epochs
    )
    classes = np.unique(fam.y)
    keep = {c: 1.0 for c in classes}
    task = Task(
        f"transfer ({family})",
        fam.X,
        fam.y,
        classes,
        keep,
        list(classes),
        FunctionTransformer(),
        fam.description,
    )
    return task, fam


def _per_split(records, parents):
    """Per split: score and accuracy of every forced parent."""
    picked = {
        (r["seed"], r["fold"]): r
        for r in records
        if r["method"] == "routed_pool" and "parent_scores" in r
    }
    splits = {}
    for r in records:
        key = (r["seed"], r["fold"])
        if r["method"].startswith("from:") and key in picked:
            name = r["method"][5:]
            score = picked[key]["parent_scores"].get(name, np.nan)
            splits.setdefault(key, {})[name] = (score, r["accuracy"])
    return {k: v for k, v in splits.items() if len(v) == len(parents)}


def transfer_section(result, parents):
    """Parent table and the check of the pick.

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
    routed = [r for r in records if r["method"] == "routed_pool"]
    picks = [r.get("transfer_parent") or SCRATCH for r in routed]
    rows = []
    for name in [SCRATCH, *parents]:
        method = "no_transfer" if name == SCRATCH else f"from:{name}"
        score = [r.get("parent_scores", {}).get(name, np.nan) for r in routed]
        stasis = [r.get("parent_stasis", {}).get(name, np.nan) for r in routed]
        acc = [r["accuracy"] for r in records if r["method"] == method]
        rows.append(
            [
                name,
                f"{np.nanmean(score):.3f}" if np.isfinite(score).any() else "",
                f"{np.nanmean(stasis):.3f}" if np.isfinite(stasis).any() else "",
                percent(acc) if acc else "",
                f"{picks.count(name)}/{len(picks)}",
            ]
        )
    header = [
        "candidate",
        "score (LogME)",
        "mean stasis on child X",
        "accuracy % after warm start",
        "picked by routed_pool",
    ]
    picked = {(r["seed"], r["fold"]): r for r in routed}
    agree, rhos, n = 0, [], 0
    for key, v in per_split.items():
        score = np.array([v[name][0] for name in parents], dtype=float)
        acc = np.array([v[name][1] for name in parents])
        n += 1
        agree += int(picked[key]["accuracy"] >= acc.max() - 0.005)
        ok = np.isfinite(score)
        if np.ptp(score[ok]) > 0 and np.ptp(acc[ok]) > 0:
            rhos.append(stats.spearmanr(score[ok], acc[ok]).statistic)
    lines = [
        "Candidates (forced warm start from each parent; scores read on the "
        "child's training rows by routed_pool; scratch = no transfer):",
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
            f"The tactic's pick (highest LogME, stasis veto, scratch a candidate) "
            f"was the best parent or within 0.5 pp of it on {agree} of {n} splits; "
            f"mean Spearman correlation of LogME with accuracy across parents: {rho}."
        )
    return "\n".join(lines)


def forced_transfer(name, module):
    """The user callback of a forced warm start from one parent.

    Parameters
    ----------
    name : str
        The parent's name.
    module : torch.nn.Module
        The parent.

    Returns
    -------
    callback : (str, TransferWarmStart)
        Named :data:`FORCED`: no scratch candidate, no veto.
    """
    return (FORCED, TransferWarmStart([(name, module)], scratch=False, max_stasis=None))


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
        params = {"callbacks": [forced_transfer(name, module)]}
        out[f"from:{name}"] = ("uniform", {"net_params": params, "inspect": _inspect})
    return out


def run_transfer(options, *, per_class=None, family="digits"):
    """The ``transfer`` scenario (50 epochs, 5 draws x 2 seeds by default).

    Parameters
    ----------
    options : ScenarioOptions
        The run's options; ``methods`` is ignored (with a note): the
        scenario's variants are fixed (:func:`transfer_variants`).
    per_class : int or None, default=None
        The child's training rows a class (None: the family's own; not for
        ``longtail``, whose counts are fixed).
    family : str, default="digits"
        A key of :data:`FAMILIES`.

    Returns
    -------
    result : CompareResult
        Paired against ``no_transfer``, with the parent section.
    """
    config = options.net_config(50)
    task, fam = transfer_task(config, family=family)
    if per_class is None:
        per_class = min(fam.counts.values())
    splits, how = options.draw_splits(task.y, per_class)
    jobs = fit_jobs(task, splits, config, transfer_variants(fam.pool))
    result = options.run(
        "transfer", task, jobs, config, how=how, baseline="no_transfer"
    )
    result.sections.append(transfer_section(result, [n for n, _ in fam.pool]))
    if options.methods:
        result.notes.append("--methods is ignored by the transfer scenario.")
    return result
