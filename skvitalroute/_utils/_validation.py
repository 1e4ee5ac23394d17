"""Input checks shared by the two front doors.

scikit-learn's ``validate_data`` already rejects NaN, infinity, empty or
1-D ``X``, complex data and mismatched lengths. What it cannot know is that
the networks compute in float32: a float64 value beyond float32's range
would become ``inf`` inside the net (NaN probabilities, or an error from
deep inside torch). This check names the problem instead.

The checks of arguments both front doors take (layer widths, "did you
mean" hints) live here too, so that neither front door imports the other.
"""

import difflib
from numbers import Integral

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
    >>> from skvitalroute._utils._validation import check_float32_range
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


def _is_missing(value):
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float | np.floating) and np.isnan(value)


def check_label_values(y):
    """Name missing labels and labels of mixed types before scikit-learn does.

    scikit-learn's ``check_classification_targets`` calls an object array of
    labels holding ``None`` or mixing strings with numbers an "Unknown label
    type: unknown"; this check says which it is. It reads only the set of
    the labels' types unless one of them is a problem; arrays of another
    dtype pass unread.

    Parameters
    ----------
    y : array-like
        The labels.

    Raises
    ------
    ValueError
        When an object array of labels holds a missing value (``None``,
        NaN, ``pd.NA``) or both strings and other values.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute._utils._validation import check_label_values
    >>> check_label_values(np.array(["a", None, "b"], dtype=object))
    Traceback (most recent call last):
    ...
    ValueError: y has a missing label (None, NaN or pd.NA) in 1 of 3 rows; ...
    """
    labels = np.asarray(y)
    if labels.dtype != object:
        return
    labels = labels.ravel()
    types = set(map(type, labels))
    suspects = (type(None), float, np.floating)
    na_names = ("NAType", "NaTType")
    if any(issubclass(t, suspects) or t.__name__ in na_names for t in types):
        missing = sum(map(_is_missing, labels))
        if missing:
            raise ValueError(
                f"y has a missing label (None, NaN or pd.NA) in {missing} of "
                f"{labels.size} rows; drop those rows or give them a label."
            )
    strings = {t for t in types if issubclass(t, str | bytes)}
    if strings and strings != types:
        first = {}
        for v in labels:
            first.setdefault(isinstance(v, str | bytes), v)
        raise ValueError(
            "y mixes strings with labels of another type (e.g. "
            f"{first[True]!r} and {first[False]!r}). Use one type for every "
            "label, e.g. y.astype(str)."
        )


def did_you_mean(value, options):
    """A " Did you mean 'x'?" suffix naming the closest option, or "".

    Parameters
    ----------
    value : object
        What was received.
    options : iterable
        What is allowed.

    Returns
    -------
    hint : str

    Examples
    --------
    >>> from skvitalroute._utils._validation import did_you_mean
    >>> did_you_mean("hrad", ["class", "hard"])
    " Did you mean 'hard'?"
    """
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def check_hidden_units(hidden_units, name="hidden_units"):
    """Raise a ValueError unless ``hidden_units`` is a sequence of ints >= 1.

    Parameters
    ----------
    hidden_units : object
        The value to check: a tuple, list or 1-D array of layer widths.
    name : str, default="hidden_units"
        The parameter's name, for the message.

    Raises
    ------
    ValueError
        Naming the parameter and the value received.
    """
    is_array = getattr(hidden_units, "ndim", None) == 1
    ok = (isinstance(hidden_units, tuple | list) or is_array) and all(
        isinstance(u, Integral) and not isinstance(u, bool | np.bool_) and u >= 1
        for u in hidden_units
    )
    if not ok:
        raise ValueError(
            f"{name} must be a tuple of positive ints; got {hidden_units!r}."
        )
