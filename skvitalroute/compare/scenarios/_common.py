"""What the scenarios share: their defaults, splits, fit jobs and the run itself.

Every scenario takes the same options (``methods``, ``epochs``, ``seeds``,
``folds``, ``config``, ``n_jobs``, ``quiet``; ``None`` takes the
scenario's default) and ends the same way: :func:`run_jobs` fits the jobs
and assembles the result, to which the scenario adds its own section.
"""

from dataclasses import replace

import numpy as np

from skvitalroute.compare._compare import BASELINE, assemble
from skvitalroute.compare._methods import NetConfig
from skvitalroute.compare._run import Split, fit_one, make_splits, run_fits

#: Repeats (seeds) and folds (or draws) a scenario runs by default.
DEFAULT_SEEDS, DEFAULT_FOLDS = 2, 5


def percent(values):
    """``mean ± std`` of per-fit scores, in percent (std 0 for one fit).

    Examples
    --------
    >>> percent([0.5, 0.7])
    ' 60.00 ± 14.14'
    """
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{100 * values.mean():6.2f} ± {100 * std:4.2f}"


def scenario_config(config, epochs, default_epochs):
    """The run's network settings with the scenario's training budget.

    Parameters
    ----------
    config : NetConfig or None
        The user's settings (``None``: the defaults); its ``epochs`` is
        replaced.
    epochs : int or None
        The user's budget; ``None`` takes ``default_epochs``.
    default_epochs : int
        The scenario's own budget.

    Returns
    -------
    config : NetConfig
    """
    return replace(config or NetConfig(), epochs=epochs or default_epochs)


def variants(methods, defaults, extra=None):
    """Requested methods (or the scenario's defaults) as fit variants.

    Parameters
    ----------
    methods : list of str or None
        The user's methods; ``None`` runs ``defaults`` and ``extra``.
    defaults : sequence of str
        The scenario's methods.
    extra : dict, default=None
        Scenario-only variants, label -> ``(method, fit_one kwargs)``.

    Returns
    -------
    variants : dict
        Label -> ``(method, fit_one kwargs)``.
    """
    out = {m: (m, {}) for m in methods or defaults}
    if methods is None and extra:
        out.update(extra)
    return out


def fit_jobs(task, splits, config, variants):
    """Jobs for :func:`~skvitalroute.compare._run.run_fits`, variant by variant.

    Parameters
    ----------
    task : Task
        The data.
    splits : list of Split
        Every variant is fitted on each.
    config : NetConfig
        Shared network settings.
    variants : dict
        Label -> ``(method, fit_one kwargs)``.

    Returns
    -------
    jobs : list of tuple
        ``(fit_one, args, kwargs)`` triples.
    """
    return [
        (fit_one, (task, method, s, config), {"label": label, **kwargs})
        for label, (method, kwargs) in variants.items()
        for s in splits
    ]


def cv_splits(task, seeds, folds):
    """Stratified CV splits with the scenario defaults, and the report's line.

    Parameters
    ----------
    task : Task
        The data.
    seeds, folds : int or None
        Repeats and folds; ``None`` takes :data:`DEFAULT_SEEDS` and
        :data:`DEFAULT_FOLDS`.

    Returns
    -------
    splits : list of Split
    how : str
    """
    seeds, folds = range(seeds or DEFAULT_SEEDS), folds or DEFAULT_FOLDS
    splits = make_splits(task, folds=folds, seeds=seeds)
    how = f"{folds}-fold stratified CV x {len(seeds)} seeds = {len(splits)} splits"
    return splits, how


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


def draw_splits(y, per_class, seeds, folds):
    """:func:`scarce_splits` with the scenario defaults, and the report's line.

    Parameters
    ----------
    y : ndarray
        Labels.
    per_class : int
        Training rows per class.
    seeds, folds : int or None
        Repeats and draws a repeat; ``None`` takes :data:`DEFAULT_SEEDS`
        and :data:`DEFAULT_FOLDS`.

    Returns
    -------
    splits : list of Split
    how : str
    """
    seeds, repeats = range(seeds or DEFAULT_SEEDS), folds or DEFAULT_FOLDS
    splits = scarce_splits(y, per_class, repeats, seeds)
    return splits, f"{repeats} draws x {len(seeds)} seeds = {len(splits)} splits"


def run_jobs(name, task, jobs, config, *, how, n_jobs, quiet, baseline=BASELINE):
    """Fit the scenario's jobs and assemble its result.

    Parameters
    ----------
    name : str
        Scenario name (in the report's title).
    task : Task
        The data the jobs fit.
    jobs : list of tuple
        :func:`fit_jobs` triples.
    config : NetConfig
        Shared network settings.
    how : str
        One line on the splits.
    n_jobs : int
        Parallel fits.
    quiet : bool
        No progress bar.
    baseline : str, default="inv_freq"
        Reference of the paired comparison.

    Returns
    -------
    result : CompareResult
    """
    records = run_fits(jobs, n_jobs=n_jobs, quiet=quiet)
    return assemble(
        task,
        records,
        config,
        how=how,
        baseline=baseline,
        title=f"skvitalroute compare --scenario {name}",
    )
