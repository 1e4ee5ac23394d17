"""The forest blend: a balanced random forest trained beside the network.

The default router's plan names it (``RoutePlan.forest``, from
``skvitalroute/routing/_default.py``); after the network is trained on all
rows, ``fit`` trains imbalanced-learn's ``BalancedRandomForestClassifier``
on the same rows and labels, and the classifier's probabilities average the
two (docs/router.md, "The forest blend").
"""

from contextlib import contextmanager, nullcontext
from dataclasses import replace

import numpy as np

from skvitalroute._utils._interrupt import propagate_user_interrupt


def forest_planned(est, incremental):
    """Whether this fit trains a forest after the network.

    Parameters
    ----------
    est : VitalRouteClassifier
        With ``route_``.
    incremental : bool
        Whether the call is ``partial_fit``.

    Returns
    -------
    planned : bool
    """
    return est.route_.forest is not None and not incremental


@contextmanager
def network_step(est, planned):
    """The network's training, as the first step of a fit with a forest.

    skorch ends training on a user's Ctrl-C and returns normally; when a
    forest follows, the Ctrl-C is raised instead, so the fit stops there.
    """
    with propagate_user_interrupt() if planned else nullcontext():
        yield


def fit_forest(est, X, y_enc, sample_weight, *, incremental):
    """Train the forest of ``est.route_.forest`` on the fit's rows, or none.

    Sets ``est.forest_`` (None when the network predicts alone) and
    ``est.forest_weight_`` (the forest's weight in the probabilities). A
    ``partial_fit`` trains the network alone: a forest does not learn
    incrementally, so a planned forest is switched off and ``route_``'s
    reasons say so.

    Parameters
    ----------
    est : VitalRouteClassifier
        With ``route_`` and ``_seed_``; its network already trained.
    X : ndarray of shape (n_samples, n_features)
        The validated training data.
    y_enc : ndarray of shape (n_samples,)
        The encoded labels (the columns of ``predict_proba``).
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights, passed to the forest's ``fit``.
    incremental : bool
        Whether the call is ``partial_fit``.
    """
    from imblearn.ensemble import BalancedRandomForestClassifier

    plan = est.route_
    est.forest_, est.forest_weight_ = None, 0.0
    if plan.forest is None:
        return
    if incremental:
        why = (
            "off: partial_fit trains the network alone (a forest does not learn "
            "incrementally)"
        )
        est.route_ = replace(plan, forest=None, reasons={**plan.reasons, "forest": why})
        return
    forest = BalancedRandomForestClassifier(
        n_estimators=plan.forest["n_estimators"],
        sampling_strategy="all",
        replacement=True,
        bootstrap=False,
        random_state=est._seed_ % (2**32),
        n_jobs=est.n_jobs,
    )
    est.forest_ = forest.fit(X, y_enc, sample_weight=sample_weight)
    est.forest_weight_ = float(plan.forest["weight"])


def blend(est, X, proba):
    """The network's probabilities ``proba`` blended with the forest's.

    Parameters
    ----------
    est : VitalRouteClassifier
        A fitted classifier.
    X : ndarray or torch Dataset
        The validated prediction rows.
    proba : ndarray of shape (n_samples, n_classes) of float64
        The network's probabilities.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes) of float64
        Unchanged without a forest (``forest_`` None or missing).

        Unchanged too for a torch Dataset (skorch's internal scoring of
        the network while it trains): the forest reads arrays.
    """
    forest = getattr(est, "forest_", None)
    if forest is None or not isinstance(X, np.ndarray):
        return proba
    weight = est.forest_weight_
    out = np.zeros_like(proba)
    # the forest's classes are the encoded labels it saw (all of them at fit)
    out[:, forest.classes_.astype(int)] = forest.predict_proba(X)
    return (1 - weight) * proba + weight * out
