"""Input checks shared by the two front doors.

scikit-learn's ``validate_data`` already rejects NaN, infinity, empty or
1-D ``X``, complex data and mismatched lengths. What it cannot know is that
the networks compute in float32: a float64 value beyond float32's range
would become ``inf`` inside the net (NaN probabilities, or an error from
deep inside torch). This check names the problem instead.

The parameter checks live here too, so that neither front door imports
the other: scikit-learn's constraint objects checked by :func:`check_params`
(the classifier and the callbacks: skorch ignores ``_parameter_constraints``),
the few constraints scikit-learn has no object for, and the "did you mean"
hints.
"""

import difflib
import math
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)

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


class StrictInterval(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` of numbers only.

    scikit-learn's accepts ``True`` and ``False`` as the ints 1 and 0 and,
    on an unbounded side closed, infinity; this one refuses bools and
    non-finite reals. ``RealNotInt`` takes every real that is not an int
    (``numpy.float32`` too).
    """

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_) or not isinstance(val, Real):
            return False
        if isinstance(val, Integral):
            return self.type is not RealNotInt and val in self
        return self.type is not Integral and math.isfinite(val) and val in self


class Choices(StrOptions):
    """:class:`~sklearn.utils._param_validation.StrOptions` listed in the
    order given (a set's order changes from one run to the next)."""

    def __init__(self, options):
        self.order = tuple(options)
        super().__init__(set(self.order))

    def __str__(self):
        return f"a str among {{{', '.join(map(repr, self.order))}}}"


class Rule(Options):
    """A constraint scikit-learn has no object for: a test and its wording.

    It subclasses :class:`~sklearn.utils._param_validation.Options` only
    because ``validate_parameter_constraints`` takes no other kind of
    custom constraint.

    Parameters
    ----------
    test : callable
        ``test(value)`` is true for a valid value.
    description : str
        What a valid value is, as in "must be <description>".
    """

    def __init__(self, test, description):
        super().__init__(object, set())
        self.test = test
        self.description = description

    def is_satisfied_by(self, val):
        return bool(self.test(val))

    def __str__(self):
        return self.description


def _is_count(value, low=1):
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool | np.bool_)
        and value >= low
    )


def _is_widths(value):
    sequence = isinstance(value, tuple | list) or getattr(value, "ndim", None) == 1
    return sequence and all(map(_is_count, value))


#: Layer widths: a tuple, list or 1-D array of ints >= 1.
HIDDEN_UNITS = Rule(_is_widths, "a tuple of positive ints")
#: An int >= 1 (no bool).
POSITIVE_INT = StrictInterval(Integral, 1, None, closed="left")
#: scikit-learn's ``"random_state"`` without bools.
RANDOM_STATE = [
    StrictInterval(Integral, 0, 2**32 - 1, closed="both"),
    np.random.RandomState,
    None,
]


def _str_options(constraints):
    return [
        option
        for c in constraints
        if isinstance(c, Options)
        for option in getattr(c, "order", sorted(map(str, c.options)))
    ]


def check_params(constraints, params, caller_name, *, hints=None):
    """Check ``params`` against scikit-learn parameter constraints.

    Each parameter goes through scikit-learn's
    ``validate_parameter_constraints``, so the message is scikit-learn's
    ("The 'dropout' parameter of VitalRouteClassifier must be a float in
    the range [0.0, 1.0). Got 2 instead."). A refused string gets a
    " Did you mean 'x'?" among the string options of its constraints.

    Parameters
    ----------
    constraints : dict
        ``{name: list of constraints}``, as scikit-learn's
        ``_parameter_constraints``, checked in this order; parameters
        without an entry pass.
    params : dict
        ``{name: value}``.
    caller_name : str
        The class named in the message.
    hints : dict, default=None
        ``{name: hint(value) -> str}``: a suffix of the message for that
        parameter instead of the string options' "did you mean".

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and a ``TypeError``, naming the parameter, what
        it must be and what it got.

    Examples
    --------
    >>> from numbers import Real
    >>> from skvitalroute._utils._validation import (
    ...     Choices, StrictInterval, check_params)
    >>> check_params({"loss": [Choices(["auto", "focal"])]}, {"loss": "focall"}, "C")
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'loss' parameter of \
C must be a str among {'auto', 'focal'}. Got 'focall' instead. Did you mean 'focal'?
    >>> check_params({"p": [StrictInterval(Real, 0, 1, closed="both")]},
    ...              {"p": True}, "C")
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'p' parameter of C \
must be a float in the range [0.0, 1.0]. Got True instead.
    """
    hints = hints or {}
    for name in constraints:  # in the order of the constraints
        if name not in params:
            continue
        value = params[name]
        try:
            validate_parameter_constraints(
                {name: constraints[name]}, {name: value}, caller_name=caller_name
            )
        except InvalidParameterError as exc:
            if name in hints:
                hint = hints[name](value)
            elif isinstance(value, str):
                hint = did_you_mean(value, _str_options(constraints[name]))
            else:
                hint = ""
            if not hint:
                raise
            raise InvalidParameterError(f"{exc}{hint}") from None
