"""Bad and odd input at both front doors: refused by name, or handled correctly.

One matrix of cases, each with the outcome expected at each front door:

- ``FIT_CASES``: data given to ``VitalitySampler.fit_resample`` /
  ``VitalRouteClassifier.fit`` (values, shapes and sizes, labels, X types
  and layouts). A door either refuses the case with a
  ``ValueError``/``TypeError`` whose message names the problem (never an
  error raised inside torch), or accepts it with a correct result, checked
  by the same invariants for every accepted case: for the sampler, the
  original rows come back first and untouched (same values, same dtype),
  every other row is a copy of an input row, labels follow their rows and
  no class shrinks; for the classifier, probabilities are finite, sum to 1
  and cover exactly the classes of ``y``, and predictions are labels seen
  at fit.
- ``SAMPLER_PARAMS`` / ``CLASSIFIER_PARAMS``: every constructor argument
  out of range, refused by name before any training starts.
- ``PREDICT_REJECTED``: bad input to a fitted classifier.

``docs/reliability.md`` holds the table of these cases, printed from actual
runs by (``--write`` replaces the tables in the page)::

    .venv/bin/python tests/test_bad_input.py [--write docs/reliability.md]
"""

import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
import torch
from _invariants import check_fitted, check_resampled, labels_of
from imblearn.over_sampling import RandomOverSampler
from joblib import cpu_count
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from skorch import NeuralNet, NeuralNetClassifier

import skvitalroute._sampler._input as sampler_input
import skvitalroute.callbacks as cbs
from skvitalroute import VitalityProbe, VitalitySampler, VitalRouteClassifier
from skvitalroute.callbacks._registry import TACTICS

N, N_FEATURES = 48, 4
FAST_SAMPLER = dict(probe_epochs=1, probe_hidden_units=(8,), random_state=0)
FAST_CLASSIFIER = dict(hidden_units=(8,), max_epochs=2, random_state=0)
TORCH_DIR = str(Path(torch.__file__).parent)
DOORS = ("sampler", "classifier")
ACCEPT = "accepted"  # the door handles the case: checked by test_fit_handles_odd_input


def _data():
    """Three Gaussian blobs of 16 rows, 4 features, rows shuffled."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 16)
    X = rng.normal(size=(N, N_FEATURES)) + y[:, None]
    order = rng.permutation(N)
    return X[order], y[order]


def _single_row_class():
    """Classes 0 and 1 with 16 rows each, class 2 with a single row."""
    X, y = _data()
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:1]]
    keep.sort()
    return X[keep], y[keep]


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return VitalRouteClassifier(**FAST_CLASSIFIER).fit(X, y)


def _sampler(**params):
    return VitalitySampler(**{**FAST_SAMPLER, **params})


def _classifier(**params):
    return VitalRouteClassifier(**{**FAST_CLASSIFIER, **params})


def _must(param, what, got=None, owner="VitalRouteClassifier"):
    """The regex of scikit-learn's message refusing ``param`` (its wording:
    "The 'p' parameter of C must be <what>. Got <value> instead.")."""
    return rf"'{param}' parameter of {owner} must be {what}" + (
        "" if got is None else f".*{got}"
    )


def _both(error, match):
    return dict.fromkeys(DOORS, (error, match))


BOTH_ACCEPT = dict.fromkeys(DOORS, ACCEPT)
SPARSE_REFUSED = (
    TypeError,
    r"Sparse data was passed for X, but dense data is required. Use '\.toarray\(\)'",
)


# -- making the cases -----------------------------------------------------------
def _set(X, value, dtype=None):
    X = X.astype(dtype or X.dtype)
    X[(3, 1) if X.ndim == 2 else 3] = value
    return X


def _strings_frame(X, y):
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["colour"] = np.where(np.arange(len(y)) % 2, "red", "blue")
    return frame, y


def _huge_within_float32(X, y):
    """Every entry +-3.3e38: representable in float32, but a layer's sum overflows."""
    return np.sign(X) * 3.3e38, y


def _labels_where(y, cls, value):
    """y as an object array with the rows of class ``cls`` set to ``value``."""
    out = y.astype(object)
    out[y == cls] = value
    return out


def _one_row_per_class(X, y):
    rows = [np.flatnonzero(y == c)[0] for c in np.unique(y)]
    return X[rows], y[rows]


def _many_classes(X, y):
    """300 classes of 3 rows each (900 rows, 4 features)."""
    rng = np.random.default_rng(1)
    y_many = np.repeat(np.arange(300), 3)
    return rng.normal(size=(900, N_FEATURES)) + (y_many % 7)[:, None], y_many


def _wide(X, y):
    """5,000 features."""
    return np.random.default_rng(2).normal(size=(len(y), 5000)) + y[:, None], y


def _large_ints(X, y, dtype):
    """2**60 + i (or 2**53 + i): exact as integers, not as float64."""
    base = 2**53 if dtype == np.uint64 else 2**60
    return (base + np.arange(X.size).reshape(X.shape)).astype(dtype), y


def _read_only(X, y):
    X = X.copy()
    X.flags.writeable = False
    return X, y


def _memmap(X, y, mode):
    """X in a temporary file, mapped into memory ("w+" or read-only "r")."""
    file = tempfile.TemporaryFile()
    mapped = np.memmap(file, dtype=X.dtype, mode="w+", shape=X.shape)
    mapped[:] = X
    mapped.flush()
    if mode == "r":
        mapped = np.memmap(file, dtype=X.dtype, mode="r", shape=X.shape)
    return mapped, y


def _sparse_nan(X, y):
    X = sparse.csr_matrix(X)
    X.data[3] = np.nan
    return X, y


def _frame_of(X, **columns):
    """A DataFrame: the given columns, then X's last two as floats."""
    frame = pd.DataFrame(columns)
    frame["f2"], frame["f3"] = X[:, 2], X[:, 3]
    return frame


def _frame_big_ints(X, y):
    return _frame_of(X, big=2**60 + np.arange(len(y)), small=X[:, 1]), y


def _frame_nullable(X, y, with_na=False):
    values = pd.array(np.arange(len(y)), dtype="Int64")
    if with_na:
        values[3] = pd.NA
    return _frame_of(X, count=values, f1=X[:, 1]), y


def _frame_category(X, y):
    return _frame_of(X, level=pd.Categorical(np.arange(len(y)) % 3), f1=X[:, 1]), y


def _frame_bool(X, y):
    return _frame_of(X, flag=X[:, 0] > 0, f1=X[:, 1]), y


def _names(y):
    return np.array(["a", "b", "c"])[y]


def _one_hot(y, n_columns=3, dtype=int):
    return np.eye(n_columns, dtype=dtype)[y]


def _one_hot_zero_rows(y):
    """One-hot y whose rows 0, 10, 20, ... are all zeros (no class)."""
    Y = _one_hot(y)
    Y[::10] = 0
    return Y


def _multi_label(y):
    """An indicator with two 1s in every row of class 0."""
    Y = _one_hot(y)
    Y[y == 0, 1] = 1
    return Y


def _binary(X, y):
    return X, (y > 0).astype(int)


