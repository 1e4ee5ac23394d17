"""Per-class overlap in a hidden layer: a class signal that is not class size.

The composite per-class stress is nearly flat between classes and mostly
follows class size (docs/probe.md). This signal reads where each class's
rows lie in a hidden layer instead: the share of a class's rows whose
nearest neighbour (in that layer's activations) belongs to another class.
Every class is read on the same number of rows, so a small class is not
penalised for having few neighbours of its own.
"""

import numpy as np


def class_overlap(activations, codes, n_classes, *, repeats=5, random_state=0):
    """Leave-one-out 1-nearest-neighbour error of each class, equal-size draws.

    Parameters
    ----------
    activations : ndarray of shape (n_rows, n_units)
        One hidden layer's activations on the probe rows.
    codes : ndarray of shape (n_rows,)
        Class index of each row, in ``[0, n_classes)``.
    n_classes : int
        Number of classes.
    repeats : int, default=5
        Equal-size draws averaged.
    random_state : int, default=0
        Seed of the draws.

    Returns
    -------
    overlap : ndarray of shape (n_classes,)
        For each class, the mean over draws of the share of its ``m`` drawn
        rows whose nearest other drawn row has another class, where ``m`` is
        the size of the smallest class (at least 2 rows; classes with fewer
        rows get NaN). 0: the class is apart from the others; near
        ``(K - 1) / K`` for ``K`` classes: it is mixed with them.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute.probe._overlap import class_overlap
    >>> rng = np.random.default_rng(0)
    >>> a = np.r_[rng.normal(0, 1, (40, 2)), rng.normal(0, 1, (40, 2)),
    ...           rng.normal(9, 1, (10, 2))]
    >>> codes = np.repeat([0, 1, 2], [40, 40, 10])
    >>> ov = class_overlap(a, codes, 3)
    >>> bool(ov[2] < 0.05 < ov[0]), bool(ov[1] > 0.2)
    (True, True)
    """
    a = np.asarray(activations, dtype=np.float64)
    codes = np.asarray(codes)
    counts = np.bincount(codes, minlength=n_classes)
    ok = counts >= 2
    out = np.full(n_classes, np.nan)
    if ok.sum() < 2:
        return out
    m = int(counts[ok].min())
    rng = np.random.default_rng(random_state)
    members = [np.flatnonzero(codes == c) for c in range(n_classes)]
    errors = np.zeros(n_classes)
    for _ in range(repeats):
        rows = np.concatenate(
            [
                rng.choice(members[c], m, replace=False)
                for c in range(n_classes)
                if ok[c]
            ]
        )
        errors[ok] += _nearest_other(a[rows], codes[rows], n_classes)[ok]
    out[ok] = errors[ok] / repeats
    return out


def _nearest_other(a, codes, n_classes):
    """Share of each class's rows whose nearest neighbour has another class."""
    sq = np.einsum("ij,ij->i", a, a)
    d = sq[:, None] + sq[None, :] - 2.0 * a @ a.T
    np.fill_diagonal(d, np.inf)
    wrong = codes[d.argmin(axis=1)] != codes
    per_class = np.bincount(codes, weights=wrong, minlength=n_classes)
    return per_class / np.maximum(np.bincount(codes, minlength=n_classes), 1)


def bounded_tilt(overlap, strength):
    """Per-class logit offsets from an overlap reading, in ``(-strength, strength)``.

    ``offset_c = -strength * tanh(z_c)`` with ``z`` the overlap standardized
    over the classes that have a reading; classes without one get 0. A class
    more mixed than the others gets a negative offset: added to its logit
    in the loss only, it asks the network for a larger margin on it.

    Parameters
    ----------
    overlap : ndarray of shape (n_classes,)
        The output of :func:`class_overlap` (NaN: no reading).
    strength : float
        Largest offset, in nats.

    Returns
    -------
    offset : ndarray of shape (n_classes,)

    Examples
    --------
    >>> from skvitalroute.probe._overlap import bounded_tilt
    >>> bounded_tilt(np.array([0.1, 0.1, 0.5]), 0.5).round(3).tolist()
    [0.304, 0.304, -0.444]
    """
    ov = np.asarray(overlap, dtype=np.float64)
    out = np.zeros_like(ov)
    seen = np.isfinite(ov)
    if seen.sum() < 2:
        return out
    spread = ov[seen].std()
    if spread <= 1e-12:
        return out
    z = (ov[seen] - ov[seen].mean()) / spread
    out[seen] = -strength * np.tanh(z)
    return out
