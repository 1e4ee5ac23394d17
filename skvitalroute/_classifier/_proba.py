"""The classifier's probabilities: one per class, valid, under a chosen prior.

Three things the network's output must be, checked where they can fail:

- one probability column per class: :func:`check_network_output` runs the
  module on two rows before training (and after a load) and compares the
  width of its probabilities with ``classes_``;
- probabilities (non-negative rows summing to one): the same check, and
  :func:`check_proba` on every prediction, name ``predict_nonlinearity``
  when its output is not;
- under the class prior the user asked for (``proba_prior``):
  :func:`train_logit_offset` reads what training added to the logits
  (the logit adjustment, the class weights, a class sampler's draws) and
  :func:`shift_prior` moves the probabilities to the training prior or to
  equal priors (``docs/classifier.md``, "Probabilities").
"""

import numpy as np
import torch
from skorch.utils import to_tensor

from skvitalroute._utils._rng import torch_rng

#: Largest distance of a row's sum from 1 that is still a probability (the
#: network computes in float32; the rows are renormalised in float64).
SUM_TOLERANCE = 1e-3


def _nonlinearity_name(est):
    value = est.predict_nonlinearity
    return getattr(value, "__name__", repr(value)) if callable(value) else repr(value)


def check_proba(est, proba):
    """Raise unless every row of ``proba`` is a probability over the classes.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator, for its ``predict_nonlinearity``.
    proba : ndarray of shape (n_samples, n_columns)
        What skorch's ``predict_proba`` returned.

    Raises
    ------
    ValueError
        For non-finite values (overflowing inputs or parameters), negative
        values or rows that do not sum to 1 (a ``predict_nonlinearity`` that
        returns no probabilities, e.g. None: the logits).
    """
    if len(proba) == 0:
        return
    bad = ~np.isfinite(proba).all(axis=1)
    if bad.any():
        raise ValueError(
            f"The network's output is not finite for {int(bad.sum())} of "
            f"{len(proba)} rows, so it has no probabilities for them: its "
            "parameters or these inputs overflow float32. Scale the inputs "
            "(e.g. StandardScaler) and check that training did not diverge."
        )
    sums = proba.sum(axis=1, dtype=np.float64)
    wrong = (proba < 0).any(axis=1) | (np.abs(sums - 1) > SUM_TOLERANCE)
    if wrong.any():
        raise ValueError(
            f"predict_nonlinearity={_nonlinearity_name(est)} gives no "
            f"probabilities for {int(wrong.sum())} of {len(proba)} rows (values "
            f"from {proba.min():.3g} to {proba.max():.3g}, row sums from "
            f"{sums.min():.3g} to {sums.max():.3g}): predict_proba returns "
            "probabilities. Leave predict_nonlinearity='auto' (the softmax of "
            "the logits); net.forward(X) returns the logits."
        )


def check_network_output(est, X, fit_params=None):
    """Check, on two rows, that the network gives one probability per class.

    Runs before training (and after a load), so that a module of the wrong
    width or a nonlinearity that returns no probabilities is named instead
    of failing inside torch (a class-weight shape) or in ``predict``.

    Parameters
    ----------
    est : VitalRouteClassifier
        An initialised estimator with ``classes_``.
    X : ndarray of shape (n_samples, n_features_in_)
        Rows of its input (the first two are used).
    fit_params : dict, default=None
        The module's extra ``forward`` arguments; when there are any, the
        check is left to prediction (their rows cannot be cut safely).

    Raises
    ------
    ValueError
        When the probabilities' width differs from ``len(classes_)`` or
        they are not probabilities.
    """
    if fit_params or not hasattr(est, "label_encoder_"):
        return
    rows = np.asarray(X[:2], dtype=np.float32)
    module = est.module_
    training = module.training
    module.eval()
    try:
        with torch_rng(), torch.no_grad():
            out = est.infer(to_tensor(rows, device=est.device))
            out = out[0] if isinstance(out, tuple | list) else out
            proba = est._get_predict_nonlinearity()(out)
    except RuntimeError as exc:  # e.g. a first layer of another input width
        raise ValueError(
            f"The module cannot read rows of {rows.shape[1]} features "
            f"(n_features_in_): torch says {str(exc).splitlines()[0]!r}."
        ) from None
    finally:
        module.train(training)
    proba = proba.detach().cpu().numpy() if torch.is_tensor(proba) else proba
    n_classes = len(est.classes_)
    width = proba.shape[1] if np.ndim(proba) == 2 else None
    if width != n_classes:
        raise ValueError(
            f"The module gives {_width(proba)} per row but there are "
            f"{n_classes} classes ({est.classes_.tolist()!r:.80}): it must "
            f"output one logit per class, shape (n_rows, {n_classes}). Size its "
            f"last layer to {n_classes} outputs (e.g. module__n_classes)."
        )
    # a non-finite output is the divergence guard's to name (with the epoch)
    finite = np.isfinite(proba).all(axis=1)
    check_proba(est, proba[finite])


