"""Bad input at both front doors: rejected with an error that names it, or handled.

Every case of the matrix is either rejected by ``VitalitySampler`` /
``VitalRouteClassifier`` with a ``ValueError``/``TypeError`` whose message
names the problem (never an error raised inside torch), or accepted with the
behaviour that makes it correct (no row silently dropped, finite
probabilities). ``docs/reliability.md`` holds the table of these cases; it is
printed from actual runs by::

    .venv/bin/python tests/test_bad_input.py
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression

from skvitalroute import VitalitySampler, VitalRouteClassifier

N, N_FEATURES = 48, 4
FAST_SAMPLER = dict(probe_epochs=1, probe_hidden_units=(8,), random_state=0)
FAST_CLASSIFIER = dict(hidden_units=(8,), max_epochs=2, random_state=0)
TORCH_DIR = str(Path(torch.__file__).parent)


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


# -- the matrix of rejected inputs ------------------------------------------------
# case: (make(X, y) -> (X, y), {door: (error, match)}); a door absent from
# the dict accepts the case (tested below).
FIT_REJECTED = {
    "NaN in X": (
        lambda X, y: (_set(X, np.nan), y),
        dict.fromkeys(("sampler", "classifier"), (ValueError, "Input X contains NaN")),
    ),
    "+inf in X": (
        lambda X, y: (_set(X, np.inf), y),
        dict.fromkeys(
            ("sampler", "classifier"), (ValueError, "Input X contains infinity")
        ),
    ),
    "-inf in X": (
        lambda X, y: (_set(X, -np.inf), y),
        dict.fromkeys(
            ("sampler", "classifier"), (ValueError, "Input X contains infinity")
        ),
    ),
    "empty X (0 rows)": (
        lambda X, y: (X[:0], y[:0]),
        dict.fromkeys(("sampler", "classifier"), (ValueError, r"0 sample\(s\)")),
    ),
    "X with 0 features": (
        lambda X, y: (X[:, :0], y),
        dict.fromkeys(("sampler", "classifier"), (ValueError, r"0 feature\(s\)")),
    ),
    "1-D X": (
        lambda X, y: (X[:, 0], y),
        dict.fromkeys(
            ("sampler", "classifier"),
            (ValueError, "Expected 2D array, got 1D array instead"),
        ),
    ),
    "3-D X": (
        lambda X, y: (X.reshape(N, 2, 2), y),
        dict.fromkeys(
            ("sampler", "classifier"), (ValueError, "Found array with dim 3")
        ),
    ),
    "2-D y (two label columns)": (
        lambda X, y: (X, np.c_[y, y]),
        dict.fromkeys(
            ("sampler", "classifier"),
            (ValueError, r"y should be a 1d array, got an array of shape \(48, 2\)"),
        ),
    ),
    "one-hot y (n, 3)": (
        lambda X, y: (X, np.eye(3, dtype=int)[y]),
        {
            "classifier": (
                ValueError,
                r"y should be a 1d array, got an array of shape \(48, 3\)",
            )
        },
    ),
    "one class": (
        lambda X, y: (X, np.zeros_like(y)),
        {
            "sampler": (ValueError, "needs to have more than 1 class. Got 1 class"),
            "classifier": (ValueError, "at least 2 classes.*only one class"),
        },
    ),
    "length mismatch": (
        lambda X, y: (X, y[:-1]),
        dict.fromkeys(
            ("sampler", "classifier"),
            (ValueError, r"inconsistent numbers of samples: \[48, 47\]"),
        ),
    ),
    "complex X": (
        lambda X, y: (X + 1j, y),
        dict.fromkeys(("sampler", "classifier"), (ValueError, "Complex data")),
    ),
    "DataFrame with a column of strings": (
        _strings_frame,
        dict.fromkeys(
            ("sampler", "classifier"),
            (ValueError, "could not convert string to float"),
        ),
    ),
    "NaN in y": (
        lambda X, y: (X, _set(y, np.nan, float)),
        dict.fromkeys(("sampler", "classifier"), (ValueError, "Input y contains NaN")),
    ),
    "continuous y": (
        lambda X, y: (X, y + np.linspace(0, 0.5, len(y))),
        dict.fromkeys(
            ("sampler", "classifier"), (ValueError, "Unknown label type: continuous")
        ),
    ),
    "X beyond float32 (1e39)": (
        lambda X, y: (X * 1e39, y),
        dict.fromkeys(
            ("sampler", "classifier"), (ValueError, "too large for float32")
        ),
    ),
    "sparse X (CSR)": (
        lambda X, y: (sparse.csr_matrix(X), y),
        {
            "classifier": (
                TypeError,
                "Sparse data was passed for X, but dense data is required. "
                r"Use '\.toarray\(\)'",
            )
        },
    ),
    "finite X overflowing float32 sums (+-3.3e38)": (
        _huge_within_float32,
        {
            "sampler": (ValueError, "outputs on X are not finite"),
            "classifier": (
                ValueError,
                "outputs? on (them|the training rows) (are|is) not finite",
            ),
        },
    ),
    "single-row class with train_split=0.2": (
        lambda X, y: _single_row_class(),
        {"classifier": (ValueError, "least populated class.*only 1 member")},
    ),
}


def _fit(door, X, y, case=None):
    """Fit one front door; the sample-stress mode reads the network's outputs."""
    if door == "sampler":
        return _sampler(mode="sample").fit_resample(X, y)
    split = 0.2 if case == "single-row class with train_split=0.2" else None
    return _classifier(train_split=split).fit(X, y)


