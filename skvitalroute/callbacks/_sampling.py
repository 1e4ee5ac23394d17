"""Sampling probabilities of the class and hard-sample tactics.

The formulas and defaults are in docs/tactics.md, "Class-stress sampling"
and "Hard-sample sampling".

Both the skorch callbacks and :class:`~skvitalroute.VitalitySampler` draw rows
with these probabilities, so the formulas live in one place.
"""

import numpy as np
from scipy.special import softmax


def class_probabilities(class_stress, *, strength=0.7, beta=4.0):
    """Class probabilities from per-class stress.

    ``p = (1 - strength) * uniform + strength * softmax(beta * class_stress)``;
    uniform when every stress is 0. With ``strength < 1`` every class keeps a
    non-zero probability, and with ``strength == 1`` the softmax is still
    positive everywhere, so no class is ever dropped.

    Parameters
    ----------
    class_stress : array-like of shape (n_classes,)
        Composite stress of each class, in [0, 1].
    strength : float, default=0.7
        Weight of the stress-driven part, in [0, 1].
    beta : float, default=4.0
        Softmax temperature; ``beta=0`` gives uniform class probabilities
        (the "signal off" control).

    Returns
    -------
    p : ndarray of shape (n_classes,)
        Probabilities summing to 1.

    Examples
    --------
    >>> from skvitalroute.callbacks._sampling import class_probabilities
    >>> class_probabilities([0.0, 0.0]).tolist()
    [0.5, 0.5]
    >>> p = class_probabilities([0.0, 0.5], strength=1.0, beta=4.0)
    >>> bool(p[1] > p[0])
    True
    """
    stress = np.asarray(class_stress, dtype=np.float64)
    uniform = np.full(stress.shape, 1.0 / stress.shape[0])
    if not np.any(stress):
        return uniform
    return (1.0 - strength) * uniform + strength * softmax(beta * stress)


def sample_probabilities(sample_stress, *, strength=0.6, beta=3.0):
    """Row probabilities from per-sample stress.

    ``p_i = (1 - strength) / n + strength * softmax(beta * sample_stress)_i``.

    Parameters
    ----------
    sample_stress : array-like of shape (n_samples,)
        Per-sample stress, in [0, 1].
    strength : float, default=0.6
        Weight of the stress-driven part, in [0, 1].
    beta : float, default=3.0
        Softmax temperature.

    Returns
    -------
    p : ndarray of shape (n_samples,)
        Probabilities summing to 1, all positive.

    Examples
    --------
    >>> from skvitalroute.callbacks._sampling import sample_probabilities
    >>> p = sample_probabilities([0.1, 0.9, 0.1])
    >>> bool(p[1] > p[0]) and bool(abs(p.sum() - 1) < 1e-12)
    True
    """
    stress = np.asarray(sample_stress, dtype=np.float64)
    n = stress.shape[0]
    return (1.0 - strength) / n + strength * softmax(beta * stress)