# case: (make(X, y) -> (X, y), {door: ACCEPT or (error, match)}[, {door: params}])
# A door absent from the dict does not apply.
FIT_CASES = {
    # values ------------------------------------------------------------------
    "NaN in X": (
        lambda X, y: (_set(X, np.nan), y),
        _both(ValueError, "Input X contains NaN"),
    ),
    "+inf in X": (
        lambda X, y: (_set(X, np.inf), y),
        _both(ValueError, "Input X contains infinity"),
    ),
    "-inf in X": (
        lambda X, y: (_set(X, -np.inf), y),
        _both(ValueError, "Input X contains infinity"),
    ),
    "complex X": (lambda X, y: (X + 1j, y), _both(ValueError, "Complex data")),
    "DataFrame with a column of strings": (
        _strings_frame,
        _both(ValueError, "could not convert string to float"),
    ),
    "X beyond float32 (1e39)": (
        lambda X, y: (X * 1e39, y),
        _both(ValueError, "too large for float32"),
    ),
    "finite X overflowing float32 sums (+-3.3e38)": (
        _huge_within_float32,
        {
            "sampler": (ValueError, "(inputs|outputs) on X are not finite"),
            "classifier": (
                ValueError,
                "outputs? on (them|the training rows) (are|is) not finite",
            ),
        },
    ),
    "huge finite values (X * 1e30)": (lambda X, y: (X * 1e30, y), BOTH_ACCEPT),
    # shapes and sizes --------------------------------------------------------
    "empty X (0 rows)": (
        lambda X, y: (X[:0], y[:0]),
        _both(ValueError, r"0 sample\(s\)"),
    ),
    "X with 0 features": (
        lambda X, y: (X[:, :0], y),
        _both(ValueError, r"0 feature\(s\)"),
    ),
    "1-D X": (
        lambda X, y: (X[:, 0], y),
        _both(ValueError, "Expected 2D array, got 1D array instead"),
    ),
    "3-D X": (
        lambda X, y: (X.reshape(N, 2, 2), y),
        _both(ValueError, "Found array with dim 3"),
    ),
    "length mismatch": (
        lambda X, y: (X, y[:-1]),
        _both(ValueError, r"inconsistent numbers of samples: \[48, 47\]"),
    ),
    "a single row": (
        lambda X, y: (X[:1], y[:1]),
        {
            "sampler": (ValueError, "needs to have more than 1 class. Got 1 class"),
            "classifier": (ValueError, "at least 2 classes.*only one class"),
        },
    ),
    "two rows, one per class": (
        lambda X, y: (X[:2], np.array([0, 1])),
        BOTH_ACCEPT,
    ),
    "one row per class (3 classes)": (_one_row_per_class, BOTH_ACCEPT),
    "single-row class": (lambda X, y: _single_row_class(), BOTH_ACCEPT),
    "single-row class with train_split=0.2": (
        lambda X, y: _single_row_class(),
        {"classifier": (ValueError, "least populated class.*only 1 member")},
        {"classifier": dict(train_split=0.2)},
    ),
    "5,000 features": (_wide, BOTH_ACCEPT),
    "300 classes x 3 rows": (_many_classes, BOTH_ACCEPT),
    # labels ------------------------------------------------------------------
    "one class": (
        lambda X, y: (X, np.zeros_like(y)),
        {
            "sampler": (ValueError, "needs to have more than 1 class. Got 1 class"),
            "classifier": (ValueError, "at least 2 classes.*only one class"),
        },
    ),
    "NaN in y": (
        lambda X, y: (X, _set(y, np.nan, float)),
        _both(ValueError, "Input y contains NaN"),
    ),
    "None among the labels": (
        lambda X, y: (X, _labels_where(y, 2, None)),
        _both(ValueError, r"y has a missing label \(None, NaN or pd.NA\) in 16 of 48"),
    ),
    "labels mixing ints and strings": (
        lambda X, y: (X, _labels_where(y, 2, "two")),
        _both(ValueError, r"y mixes strings with labels of another type \(e.g. 'two'"),
    ),
    "pandas Categorical y with a missing value": (
        lambda X, y: (X, pd.Categorical(np.where(y == 2, None, _names(y)))),
        {
            "sampler": (ValueError, "y has a missing label"),
            "classifier": (ValueError, "Input contains NaN"),
        },
    ),
    "nullable Int64 y with <NA>": (
        lambda X, y: (X, pd.array(np.where(y == 2, None, y), dtype="Int64")),
        _both(ValueError, "Input y contains NaN"),
    ),
    "continuous y": (
        lambda X, y: (X, y + np.linspace(0, 0.5, len(y))),
        _both(ValueError, "Unknown label type: continuous"),
    ),
    "2-D y (two label columns)": (
        lambda X, y: (X, np.c_[y, y]),
        _both(ValueError, r"y should be a 1d array, got an array of shape \(48, 2\)"),
    ),
    "one-hot y (n, 3)": (
        lambda X, y: (X, np.eye(3, dtype=int)[y]),
        {
            "sampler": ACCEPT,
            "classifier": (
                ValueError,
                r"y should be a 1d array, got an array of shape \(48, 3\)",
            ),
        },
    ),
    "binary one-hot y (n, 2)": (
        lambda X, y: (X, _one_hot(_binary(X, y)[1], 2)),
        {
            "sampler": ACCEPT,
            "classifier": (ValueError, r"y should be a 1d array.*\(48, 2\)"),
        },
    ),
    "one-hot DataFrame y": (
        lambda X, y: (X, pd.DataFrame(_one_hot(y), columns=["a", "b", "c"])),
        {"sampler": ACCEPT, "classifier": (ValueError, "y should be a 1d array")},
    ),
    "pandas get_dummies y (bool DataFrame)": (
        lambda X, y: (X, pd.get_dummies(pd.Series(_names(y)))),
        {"sampler": ACCEPT, "classifier": (ValueError, "y should be a 1d array")},
    ),
    "one-hot y with a column no row uses (n, 4)": (
        lambda X, y: (X, _one_hot(y, 4)),
        {"sampler": ACCEPT, "classifier": (ValueError, "y should be a 1d array")},
    ),
    "one-hot y with rows of zeros": (
        lambda X, y: (X, _one_hot_zero_rows(y)),
        {
            "sampler": (ValueError, r"5 of its rows have no 1 \(no class\)"),
            "classifier": (ValueError, "y should be a 1d array"),
        },
    ),
    "multi-label indicator y": (
        lambda X, y: (X, _multi_label(y)),
        {
            "sampler": (ValueError, r"16 of its rows have several 1s"),
            "classifier": (ValueError, "y should be a 1d array"),
        },
    ),
    "column-vector y (n, 1)": (lambda X, y: (X, y[:, None]), BOTH_ACCEPT),
    "string labels": (lambda X, y: (X, _names(y)), BOTH_ACCEPT),
    "bool labels": (lambda X, y: (X[y < 2], y[y < 2] == 1), BOTH_ACCEPT),
    "float labels (0.0, 1.0, 2.0)": (lambda X, y: (X, y.astype(float)), BOTH_ACCEPT),
    "pandas Categorical y": (
        lambda X, y: (X, pd.Categorical(_names(y))),
        BOTH_ACCEPT,
    ),
    "pandas Series y of Categorical dtype": (
        lambda X, y: (X, pd.Series(_names(y), dtype="category")),
        BOTH_ACCEPT,
    ),
    "nullable Int64 y": (
        lambda X, y: (X, pd.array(y, dtype="Int64")),
        BOTH_ACCEPT,
    ),
    # X types and layouts -----------------------------------------------------
    "float32 X": (lambda X, y: (X.astype(np.float32), y), BOTH_ACCEPT),
    "float16 X": (lambda X, y: (X.astype(np.float16), y), BOTH_ACCEPT),
    "int8 X": (lambda X, y: ((X * 10).astype(np.int8), y), BOTH_ACCEPT),
    "bool X": (lambda X, y: (X > 0.5, y), BOTH_ACCEPT),
    "uint64 X near 2**53": (
        lambda X, y: _large_ints(X, y, np.uint64),
        BOTH_ACCEPT,
    ),
    "int64 X near 2**60": (lambda X, y: _large_ints(X, y, np.int64), BOTH_ACCEPT),
    "object array of large ints (2**60 + i)": (
        lambda X, y: _large_ints(X, y, object),
        BOTH_ACCEPT,
    ),
    "object array of numbers": (lambda X, y: (X.astype(object), y), BOTH_ACCEPT),
    "object array of numeric strings": (
        lambda X, y: (X.astype(str).astype(object), y),
        BOTH_ACCEPT,
    ),
    "list of lists": (lambda X, y: (X.tolist(), y.tolist()), BOTH_ACCEPT),
    "read-only X": (_read_only, BOTH_ACCEPT),
    "memory-mapped X": (lambda X, y: _memmap(X, y, "w+"), BOTH_ACCEPT),
    "read-only memory-mapped X": (lambda X, y: _memmap(X, y, "r"), BOTH_ACCEPT),
    "Fortran-order X": (lambda X, y: (np.asfortranarray(X), y), BOTH_ACCEPT),
    "non-contiguous X (every other column)": (
        lambda X, y: (np.repeat(X, 2, axis=1)[:, ::2], y),
        BOTH_ACCEPT,
    ),
    **{
        f"sparse X ({name})": (
            lambda X, y, to_sparse=to_sparse: (to_sparse(X), y),
            {"sampler": ACCEPT, "classifier": SPARSE_REFUSED},
        )
        for name, to_sparse in (
            ("CSR", sparse.csr_matrix),
            ("CSC", sparse.csc_matrix),
            ("COO", sparse.coo_matrix),
            ("csr_array", sparse.csr_array),
        )
    },
    "sparse X with NaN": (
        _sparse_nan,
        {
            "sampler": (ValueError, "Input X contains NaN"),
            "classifier": SPARSE_REFUSED,
        },
    ),
    "numeric DataFrame": (lambda X, y: (pd.DataFrame(X), y), BOTH_ACCEPT),
    "DataFrame with duplicate column names": (
        lambda X, y: (pd.DataFrame(X, columns=["a", "a", "b", "c"]), y),
        _both(ValueError, "Expected unique column names, got:"),
    ),
    "DataFrame of large ints (2**60 + i) and floats": (_frame_big_ints, BOTH_ACCEPT),
    "DataFrame with a nullable Int64 column": (_frame_nullable, BOTH_ACCEPT),
    "DataFrame with <NA> in an Int64 column": (
        lambda X, y: _frame_nullable(X, y, with_na=True),
        _both(ValueError, "Input X contains NaN"),
    ),
    "DataFrame with a category column": (_frame_category, BOTH_ACCEPT),
    "DataFrame with a bool column": (_frame_bool, BOTH_ACCEPT),
}


def _fit(door, X, y, params=None):
    """Fit one front door; the sample-stress mode reads the network's outputs."""
    if door == "sampler":
        sampler = _sampler(mode="sample", **(params or {}))
        return sampler, sampler.fit_resample(X, y)
    clf = _classifier(**(params or {}))
    return clf, clf.fit(X, y)


def _case(name):
    make, expected, *params = FIT_CASES[name]
    return make, expected, (params[0] if params else {})


def _assert_raises_named(error, match, call):
    """Run ``call``: it raises ``error`` matching ``match``, not from inside torch."""
    with pytest.raises(error, match=match) as info:
        call()
    assert not str(info.traceback[-1].path).startswith(TORCH_DIR)
    return info.value


REFUSED = [
    pytest.param(name, door, *expected[door], id=f"{door}-{name}")
    for name, (_, expected, *_) in FIT_CASES.items()
    for door in DOORS
    if isinstance(expected.get(door), tuple)
]
HANDLED = [
    pytest.param(name, door, id=f"{door}-{name}")
    for name, (_, expected, *_) in FIT_CASES.items()
    for door in DOORS
    if expected.get(door) == ACCEPT
]


@pytest.mark.parametrize("case, door, error, match", REFUSED)
def test_fit_rejects_bad_input(case, door, error, match, data):
    """Check that fit / fit_resample reject the case with an error naming it."""
    make, _, params = _case(case)
    X, y = make(*data)
    _assert_raises_named(error, match, lambda: _fit(door, X, y, params.get(door)))


# -- an accepted case must give a correct result (tests/_invariants.py) -------
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
@pytest.mark.parametrize("case, door", HANDLED)
def test_fit_handles_odd_input(case, door, data):
    """Check that an accepted case gives a correct result at that door."""
    make, _, params = _case(case)
    X, y = make(*data)
    estimator, result = _fit(door, X, y, params.get(door))
    if door == "sampler":
        check_resampled(estimator, X, y, result)
    else:
        check_fitted(estimator, X, y)


def test_matrix_covers_60_cases_per_door():
    """Check that the matrix holds at least 60 cases for each front door."""
    params_of = {"sampler": SAMPLER_PARAMS, "classifier": CLASSIFIER_PARAMS}
    for door, params in params_of.items():
        n_fit = sum(door in expected for _, expected, *_ in FIT_CASES.values())
        n_after = len(PREDICT_REJECTED) if door == "classifier" else 0
        assert n_fit + len(params) + n_after >= 60