def _width(proba):
    if np.ndim(proba) == 2:
        return f"{proba.shape[1]} outputs"
    return f"an output of shape {tuple(np.shape(proba))[1:]}"


def train_logit_offset(est):
    """What training added to the logits, as one offset per class (nats).

    A network trained with weighted cross-entropy on the logits ``f(x) +
    b`` (the logit adjustment ``b = tau * log(prior) + class_offset``,
    class weights ``w``) on rows whose classes are drawn with probabilities
    ``q`` (a class sampler; else the training frequencies ``pi``) fits
    ``softmax(f(x) + b) ∝ w * q / pi * p(c | x)``, where ``p(c | x)`` is
    the posterior under the training prior ``pi``. So ``log p(c | x) = f(x)
    + b - log w - log q + log pi + const``; this function returns ``b -
    log w - log q + log pi``.

    Parameters
    ----------
    est : VitalRouteClassifier
        A fitted estimator (its ``criterion_``, ``class_prior_`` and the last
        epoch of ``history``).

    Returns
    -------
    offset : ndarray of shape (n_classes,)
        Zero where a term is unknown (a class of weight 0 or prior 0).

    Notes
    -----
    The hard-sample sampler draws rows, not classes: its effect is not
    undone, nor the focal loss's, which is no posterior under any prior.
    """
    n_classes = len(est.classes_)
    offset = np.zeros(n_classes)
    criterion = getattr(est, "criterion_", None)
    for name in ("log_prior", "class_offset"):
        buffer = getattr(criterion, name, None)
        if torch.is_tensor(buffer) and buffer.numel() == n_classes:
            scale = getattr(criterion, "tau", 1.0) if name == "log_prior" else 1.0
            offset += scale * buffer.detach().cpu().double().numpy()
    weight = getattr(criterion, "weight", None)
    if torch.is_tensor(weight) and weight.numel() == n_classes:
        offset -= _log_positive(weight.detach().cpu().double().numpy())
    drawn = _last_class_probs(est, n_classes)
    prior = getattr(est, "class_prior_", None)
    if drawn is not None and prior is not None:
        offset += _log_positive(prior) - _log_positive(drawn)
    return offset


def _log_positive(values):
    values = np.asarray(values, dtype=np.float64)
    return np.log(np.where(values > 0, values, 1.0))


def _last_class_probs(est, n_classes):
    """The class probabilities that drew the last epoch's rows, if any."""
    history = getattr(est, "history", None)
    if not history:
        return None
    probs = history[-1].get("vitality_class_probs")
    if probs is None or len(probs) != n_classes:
        return None
    return np.asarray(probs, dtype=np.float64)


def shift_prior(est, proba):
    """Move the network's probabilities to the class prior of ``proba_prior``.

    Bayes' rule with a new prior: ``p'(c | x) ∝ p(c | x) * exp(a_c)``, with
    ``a`` the fit's :func:`train_logit_offset` for ``"train"``, and ``a -
    log(class_prior_)`` for ``"balanced"``; ``"auto"`` returns ``proba``.

    Parameters
    ----------
    est : VitalRouteClassifier
        A fitted estimator.
    proba : ndarray of shape (n_samples, n_classes)
        The network's probabilities, rows summing to 1 (float64).

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes) of float64
    """
    prior = getattr(est, "proba_prior", "auto")
    if prior == "auto" or proba.shape[1] != len(est.classes_):
        return proba
    offset = getattr(est, "train_logit_offset_", None)
    if offset is None:
        offset = train_logit_offset(est)
    if prior == "balanced":
        offset = offset - _log_positive(est.class_prior_)
    with np.errstate(divide="ignore"):
        log_p = np.log(proba) + (offset - offset.max())
    shifted = np.exp(log_p - log_p.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
