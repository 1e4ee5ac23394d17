"""The ``shift`` scenario: class difficulty changes in the middle of training.

Digits, training folds 5:1 imbalanced (so the seed's router turns the class
sampler on). During the first half of training the minority class 8 is noisy (hard)
and class 3 clean; at the shift epoch class 8 turns clean and class 3 noisy,
and the test rows of class 3 are noisy too (the post-shift world). A
sampler that reads stress during training (``vitalroute_seed``, refreshed every
2 epochs) can react; a sampler that reads it once before training
(``vitality_sampler``) or a count-based fix (``inv_freq``) cannot.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from skorch.callbacks import Callback

from skvitalroute.compare._data import Task, tail_fractions
from skvitalroute.compare._methods import NEURAL_METHODS
from skvitalroute.compare._report import format_table
from skvitalroute.compare.scenarios._common import (
    SAMPLING_METHODS,
    fit_jobs,
    percent,
)

HARD_AFTER, HARD_BEFORE = 3, 8
DEFAULT_METHODS = SAMPLING_METHODS


class DifficultyShift(Callback):
    """Swap which classes are noisy at epoch ``at_epoch`` (a test fixture).

    Parameters
    ----------
    at_epoch : int
        First epoch (1-based) of the second phase.
    noisy_before, noisy_after : tuple of int
        Encoded labels whose training rows carry Gaussian noise before /
        from ``at_epoch`` on.
    sigma : float, default=1.5
        Noise scale (inputs are standardized).
    random_state : int, default=0
        Seed of the noise.
    """

    def __init__(
        self, at_epoch, noisy_before, noisy_after, *, sigma=1.5, random_state=0
    ):
        self.at_epoch = at_epoch
        self.noisy_before = noisy_before
        self.noisy_after = noisy_after
        self.sigma = sigma
        self.random_state = random_state

    def on_train_begin(self, net, **kwargs):
        """Forget the previous fit's copy of the clean rows."""
        self.clean_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Corrupt the rows of the classes that are hard in this phase.

        Runs before the tactic callbacks of the same epoch, so their
        readings see the new rows. The rows are changed in place in the
        net's own float32 copy of the training data.
        """
        epoch = len(net.history)
        if epoch not in (1, self.at_epoch):
            return
        X, y = dataset_train.X, np.asarray(dataset_train.y)
        if self.clean_ is None:
            self.clean_ = X.copy()
        noisy = self.noisy_before if epoch < self.at_epoch else self.noisy_after
        rng = np.random.default_rng([self.random_state, epoch])
        X[:] = self.clean_
        rows = np.isin(y, noisy)
        X[rows] += self.sigma * rng.standard_normal(X[rows].shape).astype(X.dtype)


def shift_task(sigma=1.5, random_state=0):
    """Standardized digits, 5:1 tail on training folds, noisy test rows of class 3.

    The noisy test rows are fixed once; :func:`run_shift` builds the
    training-time noise with :class:`DifficultyShift`.

    Parameters
    ----------
    sigma : float, default=1.5
        Noise scale (inputs are standardized).
    random_state : int, default=0
        Seed of the test rows' noise.

    Returns
    -------
    task : Task
    X_noisy_test : ndarray
        ``task.X`` with the rows of class 3 noisy (read for the test rows).
    """
    X, y = load_digits(return_X_y=True)
    # Standardized once up front (no labels used) so that the noise the
    # callback adds and the noise on the test rows live on the same scale.
    X = StandardScaler().fit_transform(X)
    rng = np.random.default_rng(random_state)
    X_test_view = X.copy()
    rows = y == HARD_AFTER
    X_test_view[rows] += sigma * rng.standard_normal((rows.sum(), X.shape[1]))
    classes = np.unique(y)
    keep, minority = tail_fractions(classes, 5.0)
    desc = (
        "sklearn digits, standardized, training folds 5:1 imbalanced (classes 5-9); "
        f"class {HARD_BEFORE} noisy (sigma {sigma:g}) in the first half of training, "
        f"class {HARD_AFTER} noisy from the middle on and in the test rows"
    )
    task = Task("shift", X, y, classes, keep, minority, FunctionTransformer(), desc)
    return task, X_test_view


def _probs_by_phase(pipe, task, split, at_epoch):
    """Inspect: the class probabilities of the two shifted classes per phase."""
    model = pipe.named_steps["model"]
    rows = [r.get("vitality_class_probs") for r in model.history]
    idx = {c: list(task.classes).index(c) for c in (HARD_AFTER, HARD_BEFORE)}
    out = {}
    for phase, sl in (
        ("before", slice(1, at_epoch - 1)),
        ("after", slice(at_epoch + 1, None)),
    ):
        probs = [r for r in rows[sl] if r is not None]
        for c, i in idx.items():
            key = f"prob_{c}_{phase}"
            out[key] = float(np.mean([p[i] for p in probs])) if probs else float("nan")
    return out


def _inspect(pipe, task, split):
    at = pipe.named_steps["model"].max_epochs // 2 + 1
    return _probs_by_phase(pipe, task, split, at)


def _split_task(task, X_noisy_test, split):
    """The task seen by one split: its test rows of class 3 are the noisy ones."""
    X = task.X.copy()
    X[split.test] = X_noisy_test[split.test]
    return Task(
        task.name,
        X,
        task.y,
        task.classes,
        task.keep_fraction,
        task.minority,
        task.preprocessor,
        task.description,
    )


def shift_section(result):
    """Recall of the two shifted classes; class probabilities per phase.

    Parameters
    ----------
    result : CompareResult
        The scenario's result.

    Returns
    -------
    text : str
    """
    records, classes = result.records, list(result.classes)
    rows = []
    for m in result.summary:
        recs = [r for r in records if r["method"] == m]
        row = [m]
        for c in (HARD_AFTER, HARD_BEFORE):
            row.append(percent([r["per_class_recall"][classes.index(c)] for r in recs]))
        for c in (HARD_AFTER, HARD_BEFORE):
            before = [r[f"prob_{c}_before"] for r in recs if f"prob_{c}_before" in r]
            after = [r[f"prob_{c}_after"] for r in recs if f"prob_{c}_after" in r]
            ok = before and not np.isnan(before).all()
            row.append(
                f"{np.nanmean(before):.3f} -> {np.nanmean(after):.3f}" if ok else ""
            )
        rows.append(row)
    header = [
        "method",
        f"recall {HARD_AFTER} % (hard after)",
        f"recall {HARD_BEFORE} % (hard before)",
        f"class {HARD_AFTER} prob before -> after",
        f"class {HARD_BEFORE} prob before -> after",
    ]
    text = (
        "The shifted classes (class probabilities of the in-training class sampler, "
        f"uniform = {1 / len(classes):.3f}):\n" + format_table(header, rows)
    )
    return text + _verdict([r for r in records if r["method"] == "vitalroute_seed"])


def _verdict(recs):
    """Did the in-training class sampler follow the shift? (empty without runs)"""
    if not recs:
        return ""

    def change(c):
        d = np.array([r[f"prob_{c}_after"] - r[f"prob_{c}_before"] for r in recs])
        return d[~np.isnan(d)].mean() if (~np.isnan(d)).any() else np.nan

    rise, fall = change(HARD_AFTER), change(HARD_BEFORE)
    if np.isnan(rise) or np.isnan(fall):
        return "\n(too few epochs to read the class sampler before and after the shift)"
    reacted = rise > 0.005 and fall < -0.005
    return (
        f"\nvitalroute_seed: class {HARD_AFTER} probability changed by {rise:+.4f} "
        "after "
        f"the shift, class {HARD_BEFORE} by {fall:+.4f}: the class sampler "
        + ("followed the shift." if reacted else "did not follow the shift.")
    )


def _shift_jobs(task, X_noisy_test, splits, config, variants, sigma):
    """Fit jobs on each split's own task, the neural fits under the shift."""
    at = config.epochs // 2 + 1
    jobs = []
    for label, (method, kwargs) in variants.items():
        for s in splits:
            extra = {}
            if method in NEURAL_METHODS:
                shift = DifficultyShift(
                    at,
                    (HARD_BEFORE,),
                    (HARD_AFTER,),
                    sigma=sigma,
                    random_state=s.random_state,
                )
                extra = {"net_params": {"callbacks": [shift]}, "inspect": _inspect}
            variant = {label: (method, {**kwargs, **extra})}
            jobs += fit_jobs(_split_task(task, X_noisy_test, s), [s], config, variant)
    return jobs


def run_shift(options, *, sigma=1.5):
    """The ``shift`` scenario (30 epochs, 5-fold CV x 2 seeds by default).

    Parameters
    ----------
    options : ScenarioOptions
        The run's options.
    sigma : float, default=1.5
        Scale of the noise.

    Returns
    -------
    result : CompareResult
        With the section on the shifted classes.
    """
    task, X_noisy_test = shift_task(sigma)
    config = options.net_config(30)
    splits, how = options.cv_splits(task)
    variants = options.variants(DEFAULT_METHODS)
    jobs = _shift_jobs(task, X_noisy_test, splits, config, variants, sigma)
    how += f"; shift at epoch {config.epochs // 2 + 1}"
    result = options.run("shift", task, jobs, config, how=how)
    result.sections.append(shift_section(result))
    return result