# -- constructor arguments out of range --------------------------------------------
# case: (params, error, match); refused by name before any training starts.
SAMPLER_PARAMS = {
    "estimator='mlp'": (dict(estimator="mlp"), ValueError, "'estimator' parameter"),
    "estimator=LogisticRegression()": (
        dict(estimator=LogisticRegression()),
        TypeError,
        "estimator must be a skorch net.*got LogisticRegression",
    ),
    "mode='hard'": (dict(mode="hard"), ValueError, "'mode' parameter"),
    "mode=None": (dict(mode=None), ValueError, "'mode' parameter"),
    "strength=-0.1": (dict(strength=-0.1), ValueError, "'strength' parameter"),
    "strength=1.5": (dict(strength=1.5), ValueError, "'strength' parameter"),
    "strength=nan": (dict(strength=np.nan), ValueError, "'strength' parameter"),
    "beta=-1": (dict(beta=-1.0), ValueError, "'beta' parameter"),
    "beta=inf": (dict(beta=np.inf), ValueError, "'beta' parameter"),
    "beta=nan": (dict(beta=np.nan), ValueError, "'beta' parameter"),
    **{
        f"sampling_strategy={value!r}": (
            dict(sampling_strategy=value),
            ValueError,
            "'sampling_strategy' parameter",
        )
        for value in ("bogus", -1)
    },
    "sampling_strategy=0.5 (3 classes)": (
        dict(sampling_strategy=0.5),
        ValueError,
        '"sampling_strategy" can be a float only when the type of target is binary',
    ),
    "sampling_strategy={7: 20} (no class 7)": (
        dict(sampling_strategy={7: 20}),
        ValueError,
        r"The \{7\} target class is/are not present in the data",
    ),
    "sampling_strategy={1: 5} (fewer than the 16 rows)": (
        dict(sampling_strategy={1: 5}),
        ValueError,
        "there is 16 samples and 5 samples are asked",
    ),
    "sampling_strategy={1: -5}": (
        dict(sampling_strategy={1: -5}),
        ValueError,
        "'sampling_strategy' contains some negative value",
    ),
    "sampling_strategy={1: 20.5}": (
        dict(sampling_strategy={1: 20.5}),
        ValueError,
        "sampling_strategy must map each class to an int number of rows; got 20.5",
    ),
    **{
        f"sampling_strategy={kind} giving {{1: {count!r}}}": (
            dict(sampling_strategy=wrap({1: count})),
            ValueError,
            match,
        )
        for kind, wrap in (
            ("MappingProxyType", MappingProxyType),
            ("callable", lambda counts: lambda y, counts=counts: counts),
        )
        for count, match in (
            (20.5, "must map each class to an int number of rows; got 20.5"),
            (np.float64(20.0), "must map each class to an int number of rows"),
            (-5, "contains some negative value"),
        )
    },
    **{
        f"sampling_strategy={kind} giving {{1: {count}}} (beyond int64)": (
            dict(sampling_strategy=strategy),
            ValueError,
            match,
        )
        for kind, strategy, count, match in (
            ("dict", {1: 10**30}, "10**30", "more than any output can hold"),
            ("dict", {1: 2**63}, "2**63", r"over 2\*\*63 - 1 rows"),
            (
                "MappingProxyType",
                MappingProxyType({1: 10**30}),
                "10**30",
                "more than any output can hold",
            ),
            (
                "callable",
                lambda y: {1: 10**30},
                "10**30",
                "returned a count imbalanced-learn cannot subtract",
            ),
        )
    },
    **{
        f"max_growth={value!r}": (
            dict(max_growth=value),
            ValueError,
            "'max_growth' parameter of VitalitySampler must be a float in the "
            r"range \[1.0, inf\) or None",
        )
        for value in (0.5, 0.0, np.inf, np.nan, "10", True)
    },
    "sampling_strategy={1: 10**9} (output beyond memory)": (
        dict(sampling_strategy={1: 10**9}),
        ValueError,
        r"sampling_strategy=\{1: 1000000000\} asks for 1000000032 output rows",
    ),
    "probe_size=0": (dict(probe_size=0), ValueError, "'probe_size' parameter"),
    "probe_size=1.5": (dict(probe_size=1.5), ValueError, "'probe_size' parameter"),
    "probe_epochs=0": (dict(probe_epochs=0), ValueError, "'probe_epochs' parameter"),
    "probe_hidden_units=5": (
        dict(probe_hidden_units=5),
        ValueError,
        "'probe_hidden_units' parameter",
    ),
    **{
        f"probe_hidden_units={units!r}": (
            dict(probe_hidden_units=units),
            ValueError,
            r"'probe_hidden_units' parameter of VitalitySampler must be a tuple of "
            r"positive ints. Got \(",
        )
        for units in ((0,), (-3,), (8.5,), (True,), (8, 0))
    },
    "probe_hidden_units=()": (
        dict(probe_hidden_units=()),
        ValueError,
        "probe_hidden_units needs at least one hidden layer",
    ),
    "random_state=-1": (dict(random_state=-1), ValueError, "'random_state' parameter"),
    "random_state='seed'": (
        dict(random_state="seed"),
        ValueError,
        "'random_state' parameter",
    ),
}


# -- modules and functions the classifier's cases use ------------------------------
BALANCED = dict(class_weight="balanced")


def _identity(logits):
    return logits


_identity.__name__ = "identity"


class _WidthModule(torch.nn.Module):
    """A linear net of ``width`` outputs (0: one output per row, squeezed)."""

    def __init__(self, width=3):
        super().__init__()
        self.width = width
        self.layer = torch.nn.Linear(N_FEATURES, max(width, 1))

    def forward(self, X):
        out = self.layer(X)
        return out[:, 0] if self.width == 0 else out


def _router_of_none(profile, parent_pool_available):
    return None


def _router_of_dict(profile, parent_pool_available):
    return {"class_weight": None}


class _ConstantModule(_WidthModule):
    """Equal logits for every class and row."""

    def forward(self, X):
        return self.layer(X) * 0.0


