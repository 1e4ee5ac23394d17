"""Per-row sample weights, carried through a skorch net in the X dict.

skorch's documented way of passing sample weights is to make ``X`` a dict
holding them next to the inputs: its ``Dataset`` (and any batch iterator)
slices every value of the dict consistently, so each batch carries its own
rows' weights. :class:`~skvitalroute.VitalRouteClassifier` packs
``{"X": X, "sample_weight": w}`` at ``fit``, takes the weights out of the
batch before the module's ``forward`` (which never sees them) and reads
them in ``get_loss``.
"""

from collections.abc import Mapping

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight

INPUT_KEY = "X"
WEIGHT_KEY = "sample_weight"
#: Largest row weight (the bound of ``class_weight`` too): the loss sums
#: weight x class weight x row loss in float32, which holds up to 3.4e38.
WEIGHT_MAX = 1e30


def check_sample_weight(sample_weight, X):
    """Validate ``sample_weight`` for the rows of ``X``.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        Row weights.
    X : ndarray of shape (n_samples, n_features)
        The validated training rows.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) of float64 or None
        None when no weights were given.

    Raises
    ------
    ValueError
        When the weights are not one finite, non-negative number per row,
        or are all zero (scikit-learn's messages), or when a weight exceeds
        :data:`WEIGHT_MAX`.
    """
    if sample_weight is None:
        return None
    weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if not weight.any():  # scikit-learn < 1.8 accepts all-zero weights
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if weight.max() > WEIGHT_MAX:
        raise ValueError(
            f"sample_weight must be at most {WEIGHT_MAX:g}: the loss sums weight "
            f"x row loss in float32 (up to 3.4e38); got a largest weight of "
            f"{weight.max():.3g}. Divide the weights by a common factor: the "
            "weighted mean loss does not change."
        )
    return weight


def with_sample_weight(X, sample_weight):
    """Return the ``X`` a skorch net trains on: a dict when rows are weighted.

    Equal weights (or none) change nothing in a weighted mean, so they give
    ``X`` itself and the fit is exactly an unweighted fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The validated training rows.
    sample_weight : ndarray of shape (n_samples,) or None
        Validated row weights.

    Returns
    -------
    X : ndarray or dict
        ``X``, or ``{"X": X as float32, "sample_weight": w as float32}``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute._data._sample_weight import with_sample_weight
    >>> X = np.zeros((3, 2))
    >>> with_sample_weight(X, np.ones(3)) is X
    True
    >>> sorted(with_sample_weight(X, np.array([1.0, 0.0, 2.0])))
    ['X', 'sample_weight']
    """
    if sample_weight is None or np.all(sample_weight == sample_weight[0]):
        return X
    # A writable, C-ordered float32 copy: torch warns on read-only arrays.
    X = np.require(X, dtype=np.float32, requirements=["C", "W"])
    return {INPUT_KEY: X, WEIGHT_KEY: sample_weight.astype(np.float32)}


def module_input(X):
    """The module's input of a batch: ``X`` without its sample weights.

    Parameters
    ----------
    X : array, tensor or dict
        A batch (or a whole dataset's ``X``).

    Returns
    -------
    X : array, tensor or dict
        The input array when the dict held only it and the weights; the
        dict without ``"sample_weight"`` otherwise; ``X`` unchanged when it
        holds no weights.
    """
    if not isinstance(X, Mapping) or WEIGHT_KEY not in X:
        return X
    rest = {key: value for key, value in X.items() if key != WEIGHT_KEY}
    return rest[INPUT_KEY] if list(rest) == [INPUT_KEY] else rest


def batch_sample_weight(X):
    """The sample weights a batch carries, as a tensor, or None.

    Parameters
    ----------
    X : array, tensor or dict
        A batch as the net's iterator yields it.

    Returns
    -------
    sample_weight : torch.Tensor of shape (n_rows,) or None
    """
    if not isinstance(X, Mapping) or WEIGHT_KEY not in X:
        return None
    return torch.as_tensor(X[WEIGHT_KEY])
