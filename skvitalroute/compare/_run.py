"""Splits of the protocols and the fits, in parallel, with a progress bar."""

import time
from dataclasses import dataclass

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.preprocessing import FunctionTransformer

from skvitalroute._utils._interrupt import propagate_user_interrupt
from skvitalroute.compare._data import CompareError, induce_imbalance
from skvitalroute.compare._methods import (
    NEURAL_METHODS,
    NetConfig,
    build_method,
    vitality_readings,
)
from skvitalroute.compare._metrics import score_predictions
from skvitalroute.compare._progress import FitProgress, job_label


class FitError(RuntimeError):
    """A method failed to fit or predict on one split (names both)."""


@dataclass
class Split:
    """One train/test split; ``train`` already has the induced tail.

    Attributes
    ----------
    seed : int
        Repeat seed.
    fold : int
        Fold index within the repeat.
    train : ndarray of int
        Training rows (after the imbalance induction).
    test : ndarray of int
        Test rows (never reduced).
    """

    seed: int
    fold: int
    train: np.ndarray
    test: np.ndarray

    @property
    def random_state(self):
        """Seed shared by every method on this split (paired comparison)."""
        return int(self.seed) * 1000 + int(self.fold)


def make_splits(task, *, protocol="cv", folds=5, seeds=(0, 1, 2), test_size=0.25):
    """Training/test splits, the long tail induced on the training rows only.

    Parameters
    ----------
    task : Task
        The data and the kept share of each class.
    protocol : {"cv", "holdout"}, default="cv"
        ``"cv"``: stratified ``folds``-fold cross-validation, reshuffled
        for each seed. ``"holdout"``: one stratified split per seed with a
        ``test_size`` test share (the original study's format).
    folds : int, default=5
        Folds of the cross-validation.
    seeds : sequence of int, default=(0, 1, 2)
        One repeat per seed.
    test_size : float, default=0.25
        Test share of the holdout protocol.

    Returns
    -------
    splits : list of Split
        The training rows of each split are reduced with
        :func:`~skvitalroute.compare._data.induce_imbalance`, seeded by
        ``(seed, fold)``, so every method sees the same rows.
    """
    y = task.y
    out = []
    for seed in seeds:
        if protocol == "cv":
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        elif protocol == "holdout":
            cv = StratifiedShuffleSplit(
                n_splits=1, test_size=test_size, random_state=seed
            )
        else:
            raise CompareError(f"protocol must be 'cv' or 'holdout'; got {protocol!r}.")
        for fold, (train, test) in enumerate(_split(cv, y, protocol, test_size)):
            kept = induce_imbalance(
                y[train], task.keep_fraction, random_state=[seed, fold]
            )
            out.append(Split(seed, fold, train[kept], test))
    return out


def _split(cv, y, protocol, test_size):
    """The splits of ``cv``; scikit-learn's refusal as a CompareError, before
    any fit (a holdout test share too small or too large for the classes)."""
    try:
        return list(cv.split(np.zeros(len(y)), y))
    except ValueError as exc:
        classes = len(np.unique(y))
        option = f"--test-size {test_size:g}" if protocol == "holdout" else "--folds"
        raise CompareError(
            f"{option} cannot split {len(y)} rows of {classes} classes "
            f"stratified ({exc}); choose a test share that leaves at least one "
            "row of each class on both sides."
        ) from None


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


_WARMED = []


def _warm_up():
    """Fit a tiny network once per process, outside any timed fit.

    The first torch fit of a process pays for lazy imports and kernel
    set-up (about a second); without this, whichever method runs first
    in a worker would look slow.
    """
    if _WARMED:
        return
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)), np.arange(32) % 2
    build_method(
        "uniform",
        FunctionTransformer(),
        NetConfig(epochs=1, hidden_units=(4,)),
        random_state=0,
    ).fit(X, y).predict(X)
    _WARMED.append(True)


