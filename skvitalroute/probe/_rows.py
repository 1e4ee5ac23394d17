"""Which rows a reading of a network takes: the one meaning of ``probe_size``."""

import numpy as np

# docs/probe.md, "The signals": at most 256 probe rows per class.
_CLASS_ROWS = 256

# The seed of every probe-row draw unless a caller is given another one
# (VitalityProbe's ``random_state``, VitalitySampler's probe seed).
PROBE_SEED = 0


def probe_rows(n, y, size, random_state=PROBE_SEED):
    """The rows a reading of ``n`` rows (labelled ``y``) takes.

    ``probe_size``, wherever it is a parameter (``VitalityProbe``, the
    vitality callbacks, ``DivergenceGuard``, ``VitalitySampler``,
    ``VitalRouteClassifier``), is the ``size`` given here: the most rows
    a reading takes, whatever the number of rows. The rows are drawn with
    the fixed seed ``random_state``, so the same data gives the same rows
    every epoch and in every caller:

    - with labels ``y``: an equal share of ``size`` per class of ``y``
      (``max(1, size // n_classes)``, at most 256 a class; a class with
      fewer rows gives all of them), so that each class is read on the
      same number of rows;
    - without labels (``y=None``): ``min(n, size)`` rows drawn uniformly,
      every row when ``n <= size``.

    The rows are sorted. Drawing again from the rows drawn (with their
    labels and the same ``size``) gives all of them, in order: a reading of
    a probe batch reads the whole batch, so the tactic callbacks draw the
    batch once per fit and the probe reads the same rows from it.
    ``VitalityProbe.per_sample_stress`` scores its rows with this function
    too, without labels and with its own budget of 4096 rows instead of
    ``probe_size`` (``docs/probe.md``).

    Parameters
    ----------
    n : int
        Number of rows.
    y : array-like of shape (n,) or None
        Class labels, of any type; None for an unlabelled draw.
    size : int
        The most rows to take (``probe_size``).
    random_state : int, default=0
        Seed of the draw.

    Returns
    -------
    rows : ndarray of int
        Sorted row indices in ``[0, n)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute.probe._rows import probe_rows
    >>> y = np.repeat([0, 1], [90, 10])
    >>> rows = probe_rows(100, y, 40)
    >>> np.bincount(y[rows]).tolist()  # 20 a class; class 1 has only 10
    [20, 10]
    >>> probe_rows(100, None, 40).shape
    (40,)
    >>> probe_rows(len(rows), y[rows], 40).tolist() == list(range(len(rows)))
    True
    """
    if y is None:
        if n <= size:
            return np.arange(n)
        rng = np.random.default_rng(random_state)
        return np.sort(rng.choice(n, size, replace=False))
    classes, codes = np.unique(np.asarray(y), return_inverse=True)
    return _stratified_rows(codes.reshape(-1), len(classes), size, random_state)


def _stratified_rows(codes, n_classes, size, random_state):
    """An equal share of ``size`` per class code (at most 256 a class).

    The rows of each class are found with one sort of the codes rather than
    one scan of the labels per class.
    """
    rng = np.random.default_rng(random_state)
    quota = min(_CLASS_ROWS, max(1, size // n_classes))
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=n_classes))[:-1]
    picks = [rng.permutation(members)[:quota] for members in np.split(order, bounds)]
    return np.sort(np.concatenate(picks))