_POSITIVE_INT = r"an int in the range \[1, inf\)"
_RANGES = {
    "beta": r"a float in the range \[0.0, inf\)",
    "strength": r"a float in the range \[0.0, 1.0\]",
}
_RANDOM_STATE = (
    r"an int in the range \[0, 4294967295\], an instance of "
    r"'numpy.random.mtrand.RandomState' or None"
)
_TRAIN_SPLIT = (
    r"None, a callable, a float in the range \(0.0, 1.0\) or an int in the range "
    r"\[2, inf\)"
)
# Each tactic setting (tactic__<tactic>__<argument>, the registry's list) out
# of range, and the same argument in skorch's spelling
# callbacks__vitality_<tactic>__<argument>: refused by name at fit.
_BAD_SETTING = {
    "strength": (-0.1, ValueError, r"a float in the range \[0.0, (1.0|10.0)\]"),
    "beta": (np.inf, ValueError, _RANGES["beta"] + r". Got inf"),
    "alpha": (-1.0, ValueError, _RANGES["beta"]),
    "refresh_every": (0, ValueError, _POSITIVE_INT),
    "reset_threshold": (2.0, ValueError, _RANGES["strength"]),
    "max_stasis": (-0.1, ValueError, _RANGES["beta"] + " or None"),
    "scratch": ("yes", TypeError, r"an instance of 'bool'"),
    "scratch_draws": (-1, ValueError, r"an int in the range \[0, inf\)"),
    "min_gain": (-0.1, ValueError, _RANGES["beta"]),
}
_SETTINGS = [
    (tactic.name, arg) for tactic in TACTICS.values() for arg in tactic.settings
]
TACTIC_SETTING_CASES = {
    f"{key}={_BAD_SETTING[arg][0]!r}": (
        {key: _BAD_SETTING[arg][0]},
        _BAD_SETTING[arg][1],
        _must(key, _BAD_SETTING[arg][2]),
    )
    for name, arg in _SETTINGS
    for key in (f"tactic__{name}__{arg}", f"callbacks__vitality_{name}__{arg}")
}
TACTIC_SETTING_CASES["tactic__class__refresh_every=1.5"] = (
    dict(tactic__class__refresh_every=1.5),
    TypeError,
    _must("tactic__class__refresh_every", _POSITIVE_INT),
)
TACTIC_SETTING_CASES["callbacks__vitality_monitor__refresh_every=0"] = (
    dict(callbacks__vitality_monitor__refresh_every=0),
    ValueError,
    _must("callbacks__vitality_monitor__refresh_every", r"a str among \{'auto'\}"),
)
TACTIC_SETTING_CASES["callbacks__divergence_guard__probe_size=0"] = (
    dict(callbacks__divergence_guard__probe_size=0),
    ValueError,
    _must("callbacks__divergence_guard__probe_size", _POSITIVE_INT),
)
# Names that reach no callback: refused with what would.
TACTIC_NAME_CASES = {
    "tactic__hrad__beta=1.0": (
        dict(tactic__hrad__beta=1.0),
        ValueError,
        r"'hrad' is not a tactic; choose from \['transfer'.*Did you mean 'hard'",
    ),
    "tactic__hard__bta=1.0": (
        dict(tactic__hard__bta=1.0),
        ValueError,
        r"'bta' is not a setting of the 'hard' tactic; its settings are "
        r"\['strength', 'beta', 'refresh_every'\]\. Did you mean 'beta'",
    ),
    "tactic__hard=1.0": (
        dict(tactic__hard=1.0),
        ValueError,
        r"a tactic setting is one parameter tactic__<tactic>__<argument>",
    ),
    "tactic__class__probe_size=8": (
        dict(tactic__class__probe_size=8),
        ValueError,
        r"the 'class' tactic's probe_size is set by the estimator's probe_size",
    ),
    "tactic_hard__beta=1.0 (one underscore)": (
        dict(tactic_hard__beta=1.0),
        ValueError,
        r"did you mean tactic__hard__beta",
    ),
    "beta=1.0 (bare setting)": (
        dict(beta=1.0),
        ValueError,
        r"Tactic settings are set as tactic__<tactic>__beta .a setting of the "
        r"tactics \['class', 'hard'\]",
    ),
    "callbacks__vitality_class__bta=1.0": (
        dict(callbacks__vitality_class__bta=1.0),
        ValueError,
        r"ClassStressSampler .the callback 'vitality_class'. has no argument 'bta'"
        r".*Did you mean 'beta'",
    ),
    **{
        f"callbacks__{name}=None": (
            {f"callbacks__{name}": None},
            ValueError,
            rf"got callbacks__{name}, but the vitality callbacks .* cannot be "
            r"replaced or removed",
        )
        for name in ("divergence_guard", "vitality_monitor", "vitality_class")
    },
    "tactic__class__beta and callbacks__vitality_class__beta disagree": (
        dict(tactic__class__beta=1.0, callbacks__vitality_class__beta=2.0),
        ValueError,
        r"callbacks__vitality_class__beta=2.0 and tactic__class__beta=1.0: both "
        r"set the beta of the 'class' tactic",
    ),
}
CLASSIFIER_PARAMS = {
    **{
        f"hidden_units={units!r}": (
            dict(hidden_units=units),
            ValueError,
            _must("hidden_units", "a tuple of positive ints"),
        )
        for units in ((0,), (-3,), (8.5,), (True,), "64", 64)
    },
    "module__hidden_units=(0,)": (
        dict(module__hidden_units=(0,)),
        ValueError,
        _must("module__hidden_units", "a tuple of positive ints"),
    ),
    "module='mlp'": (
        dict(module="mlp"),
        TypeError,
        _must("module", r"None or a torch\.nn\.Module class or instance"),
    ),
    **{
        f"dropout={rate!r}": (
            dict(dropout=rate),
            ValueError,
            _must("dropout", r"a float in the range \[0.0, 1.0\)"),
        )
        for rate in (-0.1, 1.0)
    },
    "dropout=nan": (
        dict(dropout=np.nan),
        ValueError,
        _must("dropout", r"a float in the range \[0.0, 1.0\)", r"Got nan instead"),
    ),
    "tactics='class'": (
        dict(tactics="class"),
        ValueError,
        _must(
            "tactics",
            r"a str among \{'auto', 'none'\} or a tuple of tactics among",
            r"Got 'class' instead\. Did you mean \('class',\)\?",
        ),
    ),
    "tactics='atuo'": (dict(tactics="atuo"), ValueError, "Did you mean 'auto'"),
    "tactics=5": (
        dict(tactics=5),
        TypeError,
        _must(
            "tactics",
            r"a str among \{'auto', 'none'\} or a tuple of tactics among "
            r"\{'transfer', 'class'",
        ),
    ),
    "tactics=('bogus',)": (
        dict(tactics=("bogus",)),
        ValueError,
        "Unknown tactic 'bogus'",
    ),
    "tactics=('class', 'hard')": (
        dict(tactics=("class", "hard")),
        ValueError,
        "both 'class' and 'hard'",
    ),
    "tactics=('transfer',) without parent_pool": (
        dict(tactics=("transfer",)),
        ValueError,
        "asks for transfer but parent_pool is empty",
    ),
    "class_weight='balance'": (
        dict(class_weight="balance"),
        ValueError,
        "Did you mean 'balanced'",
    ),
    "class_weight=5": (
        dict(class_weight=5),
        ValueError,
        _must("class_weight", r"None, a str among \{'balanced'\} or a dict"),
    ),
    **{
        f"class_weight={{0: {weight!r}}}": (
            dict(class_weight={0: weight}),
            ValueError,
            _must(
                "class_weight",
                r"None, a str among \{'balanced'\} or a dict mapping labels to "
                r"weights in \[0, 1e\+30\]",
            ),
        )
        for weight in (-1.0, np.inf, np.nan, 1e38, "a", True)
    },
    "class_weight={0: 0, 1: 0, 2: 0} (all zero)": (
        dict(class_weight={0: 0.0, 1: 0.0, 2: 0.0}),
        ValueError,
        r"class_weight gives every class of y \(\[0, 1, 2\]\) a zero weight",
    ),
    "class_weight={5: 1.0} (no class 5)": (
        dict(class_weight={5: 1.0}),
        ValueError,
        "are not in class_weight",
    ),
    "loss='focall'": (dict(loss="focall"), ValueError, "Did you mean 'focal'"),
    "criterion__gamma=-1": (
        dict(loss="focal", criterion__gamma=-1.0),
        ValueError,
        _must("criterion__gamma", r"a float in the range \[0.0, 1000000.0\]"),
    ),
    "criterion__gamma=inf": (
        dict(loss="focal", criterion__gamma=np.inf),
        ValueError,
        _must(
            "criterion__gamma", r"a float in the range \[0.0, 1000000.0\]", r"Got inf"
        ),
    ),
    "criterion__gamma=1e300": (
        dict(loss="focal", criterion__gamma=1e300),
        ValueError,
        _must("criterion__gamma", r"a float in the range \[0.0, 1000000.0\]"),
    ),
    **{
        f"logit_adjust_tau={tau!r}": (
            dict(loss="logit_adjusted", logit_adjust_tau=tau),
            ValueError,
            _must(
                "logit_adjust_tau", r"a float in the range \[-1000000.0, 1000000.0\]"
            ),
        )
        for tau in (np.inf, -np.inf, np.nan, 1e300)
    },
    "parent_pool='x'": (
        dict(parent_pool="x"),
        ValueError,
        _must("parent_pool", r"None or a non-empty list of \(name, module\) pairs"),
    ),
    "parent_pool=[]": (
        dict(parent_pool=[]),
        ValueError,
        _must("parent_pool", r"None or a non-empty list of \(name, module\) pairs"),
    ),
    "freeze_transfer='yes'": (
        dict(freeze_transfer="yes"),
        TypeError,
        _must("freeze_transfer", r"an instance of 'bool'"),
    ),
    "imbalance_threshold=1.5 (old name)": (
        dict(imbalance_threshold=1.5),
        ValueError,
        "Router thresholds are set as router__imbalance_threshold",
    ),
    "router__imbalance_threshold=1.5": (
        dict(router="vitalroute", router__imbalance_threshold=1.5),
        ValueError,
        "'imbalance_threshold' parameter of router 'vitalroute'",
    ),
    **{
        f"router__{name}=-1": (
            dict([("router", "vitalroute"), (f"router__{name}", -1)]),
            ValueError,
            f"'{name}' parameter of router 'vitalroute'",
        )
        for name in (
            "min_class_for_sampler",
            "max_samples_for_transfer",
            "max_min_class_for_transfer",
            "min_samples_for_lr_scale",
            "min_samples_for_hard_sampler",
        )
    },
    "router__min_class_for_sampler=2.5": (
        dict(router="vitalroute", router__min_class_for_sampler=2.5),
        TypeError,
        "must be an int",
    ),
    "router__min_steps=-5": (
        dict(router__min_steps=-5),
        ValueError,
        "'min_steps' parameter of router 'default'",
    ),
    "router__min_class_for_sampler with the default router": (
        dict(router__min_class_for_sampler=3),
        ValueError,
        "router__min_class_for_sampler is not a parameter of router 'default'",
    ),
    "router='vitalrout'": (
        dict(router="vitalrout"),
        ValueError,
        _must(
            "router",
            r"a str among \{'default', 'vitalroute'\} or a callable",
            r"Did you mean 'vitalroute'",
        ),
    ),
    "max_epochs='auto'": (
        dict(max_epochs="auto"),
        TypeError,
        _must("max_epochs", r"None or an int in the range \[0, inf\)"),
    ),
    **TACTIC_SETTING_CASES,
    "probe_size=0": (
        dict(probe_size=0),
        ValueError,
        _must("probe_size", _POSITIVE_INT),
    ),
    "max_epochs=-1": (
        dict(max_epochs=-1),
        ValueError,
        _must("max_epochs", r"None or an int in the range \[0, inf\)"),
    ),
    "max_epochs=2.5": (
        dict(max_epochs=2.5),
        TypeError,
        _must("max_epochs", r"None or an int in the range \[0, inf\)"),
    ),
    **{
        f"lr={lr!r}": (
            dict(lr=lr),
            ValueError,
            _must("lr", r"a float in the range \(0.0, 1000000.0\]"),
        )
        for lr in (0.0, -1.0, np.inf, np.nan, 1e300)
    },
    "batch_size=0": (
        dict(batch_size=0),
        ValueError,
        _must("batch_size", r"-1 \(every row\) or an int in the range \[1, inf\)"),
    ),
    "batch_size=2.5": (
        dict(batch_size=2.5),
        TypeError,
        _must("batch_size", r"-1 \(every row\) or an int in the range \[1, inf\)"),
    ),
    "optimizer='adam'": (
        dict(optimizer="adam"),
        TypeError,
        _must(
            "optimizer",
            r"a torch optimizer class",
            r"Got 'adam' instead\. Did you mean torch\.optim\.Adam\?",
        ),
    ),
    "optimizer=None": (
        dict(optimizer=None),
        TypeError,
        _must("optimizer", r"a torch optimizer class", r"Got None instead"),
    ),
    "criterion='crossentropy'": (
        dict(criterion="crossentropy"),
        TypeError,
        _must(
            "criterion",
            r"None or a loss class",
            r"Did you mean torch\.nn\.CrossEntropyLoss\?",
        ),
    ),
    "criterion with loss='focal'": (
        dict(criterion=torch.nn.NLLLoss, loss="focal"),
        ValueError,
        "cannot be combined with criterion",
    ),
    "callbacks='x'": (
        dict(callbacks="x"),
        TypeError,
        _must(
            "callbacks",
            r"None, a str among \{'disable'\} or a list of skorch callbacks",
        ),
    ),
    "callbacks=[1]": (
        dict(callbacks=[1]),
        TypeError,
        _must(
            "callbacks",
            r"None, a str among \{'disable'\} or a list of skorch callbacks",
            r"Got \[1\] instead",
        ),
    ),
    "train_split=1.5": (
        dict(train_split=1.5),
        ValueError,
        _must("train_split", _TRAIN_SPLIT),
    ),
    "train_split=1": (
        dict(train_split=1),
        ValueError,
        _must("train_split", _TRAIN_SPLIT),
    ),
    "train_split='x'": (
        dict(train_split="x"),
        TypeError,
        _must("train_split", _TRAIN_SPLIT, r"Got 'x' instead"),
    ),
    **{
        f"random_state={seed!r}": (
            dict(random_state=seed),
            ValueError,
            _must("random_state", _RANDOM_STATE),
        )
        for seed in (-1, 2**33, 1.5, "seed")
    },
    "sampler_strenght=0.3 (misspelled old name)": (
        dict(sampler_strenght=0.3),
        ValueError,
        "Did you mean 'tactic__class__strength' \\(formerly 'sampler_strength'\\)",
    ),
    **TACTIC_NAME_CASES,
    # issue 20: every refusal names its cause ----------------------------------
    **{
        f"n_jobs={n_jobs}": (
            dict(n_jobs=n_jobs),
            ValueError,
            rf"n_jobs={n_jobs} asks for more torch threads than this machine runs",
        )
        for n_jobs in (10**6, cpu_count() + 1)
    },
    "device='meta'": (
        dict(device="meta"),
        ValueError,
        "device='meta' holds tensors without values",
    ),
    "predict_nonlinearity=None (the logits)": (
        dict(predict_nonlinearity=None),
        ValueError,
        _must(
            "predict_nonlinearity",
            r"a str among \{'auto'\} or a callable returning probabilities",
            r"Got None instead\. None returns the network's logits",
        ),
    ),
    "predict_nonlinearity='softmax'": (
        dict(predict_nonlinearity="softmax"),
        ValueError,
        _must("predict_nonlinearity", r"a str among \{'auto'\}"),
    ),
    **{
        f"predict_nonlinearity={name}": (
            dict(predict_nonlinearity=function),
            ValueError,
            rf"predict_nonlinearity={name} gives no probabilities for \d of 2 rows",
        )
        for name, function in (
            ("identity", _identity),
            ("relu", torch.relu),
            ("sigmoid", torch.sigmoid),
        )
    },
    "equal logits through the identity (0 / 0)": (
        dict(module=_ConstantModule, predict_nonlinearity=_identity),
        ValueError,
        "predict_nonlinearity=identity gives no probabilities for 2 of 2 rows",
    ),
    **{
        f"proba_prior={prior!r}": (
            dict(proba_prior=prior),
            ValueError,
            _must("proba_prior", r"a str among \{'auto', 'balanced', 'train'\}"),
        )
        for prior in ("calibrated", None, "Train")
    },
    **{
        f"module of {width} outputs for 3 classes{extra}": (
            dict(module=_WidthModule, module__width=width, **params),
            ValueError,
            rf"The module gives {width} outputs per row but there are 3 classes",
        )
        for width in (1, 2, 5)
        for extra, params in (("", {}), (", class_weight='balanced'", BALANCED))
    },
    "module of 1-D output for 3 classes": (
        dict(module=_WidthModule, module__width=0),
        ValueError,
        r"The module gives an output of shape \(\) per row but there are 3 classes",
    ),
    **{
        f"router returning {kind}": (
            dict(router=router),
            TypeError,
            rf"router={router.__name__} must return a RoutePlan .*; it returned {kind}",
        )
        for kind, router in (("NoneType", _router_of_none), ("dict", _router_of_dict))
    },
}


