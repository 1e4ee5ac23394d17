"""The classifier's built-in loss: its class statistics and its criterion.

At each fit the training labels give the class prior and the class weights
(:func:`set_loss_inputs`); :func:`build_criterion` then builds the loss named by
``loss`` (or chosen by the route) from :mod:`skvitalroute.nn._losses`. See
``docs/classifier.md``, "Baselines in the same estimator" and "Sample
weights".
"""

import numpy as np

from skvitalroute._classifier._params import check_class_weight_vector
from skvitalroute.nn._losses import build_loss, class_weight_vector
from skvitalroute.routing._estimator import resolved


def set_loss_inputs(est, y, y_enc, sample_weight=None):
    """Set the class prior and class weights of the training labels on ``est``.

    Parameters
    ----------
    est : VitalRouteClassifier
        Holds ``classes_``, ``class_weight`` and the fit's ``route_``; gets
        ``class_prior_`` (class frequencies) and ``class_weight_``
        (``class_weight``, else the route's, as one weight per class, or
        None).
    y : ndarray of shape (n_samples,)
        Training labels (original values).
    y_enc : ndarray of shape (n_samples,)
        The same, encoded as ``0 .. n_classes - 1``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights: the prior and balanced class weights then count each
        class by its rows' weights.

    Raises
    ------
    ValueError
        When the class weights give every class a zero weight.
    """
    counts = np.bincount(y_enc, weights=sample_weight, minlength=len(est.classes_))
    est.class_prior_ = counts / counts.sum()
    class_weight = est.class_weight
    if class_weight is None:
        class_weight = est.route_.settings.get("class_weight")
    weights = class_weight_vector(class_weight, est.classes_, y, sample_weight)
    est.class_weight_ = weights
    check_class_weight_vector(class_weight, weights, est.classes_, sample_weight, y_enc)


def build_criterion(est):
    """Build the loss named by ``loss`` (or routed) with the fit's statistics.

    Parameters
    ----------
    est : VitalRouteClassifier
        Holds ``loss``, ``logit_adjust_tau``,
        ``criterion__*`` and, after :func:`set_loss_inputs`, ``class_weight_``
        and ``class_prior_``.

    Returns
    -------
    criterion : torch.nn.Module

    Raises
    ------
    ValueError
        For the logit-adjusted loss without a class prior (a net initialised
        without training labels).
    """
    weight = getattr(est, "class_weight_", None)
    prior = getattr(est, "class_prior_", None)
    loss = resolved(est, "loss")
    if loss == "logit_adjusted" and prior is None:
        raise ValueError(
            "loss='logit_adjusted' needs the class prior of the training "
            "labels: call fit instead of initialize."
        )
    params = est.get_params_for("criterion")
    return build_loss(
        loss,
        weight=weight,
        prior=prior,
        gamma=params.pop("gamma", 2.0),  # criterion__gamma: the focal loss's
        tau=est.logit_adjust_tau,
        **params,
    )
