"""What a correct result of each front door is; shared by the test matrix
(test_bad_input.py) and the property-based tests (test_fuzz.py).

Also builds the fuzz datasets from plain specs (dicts of ints and strings)
and runs both doors on them, so that another process (the cross-process
determinism test) rebuilds and refits exactly the same from the same spec
without importing pytest or hypothesis.
"""

import hashlib
import warnings

import numpy as np
import pandas as pd
from scipy import sparse

from skvitalroute import VitalitySampler, VitalRouteClassifier

LABEL_KINDS = ("int", "negative int", "str", "float", "bool")
# The classifier computes in float32 and takes dense X only: no 2**60 + i.
CLASSIFIER_X_KINDS = ("float64", "float32", "int16", "DataFrame")
SAMPLER_X_KINDS = (*CLASSIFIER_X_KINDS, "object ints", "csr")


def labels_of(y):
    """One label per row: one-hot rows by their column, a column vector raveled."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()


def _cells(X):
    """The values of X, row by row, as an ndarray (objects for a DataFrame)."""
    if sparse.issparse(X):
        return X.toarray()
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(dtype=object)
    return np.asarray(X, dtype=object) if isinstance(X, list) else np.asarray(X)


def _same_type(X, X_res):
    """The output is the input's kind of container, with its dtypes."""
    if sparse.issparse(X):  # CSR or CSC, as imbalanced-learn validates sparse X
        assert sparse.issparse(X_res) and X_res.dtype == X.dtype
        assert isinstance(X_res, sparse.sparray) == isinstance(X, sparse.sparray)
    elif isinstance(X, pd.DataFrame):
        assert isinstance(X_res, pd.DataFrame)
        assert X_res.dtypes.equals(X.dtypes) and X_res.columns.equals(X.columns)
    elif isinstance(X, list):
        assert isinstance(X_res, list)
    else:
        assert isinstance(X_res, np.ndarray) and X_res.dtype == X.dtype


def check_resampled(sampler, X, y, result):
    """Every original row first and untouched; copies of input rows after;
    labels follow their rows; no class shrinks or disappears."""
    X_res, y_res = result
    n = len(labels_of(y))
    indices = sampler.sample_indices_
    np.testing.assert_array_equal(indices[:n], np.arange(n))
    _same_type(X, X_res)
    rows, rows_res = _cells(X), _cells(X_res)
    assert rows_res.shape == (len(indices), rows.shape[1])
    # .tolist() compares Python objects exactly (2**60 + 1 != 2.0**60)
    assert rows_res.tolist() == rows[indices].tolist()
    labels, labels_res = labels_of(y), labels_of(y_res)
    np.testing.assert_array_equal(labels_res, labels[indices])
    classes, counts = np.unique(labels, return_counts=True)
    classes_res, counts_res = np.unique(labels_res, return_counts=True)
    np.testing.assert_array_equal(classes_res, classes)
    assert (counts_res >= counts).all()
    assert len(indices) - n == sum(sampler.n_added_.values())


def check_fitted(clf, X, y):
    """Finite probabilities summing to 1 over the classes of y; labels from fit."""
    classes = np.unique(labels_of(y))
    assert set(clf.classes_.tolist()) == set(classes.tolist())
    proba = clf.predict_proba(X)
    assert proba.shape == (len(labels_of(y)), len(classes))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X).tolist()) <= set(clf.classes_.tolist())


def make_dataset(spec):
    """(X, y) from a spec: {"seed", "counts", "n_features", "scale", "labels", "X"}.

    Gaussian blobs, one per class, shifted by the class index and scaled by
    ``scale``, rows shuffled; labels of the kind ``spec["labels"]``
    (:data:`LABEL_KINDS`), X of the kind ``spec["X"]``
    (:data:`SAMPLER_X_KINDS`).
    """
    rng = np.random.default_rng(spec["seed"])
    counts = spec["counts"]
    codes = np.repeat(np.arange(len(counts)), counts)
    X = rng.normal(size=(len(codes), spec["n_features"])) + codes[:, None]
    order = rng.permutation(len(codes))
    X, codes = X[order] * spec["scale"], codes[order]
    y = {
        "int": codes,
        "negative int": -3 * codes - 1,
        "str": np.array([f"class {c}" for c in range(len(counts))])[codes],
        "float": codes * 2.0,
        "bool": codes == 1,
    }[spec["labels"]]
    kind = spec["X"]
    if kind == "object ints":
        X = (2**60 + np.round(X * 1e3).astype(np.int64)).astype(object)
    elif kind == "int16":
        X = np.clip(np.round(X * 100), -30000, 30000).astype(np.int16)
    elif kind == "DataFrame":
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
        X["f0"] = np.round(X["f0"] * 1000).astype(np.int64)  # int64 and float64
    elif kind == "csr":
        X = sparse.csr_matrix(np.where(np.abs(X) > spec["scale"], X, 0.0))
    else:
        X = X.astype(kind)
    return X, y


# -- the fuzz runs (also in a child process: no pytest or hypothesis here) --------
def resample(spec, params):
    """Resample the spec's data with a tiny default probe network."""
    X, y = make_dataset(spec)
    sampler = VitalitySampler(probe_hidden_units=(4,), probe_epochs=1, **params)
    return sampler, X, y, sampler.fit_resample(X, y)


def classify(spec, params):
    """Fit a tiny classifier on the spec's data."""
    X, y = make_dataset(spec)
    clf = VitalRouteClassifier(hidden_units=(4,), probe_size=64, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. LR scaling on no group
        return clf.fit(X, y), X, y


def _digest(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def fingerprints(cases):
    """Per case: the sampler's drawn rows and the classifier's probabilities."""
    out = []
    for spec, sampler_kw, classifier_kw in cases:
        sampler = resample(spec, sampler_kw)[0]
        clf, X, _ = classify({**spec, "X": "float64"}, classifier_kw)
        out.append([_digest(sampler.sample_indices_), _digest(clf.predict_proba(X))])
    return out