@pytest.fixture
def no_training(monkeypatch):
    """Make any skorch training loop (both doors train through one) fail."""

    def fit_loop(self, *args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(NeuralNet, "fit_loop", fit_loop)


PARAMS_REFUSED = [
    pytest.param(door, *case, id=f"{door}-{name}")
    for door, cases in (("sampler", SAMPLER_PARAMS), ("classifier", CLASSIFIER_PARAMS))
    for name, case in cases.items()
]


@pytest.mark.parametrize("door, params, error, match", PARAMS_REFUSED)
def test_bad_arguments_are_refused_before_training(
    door, params, error, match, data, no_training
):
    """Check that a bad VitalitySampler / VitalRouteClassifier argument is
    refused by name, untrained."""
    if door == "sampler":
        fit = _sampler(**params).fit_resample
    else:
        fit = _classifier(**params).fit
    _assert_raises_named(error, match, lambda: fit(*data))


@pytest.mark.parametrize(
    "params",
    [
        dict(loss="focal", criterion__gamma=1e6),
        dict(loss="logit_adjusted", logit_adjust_tau=1e6),
        dict(loss="logit_adjusted", logit_adjust_tau=-1e6),
        dict(class_weight={0: 1e30}),
        dict(class_weight={0: 0.0, 1: 0.0}),  # class 2 keeps weight 1
        dict(lr=1e6),
        dict(tactic__class__beta=1.7e308, tactics=("class",)),
        dict(tactic__hard__beta=1.7e308, tactics=("hard",)),
        dict(tactic__lr_scale__alpha=1.7e308, tactics=("lr_scale",)),
    ],
    ids=lambda params: ",".join(f"{k}={v!r}" for k, v in params.items()),
)
def test_largest_accepted_values_train_to_finite_probabilities(params, data):
    """Check that the bounds are not too tight: values at them train (Adam)."""
    X, y = data
    check_fitted(_classifier(**params).fit(X, y), X, y)


# -- the tactics' own arguments (skorch callbacks, usable in any net) -----------
def _mlp():
    layers = torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    return torch.nn.Sequential(*layers)


CALLBACK_PARAMS = {
    **{
        f"{cls.__name__}({name}={value!r})": (
            lambda cls=cls, name=name, value=value: cls(**{name: value}),
            _must(name, _RANGES[name], owner=cls.__name__),
        )
        for cls in (cbs.ClassStressSampler, cbs.HardSampleSampler)
        for name, value in (
            ("beta", np.inf),
            ("beta", np.nan),
            ("beta", -1.0),
            ("strength", np.nan),
            ("strength", 1.5),
        )
    },
    **{
        f"{cls.__name__}(random_state={seed!r})": (
            lambda cls=cls, seed=seed: cls(random_state=seed),
            _must("random_state", _RANDOM_STATE, owner=cls.__name__),
        )
        for cls in (cbs.ClassStressSampler, cbs.HardSampleSampler)
        for seed in (-1, "seed")
    },
    "ClassStressSampler(refresh_every=0)": (
        lambda: cbs.ClassStressSampler(refresh_every=0),
        _must("refresh_every", _POSITIVE_INT, owner="ClassStressSampler"),
    ),
    "LayerLRScaler(alpha=inf)": (
        lambda: cbs.LayerLRScaler(alpha=np.inf),
        _must("alpha", _RANGES["beta"], owner="LayerLRScaler"),
    ),
    "LayerLRScaler(alpha=nan)": (
        lambda: cbs.LayerLRScaler(alpha=np.nan),
        _must("alpha", _RANGES["beta"], owner="LayerLRScaler"),
    ),
    "VitalityMonitor(reset_threshold=inf)": (
        lambda: cbs.VitalityMonitor(reset_threshold=np.inf),
        _must("reset_threshold", _RANGES["strength"], owner="VitalityMonitor"),
    ),
    "VitalityMonitor(reset='yes')": (
        lambda: cbs.VitalityMonitor(reset="yes"),
        _must("reset", "an instance of 'bool'", owner="VitalityMonitor"),
    ),
    "VitalityMonitor(probe_size=0)": (
        lambda: cbs.VitalityMonitor(probe_size=0),
        _must("probe_size", _POSITIVE_INT, owner="VitalityMonitor"),
    ),
    "DivergenceGuard(probe_size=2.5)": (
        lambda: cbs.DivergenceGuard(probe_size=2.5),
        _must("probe_size", _POSITIVE_INT, owner="DivergenceGuard"),
    ),
    "TransferWarmStart(parent_pool=[])": (
        lambda: cbs.TransferWarmStart([]),
        _must(
            "parent_pool",
            r"a non-empty list of \(name, model\) pairs",
            owner="TransferWarmStart",
        ),
    ),
    "TransferWarmStart(freeze='yes')": (
        lambda: cbs.TransferWarmStart([("p", _mlp())], freeze="yes"),
        _must("freeze", "an instance of 'bool'", owner="TransferWarmStart"),
    ),
    "TransferWarmStart(probe_size=0)": (
        lambda: cbs.TransferWarmStart([("p", _mlp())], probe_size=0),
        _must("probe_size", _POSITIVE_INT, owner="TransferWarmStart"),
    ),
}


@pytest.mark.parametrize(
    "make, match",
    [pytest.param(*case, id=name) for name, case in CALLBACK_PARAMS.items()],
)
def test_callbacks_refuse_bad_arguments_before_training(make, match, data, no_training):
    """Check that a tactic callback refuses a bad argument by name, untrained."""
    X, y = data
    net = NeuralNetClassifier(
        _mlp(),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
        callbacks=[make()],
    )
    _assert_raises_named(ValueError, match, lambda: net.fit(X.astype(np.float32), y))


# -- the sampler's output must fit in memory --------------------------------------
def test_sampler_output_beyond_available_memory_is_refused(data, monkeypatch):
    """Check that the output size is compared with the available memory, and
    that mode="class" checks again once the class probabilities scale it."""
    X, y = _single_row_class()
    fits = _sampler(mode="sample").fit_resample(X, y)[0]
    needed = sampler_input.output_bytes(X, y, len(fits))
    monkeypatch.setattr(sampler_input, "available_bytes", lambda: (needed, "available"))
    _sampler(mode="sample").fit_resample(X, y)  # exactly what is available
    monkeypatch.setattr(
        sampler_input, "available_bytes", lambda: (needed - 1, "available")
    )
    with pytest.raises(ValueError, match=r"asks for 48 output rows \(15 added\)"):
        _sampler(mode="sample").fit_resample(X, y)
    # class mode: the requested counts fit, the lone row's class grows beyond
    monkeypatch.setattr(sampler_input, "available_bytes", lambda: (needed, "available"))
    sampler = _sampler(mode="class")
    with pytest.raises(ValueError, match="scaled by the class probabilities"):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "sample_indices_")


def test_available_memory_without_psutil(monkeypatch):
    """Check the fallbacks: /proc/meminfo on Linux, else the documented cap."""
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil fails
    n_bytes, source = sampler_input.available_bytes()
    if Path("/proc/meminfo").exists():
        assert source == "available" and n_bytes > 0
    real_open = open

    def no_meminfo(path, *args, **kwargs):
        if str(path) == "/proc/meminfo":
            raise OSError("no /proc")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_meminfo)
    assert sampler_input.available_bytes() == (sampler_input.OUTPUT_CAP_BYTES, "cap")


# -- the sampler's class mode at extreme settings -----------------------------------
# On the single-row class data the lone row's class is the most stressed
# (stress 0.53 against 0 for the two others, FAST_SAMPLER): its class
# probability and so its growth rise with beta and strength.
# case: (params, the lone class's final count and whether max_growth held it
# back (a warning), or (error, match))
CLASS_MODE_EXTREMES = {
    "defaults": (dict(), (64, False)),
    "beta=200 (strength 0.7: growth bounded by 1 + 3 * 0.7 / 0.3 = 8)": (
        dict(beta=200.0),
        (128, False),
    ),
    **{
        f"strength=1, beta={beta:g} (capped at max_growth=10)": (
            dict(strength=1.0, beta=beta),
            (160, True),
        )
        for beta in (200.0, 1e300, 1.7e308)
    },
    "strength=1, beta=200, max_growth=3": (
        dict(strength=1.0, beta=200.0, max_growth=3.0),
        (48, True),
    ),
    "strength=1, beta=1e300, max_growth=None": (
        dict(strength=1.0, beta=1e300, max_growth=None),
        (ValueError, "would grow the classes without bound. Set max_growth"),
    ),
    "strength=1, beta=200, max_growth=None (output beyond memory)": (
        dict(strength=1.0, beta=200.0, max_growth=None),
        (ValueError, "scaled by the class probabilities in mode='class'"),
    ),
}


@pytest.mark.parametrize("case", list(CLASS_MODE_EXTREMES))
def test_class_mode_growth_is_capped_or_refused(case):
    """Check that class-mode growth stays within max_growth (warning when the
    cap holds a class back) or is refused by name: no ZeroDivisionError, no
    silent explosion of the output."""
    params, expected = CLASS_MODE_EXTREMES[case]
    X, y = _single_row_class()
    sampler = _sampler(mode="class", **params)
    if isinstance(expected[0], type):
        _assert_raises_named(*expected, lambda: sampler.fit_resample(X, y))
        assert not hasattr(sampler, "sample_indices_")
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sampler.fit_resample(X, y)
    check_resampled(sampler, X, y, result)
    count, held_back = expected
    assert np.bincount(result[1]).tolist() == [16, 16, count]
    capped = [w for w in caught if "capped class 2 to" in str(w.message)]
    assert len(capped) == held_back


def test_one_hot_y_comes_back_as_its_own_rows(data):
    """Check that one-hot y comes back with its columns, dtype and container,
    and that it draws the rows its labels draw (binary y keeps 2 columns,
    which imbalanced-learn's RandomOverSampler reduces to one)."""
    X, y = data
    X, y = X[:40], y[:40]
    cases = [
        _one_hot(y, 4, dtype=np.int8),
        _one_hot((y > 0).astype(int), 2),
        pd.DataFrame(_one_hot(y), columns=["a", "b", "c"], index=np.arange(40) + 100),
        pd.get_dummies(pd.Series(_names(y))),
    ]
    for Y in cases:
        sampler = _sampler()
        _, Y_res = sampler.fit_resample(X, Y)
        reference = _sampler()
        reference.fit_resample(X, labels_of(Y))
        np.testing.assert_array_equal(
            sampler.sample_indices_, reference.sample_indices_
        )
        rows = np.asarray(Y)[sampler.sample_indices_]
        np.testing.assert_array_equal(np.asarray(Y_res), rows)
        assert type(Y_res) is type(Y) and Y_res.shape[1] == Y.shape[1]
        if isinstance(Y, pd.DataFrame):
            assert Y_res.columns.equals(Y.columns) and Y_res.dtypes.equals(Y.dtypes)
            assert Y_res.index.equals(pd.RangeIndex(len(Y_res)))  # as X gets
        else:
            assert Y_res.dtype == Y.dtype
    _, Y_ros = RandomOverSampler(random_state=0).fit_resample(X, cases[1])
    assert Y_ros.shape[1] == 1  # what imbalanced-learn itself returns