def _task_proba(pipe, X, classes):
    """``predict_proba`` with one column per task class, in the task's order.

    A class the training rows lacked gets a column of zeros.
    """
    proba = pipe.predict_proba(X)
    out = np.zeros((proba.shape[0], len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(pipe.classes_):
        out[:, index[c]] = proba[:, j]
    return out


def fit_one(
    task, method, split, config, *, net_params=None, label=None, inspect=None, threads=1
):
    """Fit one method on one split and score it.

    Parameters
    ----------
    task : Task
        The data.
    method : str
        Method name.
    split : Split
        Rows to train and test on.
    config : NetConfig
        Shared network settings.
    net_params : dict, default=None
        Extra classifier parameters for this fit (they override the
        method's own, e.g. ``tactics``).
    label : str, default=None
        Name recorded as ``method`` (default: ``method``); lets a scenario
        run variants of one method.
    inspect : callable, default=None
        ``inspect(pipeline, task, split) -> dict``, merged into the record
        (a module-level function, so joblib can send it to workers).
    threads : int or None, default=1
        torch threads during the fit (restored afterwards); ``None`` leaves
        torch alone. One thread is fastest for these small networks and
        fair when fits run side by side.

    Returns
    -------
    record : dict
        ``method``, ``seed``, ``fold``, ``n_train``, the scores of
        :func:`~skvitalroute.compare._metrics.score_predictions` (the
        probability metrics from ``predict_proba``),
        ``fit_time`` (seconds) and ``vitality`` (what the tactics read).
    """
    y_train = task.y[split.train]
    min_count = int(np.unique(y_train, return_counts=True)[1].min())
    pipe = build_method(
        method,
        task.preprocessor,
        config,
        random_state=split.random_state,
        min_class_count=min_count,
        **(net_params or {}),
    )
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    # skorch catches a Ctrl-C inside fit and returns a half-trained net: the
    # guard raises it again, so an interrupted fit is never scored
    try:
        with propagate_user_interrupt():
            if method in NEURAL_METHODS:
                _warm_up()
            start = time.perf_counter()
            pipe.fit(_take(task.X, split.train), y_train)
            fit_time = time.perf_counter() - start
            X_test = _take(task.X, split.test)
            y_pred = pipe.predict(X_test)
            proba = _task_proba(pipe, X_test, task.classes)
    except Exception as exc:
        raise FitError(
            f"method {method!r} failed on seed {split.seed}, fold {split.fold}: {exc}"
        ) from exc
    finally:
        torch.set_num_threads(before)
    scores = score_predictions(
        task.y[split.test], y_pred, task.classes, task.minority, proba=proba
    )
    extra = inspect(pipe, task, split) if inspect is not None else {}
    return {
        "method": label or method,
        "seed": split.seed,
        "fold": split.fold,
        "n_train": len(split.train),
        **scores,
        "fit_time": fit_time,
        "vitality": vitality_readings(pipe),
        **extra,
    }


def run_fits(jobs, *, n_jobs=1, quiet=False, desc="fits"):
    """Run fit jobs, in parallel through joblib, updating a progress bar.

    The bar shows the fits done and, by method and split, the fits being
    fitted: joblib hands the jobs out in order, one at a time, so those are
    the first unfinished ones, as many as there are workers.

    Parameters
    ----------
    jobs : list of tuple
        ``(function, args, kwargs)`` triples; each call returns a dict.
    n_jobs : int, default=1
        joblib workers (``-1``: every core).
    quiet : bool, default=False
        No progress bar.
    desc : str, default="fits"
        Label of the progress bar.

    Returns
    -------
    results : list
        In the order of ``jobs``.
    """
    bar = FitProgress(len(jobs), quiet=quiet, desc=desc)
    results = [None] * len(jobs)
    labels = [job_label(job) for job in jobs]
    pending = list(range(len(jobs)))
    workers = max(1, effective_n_jobs(n_jobs))

    def indexed(i, func, args, kwargs):
        return i, func(*args, **kwargs)

    try:
        bar.running(labels[j] for j in pending[:workers])
        parallel = Parallel(
            n_jobs=n_jobs, return_as="generator_unordered", batch_size=1
        )
        for i, result in parallel(
            delayed(indexed)(i, *job) for i, job in enumerate(jobs)
        ):
            results[i] = result
            pending.remove(i)
            bar.update(1)
            bar.running(labels[j] for j in pending[:workers])
    finally:
        bar.close()
    return results