def _assert_raises_named(error, match, call):
    """Run ``call``: it raises ``error`` matching ``match``, not from inside torch."""
    with pytest.raises(error, match=match) as info:
        call()
    assert not str(info.traceback[-1].path).startswith(TORCH_DIR)
    return info.value


FIT_CASES = [
    pytest.param(case, door, *expected[door], id=f"{door}-{case}")
    for case, (_, expected) in FIT_REJECTED.items()
    for door in ("sampler", "classifier")
    if door in expected
]


@pytest.mark.parametrize("case, door, error, match", FIT_CASES)
def test_fit_rejects_bad_input(case, door, error, match, data):
    """Check that fit / fit_resample reject the case with an error naming it."""
    X, y = FIT_REJECTED[case][0](*data)
    _assert_raises_named(error, match, lambda: _fit(door, X, y, case))


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
    """Check that numeric input in another container gives the float64 results."""
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


# -- the table in docs/reliability.md ---------------------------------------------
ACCEPTED = {  # case: make(X, y) -> (X, y); what a door does not reject (tested above)
    "sparse X (CSR)": FIT_REJECTED["sparse X (CSR)"][0],
    "one-hot y (n, 3)": FIT_REJECTED["one-hot y (n, 3)"][0],
    "single-row class": lambda X, y: _single_row_class(),
    "huge finite values (X * 1e30)": lambda X, y: (X * 1e30, y),
    "object array of numbers": lambda X, y: (X.astype(object), y),
    "object array of numeric strings": lambda X, y: (X.astype(str).astype(object), y),
    "list of lists": lambda X, y: (X.tolist(), y.tolist()),
    "float32 X": lambda X, y: (X.astype(np.float32), y),
    "numeric DataFrame": lambda X, y: (pd.DataFrame(X), y),
    "column-vector y (n, 1)": lambda X, y: (X, y[:, None]),
}
NOT_APPLICABLE = {("sampler", "single-row class with train_split=0.2")}


def _outcome(call, describe):
    """'TypeName: first line of the message', or 'accepted: ...' for one run."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = call()
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0]
        message = message if len(message) <= 100 else message[:97] + "..."
        return f"{type(exc).__name__}: {message}".replace("|", "\\|")
    warned = any(w.category is DataConversionWarning for w in caught)
    return f"accepted{' (DataConversionWarning)' if warned else ''}: {describe(result)}"


def _class_counts(y):
    y = np.asarray(y)
    y = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
    return "/".join(str(c) for c in np.unique(y, return_counts=True)[1])


def _dense(X):
    return X.toarray() if sparse.issparse(X) else np.asarray(X, dtype=float)


def _describe_resampled(X, y):
    def describe(result):
        X_res, y_res = result
        kept = np.array_equal(_dense(X_res)[: len(y)], _dense(X))
        return (
            f"{len(y)} -> {len(y_res)} rows"
            f"{' (sparse)' if sparse.issparse(X_res) else ''}, "
            f"{'originals kept first' if kept else 'ORIGINAL ROWS CHANGED'}; "
            f"class counts {_class_counts(y)} -> {_class_counts(y_res)}"
        )

    return describe


def _describe_fitted(X):
    def describe(clf):
        proba = clf.predict_proba(X)
        finite = "finite" if np.isfinite(proba).all() else "NOT finite"
        return f"fit; predict_proba {finite}, shape {proba.shape}"

    return describe


def _print_table():
    """Print the Markdown table of docs/reliability.md from actual runs."""
    X, y = _data()
    print("| case | VitalitySampler | VitalRouteClassifier |")
    print("|---|---|---|")
    makes = {case: make for case, (make, _) in FIT_REJECTED.items()}
    for case, make in {**makes, **ACCEPTED}.items():
        Xc, yc = make(X, y)
        cells = []
        for door in ("sampler", "classifier"):
            if (door, case) in NOT_APPLICABLE:
                cells.append("n/a")
                continue
            if door == "sampler":
                describe = _describe_resampled(Xc, yc)
            else:
                describe = _describe_fitted(Xc)
            cells.append(
                _outcome(lambda d=door, X=Xc, y=yc, c=case: _fit(d, X, y, c), describe)
            )
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


if __name__ == "__main__":
    _print_table()