def test_sampling_strategy_of_any_mapping_is_a_dict(data):
    """Check that a MappingProxyType (a Mapping imbalanced-learn's constraints
    accept but its conversion drops) resamples exactly as the dict does."""
    X, y = data
    X_dict, _ = _sampler(sampling_strategy={2: 30}).fit_resample(X, y)
    sampler = _sampler(sampling_strategy=MappingProxyType({2: 30}))
    X_proxy, y_proxy = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_proxy, X_dict)
    assert dict(sampler.sampling_strategy_) == {2: 14}
    assert np.bincount(y_proxy).tolist() == [16, 16, 30]


# -- VitalityProbe: what the front doors refuse ------------------------------------
def _probe_net():
    torch.manual_seed(0)
    layers = torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    return torch.nn.Sequential(*layers)


PROBE_METHODS = {
    "observe": lambda probe, X, y: probe.observe(X),
    "observe(X, y)": lambda probe, X, y: probe.observe(X, y),
    "per_class_stress": lambda probe, X, y: probe.per_class_stress(X, y),
    "per_sample_stress": lambda probe, X, y: probe.per_sample_stress(X, y),
    "per_class_overlap": lambda probe, X, y: probe.per_class_overlap(X, y),
}
# case: (make(X, y) -> (X, y), match); every method refuses each with a ValueError.
PROBE_REJECTED = {
    "all-NaN X": (lambda X, y: (np.full_like(X, np.nan), y), "Input X contains NaN"),
    "one NaN in X": (lambda X, y: (_set(X, np.nan), y), "Input X contains NaN"),
    "all-inf X": (
        lambda X, y: (np.full_like(X, np.inf), y),
        "Input X contains infinity",
    ),
    "empty X (0 rows)": (lambda X, y: (X[:0], y[:0]), r"0 sample\(s\)"),
    "X beyond float32 (1e39)": (lambda X, y: (X * 1e39, y), "too large for float32"),
    "NaN in a float32 tensor": (
        lambda X, y: (torch.full((len(y), 4), float("nan")), y),
        r"Input X contains NaN \(a torch.float32 tensor\)",
    ),
    "labels of the wrong length (y[:10])": (
        lambda X, y: (X, y[:10]),
        r"y must be 1-D with one label per row of X; got shape \(10,\) for 48",
    ),
}
PROBE_CASES = [
    pytest.param(case, method, id=f"{method}-{case}")
    for case in PROBE_REJECTED
    for method in PROBE_METHODS
    # observe without labels reads no y
    if not (method == "observe" and case.startswith("labels"))
]


@pytest.mark.parametrize("case, method", PROBE_CASES)
def test_probe_refuses_what_the_front_doors_refuse(case, method, data):
    """Check that every VitalityProbe reading refuses bad X or y by name
    (no stasis 1.0 on NaN, no stress on inf, no RuntimeWarning on 0 rows)."""
    make, match = PROBE_REJECTED[case]
    X, y = make(*data)
    probe = VitalityProbe(_probe_net())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _assert_raises_named(
            ValueError, match, lambda: PROBE_METHODS[method](probe, X, y)
        )
    with pytest.raises(RuntimeError, match="Call observe"):
        probe.stasis_rates()  # no reading was taken


# -- classifier: bad input after fit ---------------------------------------------
PREDICT_REJECTED = {
    "NaN in X": (lambda X: _set(X, np.nan), ValueError, "Input X contains NaN"),
    "+inf in X": (lambda X: _set(X, np.inf), ValueError, "Input X contains infinity"),
    "empty X (0 rows)": (lambda X: X[:0], ValueError, r"0 sample\(s\)"),
    "1-D X": (lambda X: X[0], ValueError, "Expected 2D array, got 1D array instead"),
    "wrong n_features": (
        lambda X: X[:, :3],
        ValueError,
        "X has 3 features, but VitalRouteClassifier is expecting 4 features",
    ),
    "complex X": (lambda X: X + 1j, ValueError, "Complex data"),
    "sparse X (CSR)": (
        sparse.csr_matrix,
        TypeError,
        "Sparse data was passed for X, but dense data is required",
    ),
    "X beyond float32 (1e39)": (
        lambda X: X * 1e39,
        ValueError,
        "too large for float32",
    ),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
@pytest.mark.parametrize("case", list(PREDICT_REJECTED))
def test_predict_rejects_bad_input(case, method, fitted, data):
    """Check that predict, predict_proba and score reject the case by name."""
    make, error, match = PREDICT_REJECTED[case]
    X, y = data
    X_bad = make(X)
    if method == "score":
        n = X_bad.shape[0] if X_bad.ndim == 2 else len(y)
        call = lambda: fitted.score(X_bad, y[:n])  # noqa: E731
    else:
        call = lambda: getattr(fitted, method)(X_bad)  # noqa: E731
    _assert_raises_named(error, match, call)


def test_score_with_unseen_labels_counts_them_wrong(fitted, data):
    """Check that score counts labels unseen at fit as errors, as sklearn does."""
    X, y = data
    y_unseen = np.where(y == 2, 7, y)  # 7 never seen at fit
    pred = fitted.predict(X)
    score = fitted.score(X, y_unseen)
    assert isinstance(score, float)
    assert score == pytest.approx(np.mean(pred == y_unseen))
    assert score == pytest.approx(np.mean((pred == y) & (y != 2)))
    # scikit-learn's own classifiers do the same
    logreg = LogisticRegression().fit(X, y)
    assert logreg.score(X, y_unseen) == pytest.approx(
        np.mean(logreg.predict(X) == y_unseen)
    )


def test_score_with_labels_of_another_type_is_rejected(fitted, data):
    """Check that string labels against integer classes fail as in sklearn."""
    X, y = data
    _assert_raises_named(
        ValueError,
        "Mix of label input types",
        lambda: fitted.score(X, y.astype(str)),
    )


# -- classes without rows (issue 20, item 1) ----------------------------------------
# Every way of naming a class that y lacks, under each route: accepted, with
# one probability column per named class.
def _classes_by_partial_fit(clf, X, y):
    return clf.partial_fit(X, y, classes=[0, 1, 2])


def _classes_by_skorch(clf, X, y):
    return clf.set_params(classes=[0, 1, 2]).fit(X, y)


def _classes_by_warm_refit(clf, X, y):
    X_all, y_all = _data()
    return clf.set_params(warm_start=True).fit(X_all, y_all).fit(X, y)


CLASSES_WITHOUT_ROWS_ENTRIES = {
    "partial_fit(classes=[0, 1, 2])": _classes_by_partial_fit,
    "skorch classes=[0, 1, 2]": _classes_by_skorch,
    "warm_start refit on classes 0, 1": _classes_by_warm_refit,
}
CLASSES_WITHOUT_ROWS_ROUTES = {
    "default route": {},
    "tactics='none'": dict(tactics="none"),
    "class_weight='balanced'": BALANCED,
    "focal, balanced": dict(loss="focal", **BALANCED),
    "logit_adjusted": dict(loss="logit_adjusted"),
    "class sampler": dict(tactics=("class",)),
    "hard sampler": dict(tactics=("hard",)),
    "router='vitalroute'": dict(router="vitalroute"),
}
CLASSES_WITHOUT_ROWS = {
    f"{entry}, {route}": (call, params)
    for entry, call in CLASSES_WITHOUT_ROWS_ENTRIES.items()
    for route, params in CLASSES_WITHOUT_ROWS_ROUTES.items()
}


def _fit_without_class_2(case):
    """Fit on 16 rows of class 0 and 8 of class 1, naming class 2 too."""
    call, params = CLASSES_WITHOUT_ROWS[case]
    X, y = _data()
    rows = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:8]]
    return call(_classifier(**params), X[rows], y[rows]), X


@pytest.mark.parametrize("case", list(CLASSES_WITHOUT_ROWS))
def test_classes_without_rows_are_accepted(case):
    """Check that a class named but absent from y keeps its probability column."""
    clf, X = _fit_without_class_2(case)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert set(clf.predict(X).tolist()) <= {0, 1, 2}
    if clf.class_weight_ is not None:  # the absent class weighs as the rarest
        assert clf.class_weight_[2] == clf.class_weight_[:2].max()


@pytest.mark.parametrize(
    "params, label",
    [({}, "logit_adjusted"), ({"class_weight": "balanced"}, "monitor")],
)
def test_class_without_rows_is_learned_by_later_partial_fits(params, label):
    """Check that a class absent from the first partial_fit batch is learned
    from later batches, under the default route (the logit-adjusted loss
    adjusts it as the rarest class) and with inverse-frequency weights (it
    weighs as the rarest)."""
    X, y = _data()
    clf = _classifier(max_epochs=5, lr=0.01, **params)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.route_.label == label
    for _ in range(6):
        clf.partial_fit(X, y)
    assert (clf.predict(X[y == 2]) == 2).mean() > 0.5


# -- sample weights (issue 20, item 5) -----------------------------------------------
def _weights(value, at=3):
    weight = np.ones(N)
    weight[at] = value
    return weight


SAMPLE_WEIGHTS = {
    **{
        f"sample_weight with one weight {value:g}": (
            _weights(value),
            {},
            (ValueError, r"sample_weight must be at most 1e\+30.*largest weight of"),
        )
        for value in (1e300, 1e31, 3.5e38)
    },
    "sample_weight with one weight 1e30 (the bound)": (_weights(1e30), {}, ACCEPT),
    "sample_weight 1e30 with class_weight={0: 2}": (
        np.full(N, 1e30),
        dict(class_weight={0: 2.0}),
        (ValueError, r"class_weight x sample_weight reaches 2e\+30"),
    ),
    "sample_weight 1e15 with class_weight={0: 1e15}": (
        _weights(1e15),
        dict(class_weight={0: 1e15}),
        ACCEPT,
    ),
    "sample_weight -1": (
        _weights(-1.0),
        {},
        (ValueError, "Negative values in data passed to `?sample_weight"),
    ),
    "sample_weight inf": (_weights(np.inf), {}, (ValueError, "contains infinity")),
    "sample_weight NaN": (_weights(np.nan), {}, (ValueError, "contains NaN")),
    "sample_weight all 0": (
        np.zeros(N),
        {},
        (ValueError, "Sample weights must contain at least one non-zero number"),
    ),
    "sample_weight of another length": (
        np.ones(N - 1),
        {},
        (ValueError, r"sample_weight.shape == \(47,\), expected \(48,\)"),
    ),
}


@pytest.mark.parametrize("case", list(SAMPLE_WEIGHTS))
def test_sample_weights_are_refused_by_name_or_train(case, data, monkeypatch):
    """Check that sample weights beyond float32 are refused by name before
    training, and that those at the bounds train to valid probabilities."""
    X, y = data
    weight, params, expected = SAMPLE_WEIGHTS[case]
    clf = _classifier(**params)
    if expected == ACCEPT:
        clf.fit(X, y, sample_weight=weight)
        check_fitted(clf, X, y)
        return
    monkeypatch.setattr(NeuralNet, "fit_loop", _no_fit_loop)
    _assert_raises_named(*expected, lambda: clf.fit(X, y, sample_weight=weight))


def _no_fit_loop(self, *args, **kwargs):
    raise AssertionError("training started")


