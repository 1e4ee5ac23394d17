"""What the scenarios share: their options, splits, fit jobs and the run itself.

Every scenario runner takes the same :class:`ScenarioOptions` (and options
of its own) and ends the same way: :meth:`ScenarioOptions.run` fits the
jobs and assembles the result, to which the scenario adds its own section.
"""

from dataclasses import dataclass, replace

import numpy as np

from skvitalroute.compare._compare import BASELINE, assemble
from skvitalroute.compare._methods import NetConfig
from skvitalroute.compare._run import Split, fit_one, make_splits, run_fits

#: Repeats (seeds) and folds (or draws) a scenario runs by default.
DEFAULT_SEEDS, DEFAULT_FOLDS = 2, 5
#: The sampling fixes and routers that the scenarios on class difficulty
#: (``shift``, ``confusable``) pit against each other.
SAMPLING_METHODS = (
    "uniform",
    "inv_freq",
    "ros",
    "vitality_sampler",
    "vitalroute",
    "vitalroute_seed",
    "vitalroute_seed_blind",
)


def percent(values):
    """``mean ± std`` of per-fit scores, in percent (std 0 for one fit).

    Parameters
    ----------
    values : array-like of float
        Scores in [0, 1], one a fit.

    Returns
    -------
    text : str

    Examples
    --------
    >>> percent([0.5, 0.7])
    ' 60.00 ± 14.14'
    """
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{100 * values.mean():6.2f} ± {100 * std:4.2f}"


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


@dataclass(frozen=True)
class ScenarioOptions:
    """The options every scenario takes; ``None`` takes the scenario's default.

    Attributes
    ----------
    methods : list of str or None
        Methods to run (``None``: the scenario's own variants).
    epochs : int or None
        Training budget of every neural method.
    seeds : int or None
        Repeats, seeds ``0..seeds-1`` (default :data:`DEFAULT_SEEDS`).
    folds : int or None
        Folds, or draws a repeat (default :data:`DEFAULT_FOLDS`).
    config : NetConfig or None
        Network settings; its ``epochs`` is replaced by the budget.
    n_jobs : int
        Parallel fits.
    quiet : bool
        No progress bar.
    """

    methods: list | None = None
    epochs: int | None = None
    seeds: int | None = None
    folds: int | None = None
    config: NetConfig | None = None
    n_jobs: int = -1
    quiet: bool = False

    def net_config(self, default_epochs):
        """The network settings with ``epochs`` or the scenario's budget.

        Parameters
        ----------
        default_epochs : int
            The scenario's own budget.

        Returns
        -------
        config : NetConfig
        """
        config = self.config or NetConfig()
        return replace(config, epochs=self.epochs or default_epochs)

    def variants(self, defaults, extra=None):
        """The requested methods (or the scenario's own) as fit variants.

        Parameters
        ----------
        defaults : sequence of str
            The scenario's methods.
        extra : dict, default=None
            Variants of the scenario's own run only, label -> ``(method,
            fit_one kwargs)``.

        Returns
        -------
        variants : dict
            Label -> ``(method, fit_one kwargs)``.
        """
        out = {m: (m, {}) for m in self.methods or defaults}
        if self.methods is None and extra:
            out.update(extra)
        return out

    def _seeds_and_repeats(self):
        """The seeds, and the folds (or draws) a seed: asked for, or the defaults."""
        return range(self.seeds or DEFAULT_SEEDS), self.folds or DEFAULT_FOLDS

    def cv_splits(self, task):
        """Stratified CV splits, and the report's line on them.

        Parameters
        ----------
        task : Task
            The data.

        Returns
        -------
        splits : list of Split
        how : str
        """
        seeds, folds = self._seeds_and_repeats()
        splits = make_splits(task, folds=folds, seeds=seeds)
        how = f"{folds}-fold stratified CV x {len(seeds)} seeds = {len(splits)} splits"
        return splits, how

    def draw_splits(self, y, per_class):
        """:func:`scarce_splits`, ``folds`` draws a seed, and the report's line.

        Parameters
        ----------
        y : ndarray
            Labels.
        per_class : int
            Training rows per class.

        Returns
        -------
        splits : list of Split
        how : str
        """
        seeds, repeats = self._seeds_and_repeats()
        splits = scarce_splits(y, per_class, repeats, seeds)
        return splits, f"{repeats} draws x {len(seeds)} seeds = {len(splits)} splits"

    def run(self, name, task, jobs, config, *, how, baseline=BASELINE):
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
        baseline : str, default="inv_freq"
            Reference of the paired comparison.

        Returns
        -------
        result : CompareResult
        """
        records = run_fits(jobs, n_jobs=self.n_jobs, quiet=self.quiet)
        return assemble(
            task,
            records,
            config,
            how=how,
            baseline=baseline,
            title=f"skvitalroute compare --scenario {name}",
        )
