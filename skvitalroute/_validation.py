"""Input checks shared by the two front doors.

scikit-learn's ``validate_data`` already rejects NaN, infinity, empty or
1-D ``X``, complex data and mismatched lengths. What it cannot know is that
the networks compute in float32: a float64 value beyond float32's range
would become ``inf`` inside the net (NaN probabilities, or an error from
deep inside torch). This check names the problem instead.
"""

import numpy as np
from scipy import sparse

_FLOAT32_MAX = float(np.finfo(np.float32).max)
_SCALE_HINT = "Scale the features first, e.g. with sklearn's StandardScaler."


def _largest_magnitude(X):
    """Largest ``|x|`` of a validated array or sparse matrix (0 when empty)."""
    values = X.data if sparse.issparse(X) else np.asarray(X)
    if values.size == 0 or values.dtype.kind != "f":
        return 0.0
    # max and -min rather than max(abs(X)): no temporary as large as X
    # (it was the peak of a fit's memory, benchmarks/bench_scale.py).
    return float(max(values.max(), -values.min()))


def check_float32_range(X, estimator):
    """Raise a ``ValueError`` when ``X`` holds values float32 cannot represent.

    Parameters
    ----------
    X : ndarray or sparse matrix
        Input already validated by scikit-learn (numeric and finite).
    estimator : object
        The estimator, named in the message.

    Returns
    -------
    X : ndarray or sparse matrix
        The input, unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvitalroute._validation import check_float32_range
    >>> X = np.array([[1e39]])
    >>> check_float32_range(X, LogisticRegression())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Input X contains values too large for float32 ...
    """
    largest = _largest_magnitude(X)
    if largest > _FLOAT32_MAX:
        raise ValueError(
            f"Input X contains values too large for float32 (largest |x| = "
            f"{largest:.3g}; float32 holds up to {_FLOAT32_MAX:.3g}), and "
            f"{type(estimator).__name__} computes in float32. {_SCALE_HINT}"
        )
    return X