# -- a fitted classifier, then a bad call (issue 20, item 5) -----------------------
def _trimmed(fitted):
    clf = _classifier().fit(*_data())
    clf.trim_for_prediction()
    return clf


AFTER_FIT = {
    **{
        f"trim_for_prediction(), then {method}": (
            _trimmed,
            lambda clf, X, y, method=method: getattr(clf, method)(
                *((X, y) if method != "initialize" else ())
            ),
            ValueError,
            "was trimmed for prediction .* so it can only predict",
        )
        for method in ("fit", "partial_fit", "initialize")
    },
    **{
        f"set_params({name}=1)": (
            lambda fitted: _classifier(),
            lambda clf, X, y, name=name: clf.set_params(**{name: 1}),
            ValueError,
            rf"Invalid parameter '{name}' for estimator VitalRouteClassifier: names "
            "ending with '_'",
        )
        for name in ("__class__", "classes_", "module__width_")
    },
    "set_params(n_jobs=10**6) after fit, then predict": (
        lambda fitted: _classifier().fit(*_data()),
        lambda clf, X, y: clf.set_params(n_jobs=10**6).predict(X),
        ValueError,
        "n_jobs=1000000 asks for more torch threads than this machine runs",
    ),
}


@pytest.mark.parametrize("case", list(AFTER_FIT))
def test_bad_calls_after_fit_name_their_cause(case, data, fitted):
    """Check that trimming, private names and thread counts are refused by name."""
    make, call, error, match = AFTER_FIT[case]
    X, y = data
    clf = make(fitted)
    _assert_raises_named(error, match, lambda: call(clf, X, y))


def test_trimmed_net_still_predicts(data):
    """Check that the refusal leaves a trimmed net predicting as before."""
    X, y = data
    clf = _trimmed(None)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="trimmed"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_device_none_trains_where_the_module_is(data):
    """Check skorch's device=None (no casting): the module stays on the CPU."""
    X, y = data
    clf = _classifier(device=None).fit(X, y)
    check_fitted(clf, X, y)
    assert next(clf.module_.parameters()).device.type == "cpu"


# -- saving and loading the labels (issue 20, item 6) -------------------------------
def _dates(y):
    return np.array(["2020-01-01", "2020-03-01", "2021-01-01"], dtype="M8[D]")[y]


def _durations(y):
    return np.array([1, 2, 30], dtype="m8[h]")[y]


@pytest.mark.parametrize(
    "make_labels",
    [_dates, _durations, _names, lambda y: y * 2.0, lambda y: y == 1],
    ids=["datetime64", "timedelta64", "str", "float", "bool"],
)
def test_labels_round_trip_through_f_labels(make_labels, data, tmp_path):
    """Check that every label kind the classifier accepts is saved and reloaded."""
    X, codes = data
    X, codes = (
        (X[codes < 2], codes[codes < 2])
        if make_labels(codes).dtype == bool
        else (X, codes)
    )
    y = make_labels(codes)
    clf = _classifier().fit(X, y)
    files = dict(
        f_params=tmp_path / "p.pt",
        f_labels=tmp_path / "l.json",
        f_forest=tmp_path / "f.joblib",
    )
    clf.save_params(**files)
    new = _classifier()
    new.load_params(**files)
    assert new.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(new.classes_, clf.classes_)
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))


def test_unwritable_labels_leave_no_file(data, tmp_path):
    """Check that labels JSON cannot hold are refused before anything is written:
    no new file, and an old file stays whole."""
    import datetime

    X, y = data
    clf = _classifier().fit(X, y)
    path = tmp_path / "labels.json"
    clf.save_params(f_labels=path)
    good = path.read_text()
    clf.label_encoder_.classes_ = np.array(
        [datetime.date(2020, 1, d) for d in (1, 2, 3)], dtype=object
    )
    for target in (path, tmp_path / "new.json"):
        with pytest.raises(TypeError, match="f_labels cannot hold these labels"):
            clf.save_params(f_labels=target)
    assert path.read_text() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.json"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory, data):
    """A 3-class net of 4 features and a 3-class net of 6 features, saved."""
    X, y = data
    folder = tmp_path_factory.mktemp("saved")
    net = partial(_classifier, router__forest_weight=0.0)  # networks only
    net().fit(X, y).save_params(f_params=folder / "p4.pt", f_labels=folder / "l4.json")
    X6 = np.c_[X, X[:, :2]]
    net().fit(X6, y).save_params(f_params=folder / "p6.pt", f_labels=folder / "l6.json")
    net().fit(X, _names(y)).save_params(f_params=folder / "pstr.pt")
    return folder


def _two_class_net():
    X, y = _data()
    return _classifier().fit(X[y < 2], y[y < 2])


LOADS = {
    "3-class labels into a 2-class net": (
        _two_class_net,
        lambda d: dict(f_labels=d / "l4.json"),
        "The module gives 2 outputs per row but there are 3 classes",
    ),
    "3-class labels and parameters into a 2-class net": (
        _two_class_net,
        lambda d: dict(f_params=d / "p4.pt", f_labels=d / "l4.json"),
        "f_params holds a network of another shape",
    ),
    "labels of 4 features with parameters of 6": (
        _classifier,
        lambda d: dict(f_params=d / "p6.pt", f_labels=d / "l4.json"),
        "f_params holds a network of another shape",
    ),
    "labels of 6 features into a fitted 4-feature net": (
        lambda: _classifier().fit(*_data()),
        lambda d: dict(f_labels=d / "l6.json"),
        "The module cannot read rows of 6 features",
    ),
    "labels of 4 features, custom module of 6 inputs": (
        lambda: _classifier(
            module=torch.nn.Linear, module__in_features=6, module__out_features=3
        ),
        lambda d: dict(f_labels=d / "l4.json"),
        "The module cannot read rows of 4 features",
    ),
}


@pytest.mark.parametrize("case", list(LOADS))
def test_mismatched_loads_are_refused(case, saved):
    """Check that a label state that does not fit the network is refused, and
    that a refused label file leaves the previous labels in place."""
    make, files, match = LOADS[case]
    net = make()
    before = getattr(net, "label_encoder_", None)
    before = None if before is None else before.classes_.copy()
    _assert_raises_named(ValueError, match, lambda: net.load_params(**files(saved)))
    if "f_params" not in files(saved) and before is not None:
        np.testing.assert_array_equal(net.classes_, before)


def test_reload_without_labels_refuses_to_predict_codes(saved, data):
    """Check that a net of string labels reloaded without f_labels does not
    predict integer codes: predict refuses and names f_labels; skorch's
    classes= restores the labels."""
    X, y = data
    shape = dict(module__n_features=N_FEATURES, module__n_classes=3)
    net = _classifier(**shape)
    net.initialize()
    net.load_params(f_params=saved / "pstr.pt")
    _assert_raises_named(ValueError, "f_labels=", lambda: net.predict(X))
    named = _classifier(classes=["a", "b", "c"], **shape)
    named.initialize()
    named.load_params(f_params=saved / "pstr.pt")
    assert set(named.predict(X).tolist()) <= {"a", "b", "c"}


# -- accepted inputs ---------------------------------------------------------------
@pytest.mark.parametrize("mode", ["auto", "sample", "class"])
def test_sampler_single_row_class_is_over_sampled(mode):
    """Check that a one-row class keeps its row and grows by duplicating it."""
    X, y = _single_row_class()
    sampler = _sampler(mode=mode)
    X_res, y_res = sampler.fit_resample(X, y)
    n = len(y)
    np.testing.assert_array_equal(X_res[:n], X)
    np.testing.assert_array_equal(sampler.sample_indices_[:n], np.arange(n))
    counts = np.bincount(y_res)
    np.testing.assert_array_equal(
        counts, np.bincount(y) + [sampler.n_added_.get(c, 0) for c in range(3)]
    )
    assert counts.min() >= 16  # every class reaches the majority count
    if sampler.mode_ == "sample":
        np.testing.assert_array_equal(counts, [16, 16, 16])
    single = X[y == 2][0]
    added = X_res[n:][y_res[n:] == 2]
    assert len(added) == counts[2] - 1
    np.testing.assert_array_equal(added, np.tile(single, (len(added), 1)))


@pytest.mark.parametrize("tactics", ["auto", ("class",), "none"])
def test_classifier_single_row_class_is_fit_on_every_row(tactics):
    """Check that a one-row class is learned from: kept, drawn, predicted for."""
    X, y = _single_row_class()
    clf = _classifier(tactics=tactics).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    for epoch in clf.history:
        assert sum(b["train_batch_size"] for b in epoch["batches"]) == len(y)
    if tactics == ("class",):
        assert min(clf.history[-1]["vitality_class_probs"]) > 0
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_sampler_accepts_sparse_and_matches_dense(data):
    """Check that sparse X is resampled exactly as its dense copy, staying sparse."""
    X, y = data
    y = y[np.r_[0:40]]
    X = X[:40]
    X_dense, y_dense = _sampler().fit_resample(X, y)
    sampler = _sampler()
    X_sparse, y_sparse = sampler.fit_resample(sparse.csr_matrix(X), y)
    assert sparse.issparse(X_sparse)
    np.testing.assert_array_equal(X_sparse.toarray(), X_dense)
    np.testing.assert_array_equal(y_sparse, y_dense)


def test_sampler_one_hot_y_is_resampled_one_hot(data):
    """Check that one-hot y is imbalanced-learn's one-vs-all input: output one-hot."""
    X, y = data
    X, y = X[:40], y[:40]
    Y = np.eye(3, dtype=int)[y]
    X_res, Y_res = _sampler().fit_resample(X, Y)
    X_lab, y_lab = _sampler().fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X_lab)
    np.testing.assert_array_equal(Y_res, np.eye(3, dtype=int)[y_lab])


def test_huge_finite_values_give_finite_results(data):
    """Check that 1e30-scaled X is resampled intact and gets finite probabilities."""
    X, y = data
    X_huge = X * 1e30
    sampler = _sampler()
    X_res, y_res = sampler.fit_resample(X_huge, y)
    np.testing.assert_array_equal(X_res[: len(y)], X_huge)  # not cast to float32
    np.testing.assert_array_equal(X_res, X_huge[sampler.sample_indices_])
    proba = _classifier().fit(X_huge, y).predict_proba(X_huge)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def _same_as_float64(data, convert):
    """Fit both doors on converted X; check they match the float64 results."""
    X, y = data
    Xc = convert(X)
    sampler = _sampler()
    X_res, y_res = sampler.fit_resample(Xc, y)
    reference = _sampler()
    reference.fit_resample(X, y)
    np.testing.assert_array_equal(sampler.sample_indices_, reference.sample_indices_)
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    proba = _classifier().fit(X, y).predict_proba(X)
    proba_c = _classifier().fit(Xc, y).predict_proba(Xc)
    np.testing.assert_allclose(proba_c, proba, rtol=1e-6, atol=1e-7)
    return X_res


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda X: X.astype(object), id="object-numbers"),
        pytest.param(lambda X: X.astype(str).astype(object), id="numeric-strings"),
        pytest.param(lambda X: X.tolist(), id="list-of-lists"),
        pytest.param(lambda X: X.astype(np.float32), id="float32"),
        pytest.param(pd.DataFrame, id="numeric-DataFrame"),
    ],
)
def test_convertible_input_is_accepted_as_float64(convert, data):
    """Check that numeric input in another container gives the float64 draws
    and probabilities."""
    X, _ = data
    X_res = _same_as_float64(data, convert)
    np.testing.assert_allclose(np.asarray(X_res, dtype=float)[: len(X)], X, rtol=1e-6)


def test_float32_stays_float32_in_the_sampler(data):
    """Check that the sampler keeps float32 input float32, as imblearn does."""
    X, y = data
    X_res, _ = _sampler().fit_resample(X.astype(np.float32), y)
    assert X_res.dtype == np.float32


def test_column_vector_y_is_raveled_as_in_sklearn(data):
    """Check that y of shape (n, 1) is raveled as the sklearn ecosystem does.

    The classifier warns (DataConversionWarning) as scikit-learn's estimators
    do; the sampler stays silent as imbalanced-learn's RandomOverSampler does.
    """
    X, y = data
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        clf = _classifier().fit(X, y[:, None])
    np.testing.assert_array_equal(
        clf.predict_proba(X), _classifier().fit(X, y).predict_proba(X)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        RandomOverSampler(random_state=0).fit_resample(X, y[:, None])
        X_res, y_res = _sampler().fit_resample(X, y[:, None])
    assert y_res.shape == (len(X_res),)
    np.testing.assert_array_equal(y_res, _sampler().fit_resample(X, y)[1])


def test_sampler_returns_the_input_rows_untouched(data):
    """Check that rows a numeric conversion would alter come back as given.

    imbalanced-learn's validation turns an object array of 2**60 + i into
    float64 (2**60 + 1 becomes 2**60) and a DataFrame of int64 and float64
    columns into one float64 array; the probe network reads that copy, the
    output rows are the input's own.
    """
    X, y = data
    big = (2**60 + np.arange(X.size).reshape(X.shape)).astype(object)
    assert float(big[0, 1]) == float(big[0, 0])  # float64 cannot tell them apart
    sampler = _sampler()
    X_res, y_res = sampler.fit_resample(big, y)
    assert X_res.dtype == object
    assert X_res.tolist() == big[sampler.sample_indices_].tolist()
    assert X_res[:, 1].tolist()[: len(y)] == [2**60 + 4 * i + 1 for i in range(len(y))]
    frame = pd.DataFrame({"big": 2**60 + np.arange(len(y)), "x": X[:, 0]})
    frame_res, _ = _sampler().fit_resample(frame, y)
    assert frame_res.dtypes.equals(frame.dtypes)
    assert frame_res["big"].tolist()[: len(y)] == frame["big"].tolist()


# -- the tables in docs/reliability.md --------------------------------------------
def _outcome(call, describe, width=100):
    """'TypeName: first line of the message', or 'accepted: ...' for one run."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call()
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0]
        message = message if len(message) <= width else message[: width - 3] + "..."
        return f"{type(exc).__name__}: {message}".replace("|", "\\|")
    warned = any(w.category is DataConversionWarning for w in caught)
    return f"accepted{' (DataConversionWarning)' if warned else ''}: {describe(result)}"


def _class_counts(y):
    return "/".join(str(c) for c in np.unique(labels_of(y), return_counts=True)[1])


def _describe_resampled(X, y):
    def describe(result):
        sampler, (X_res, y_res) = result
        try:
            check_resampled(sampler, X, y, (X_res, y_res))
            kept = "originals kept first and untouched"
        except AssertionError:
            kept = "ORIGINAL ROWS CHANGED"
        n_in, n_out = len(labels_of(y)), len(labels_of(y_res))
        kind = "sparse" if sparse.issparse(X_res) else type(X_res).__name__
        dtype = getattr(X_res, "dtype", None)
        kind += f" {dtype}" if dtype is not None and kind != "DataFrame" else ""
        counts = _class_counts(y), _class_counts(y_res)
        if len(counts[0]) > 40:
            counts = tuple(f"{len(np.unique(labels_of(y)))} classes" for _ in counts)
        return (
            f"{n_in} -> {n_out} rows ({kind}), {kept}; "
            f"class counts {counts[0]} -> {counts[1]}"
        )

    return describe


def _describe_fitted(X, y):
    def describe(result):
        clf, _ = result
        try:
            check_fitted(clf, X, y)
            ok = "predict_proba finite, sums to 1"
        except AssertionError:
            ok = "PROBABILITIES WRONG"
        return f"fit; {ok}, shape {clf.predict_proba(X).shape}"

    return describe


def _fit_table(X, y):
    print("| case | VitalitySampler | VitalRouteClassifier |")
    print("|---|---|---|")
    for case in FIT_CASES:
        make, expected, params = _case(case)
        Xc, yc = make(X, y)
        cells = []
        for door in DOORS:
            if door not in expected:
                cells.append("n/a")
                continue
            describe = _describe_resampled if door == "sampler" else _describe_fitted
            door_params = params.get(door)

            def call(d=door, p=door_params, X=Xc, y=yc):
                return _fit(d, X, y, p)

            cells.append(_outcome(call, describe(Xc, yc)))
        print(f"| {case} | {cells[0]} | {cells[1]} |")
    clf = _classifier().fit(X, y)
    for case, (make, _, _) in PREDICT_REJECTED.items():
        cell = _outcome(lambda m=make: clf.predict(m(X)), str)
        print(f"| {case}, after fit (predict, predict_proba, score) | n/a | {cell} |")
    for case, y_score in (
        ("label unseen at fit, at score", np.where(y == 2, 7, y)),
        ("string labels at score, integer classes", y.astype(str)),
    ):
        cell = _outcome(
            lambda ys=y_score: clf.score(X, ys),
            lambda score: f"score {score:.4f}; the unseen rows count as wrong",
        )
        print(f"| {case} | n/a | {cell} |")


def _params_table(name, cases, make, call):
    X, y = _data()
    print(f"| {name} argument | outcome |")
    print("|---|---|")
    for case, (params, _, _) in cases.items():
        estimator = make(params)
        outcome = _outcome(
            lambda e=estimator: call(e, X, y), lambda _: "accepted", width=200
        )
        print(f"| `{case}` | {outcome} |")


def _class_mode_table():
    X, y = _single_row_class()
    print("| VitalitySampler(mode='class') on counts 16/16/1 | outcome |")
    print("|---|---|")
    for case, (params, _) in CLASS_MODE_EXTREMES.items():

        def describe(result):
            sampler, (_, y_res) = result
            counts = "/".join(map(str, np.bincount(y_res)))
            return f"class counts {counts}"

        caught = []

        def call(p=params, caught=caught):
            sampler = _sampler(mode="class", **p)
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                result = sampler, sampler.fit_resample(X, y)
            caught += record
            return result

        outcome = _outcome(call, describe, width=160)
        capped = [str(w.message) for w in caught if "capped class" in str(w.message)]
        if capped:
            outcome += "; UserWarning: " + capped[0].split(" (the count")[0]
        print(f"| `{case}` | {outcome} |")


def _probe_table():
    X, y = _data()
    methods = list(PROBE_METHODS)
    print("| case | " + " | ".join(f"`{m}`" for m in methods) + " |")
    print("|---|" + "---|" * len(methods))
    for case, (make, _) in PROBE_REJECTED.items():
        Xc, yc = make(X, y)
        cells = [
            "n/a (reads no y)"
            if m == "observe" and case.startswith("labels")
            else _outcome(
                lambda m=m, X=Xc, y=yc: PROBE_METHODS[m](
                    VitalityProbe(_probe_net()), X, y
                ),
                lambda _: "accepted",
                width=60,
            )
            for m in methods
        ]
        print(f"| {case} | " + " | ".join(cells) + " |")


def _print_tables():
    """Print the Markdown tables of docs/reliability.md from actual runs."""
    _fit_table(*_data())
    print()
    _params_table(
        "VitalitySampler",
        SAMPLER_PARAMS,
        lambda params: VitalitySampler(**{**FAST_SAMPLER, **params}),
        lambda sampler, X, y: sampler.fit_resample(X, y),
    )
    print()
    _params_table(
        "VitalRouteClassifier",
        CLASSIFIER_PARAMS,
        lambda params: VitalRouteClassifier(**{**FAST_CLASSIFIER, **params}),
        lambda clf, X, y: clf.fit(X, y),
    )
    print()
    _issue_20_tables()
    print()
    _class_mode_table()
    print()
    _probe_table()


def _issue_20_tables():
    """The tables of classes without rows, sample weights, calls after fit and
    loads (docs/reliability.md, "Classes without rows" and after)."""
    X, y = _data()
    print("| classes without rows: how, route | outcome |")
    print("|---|---|")
    for case in CLASSES_WITHOUT_ROWS:

        def describe(result):
            clf, X_all = result
            weight = clf.class_weight_
            weights = "none" if weight is None else "/".join(f"{w:.2f}" for w in weight)
            return (
                f"predict_proba shape {clf.predict_proba(X_all).shape}, "
                f"class weights {weights}"
            )

        print(
            f"| {case} | {_outcome(lambda c=case: _fit_without_class_2(c), describe)} |"
        )
    print()
    print("| sample_weight | outcome |")
    print("|---|---|")
    for case, (weight, params, _) in SAMPLE_WEIGHTS.items():
        cell = _outcome(
            lambda w=weight, p=params: _classifier(**p).fit(X, y, sample_weight=w),
            lambda clf: "fit; " + _describe_fitted(X, y)((clf, None)).split("; ")[1],
            width=160,
        )
        print(f"| {case} | {cell} |")
    print()
    print("| call | outcome |")
    print("|---|---|")
    for case, (make, call, _, _) in AFTER_FIT.items():
        clf = make(None)
        cell = _outcome(lambda c=clf, f=call: f(c, X, y), str, width=160)
        print(f"| {case} | {cell} |")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _classifier().fit(X, y).save_params(
            f_params=folder / "p4.pt", f_labels=folder / "l4.json"
        )
        X6 = np.c_[X, X[:, :2]]
        _classifier().fit(X6, y).save_params(
            f_params=folder / "p6.pt", f_labels=folder / "l6.json"
        )
        for case, (make, files, _) in LOADS.items():
            net = make()
            cell = _outcome(lambda n=net, f=files: n.load_params(**f(folder)), str, 160)
            print(f"| load_params: {case} | {cell} |")


def _write_tables(path):
    """Replace each table of ``path`` by the printed table of the same header."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _print_tables()
    tables = [t.splitlines() for t in out.getvalue().strip().split("\n\n")]
    lines = Path(path).read_text().splitlines()
    for table in tables:
        start = lines.index(table[0])  # the header names the table
        end = start
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines[start:end] = table
    Path(path).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    # python tests/test_bad_input.py                        prints the tables
    # python tests/test_bad_input.py --write docs/reliability.md   writes them
    if sys.argv[1:2] == ["--write"]:
        _write_tables(sys.argv[2])
    else:
        _print_tables()
