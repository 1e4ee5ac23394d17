"""VitalitySampler: target counts, stress-driven draws, input handling."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from _shared import skorch_mlp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import RandomOverSampler
from scipy import sparse
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalitySampler, profile_task
from skvitalroute._sampler._strategy import class_targets
from skvitalroute.probe._probe import VitalityProbe
from skvitalroute.routing import default_route

FAST = dict(probe_epochs=1, probe_hidden_units=(8,), random_state=0)
COUNTS = (60, 60, 12, 14)  # imbalanced, with a minority under the seed's 15 rows
# (min class 12 < 15), so mode="auto" picks "sample" here.


def _blocks(counts=COUNTS, n_features=5, seed=0):
    """Labelled Gaussian blobs, one block of rows per class, shuffled."""
    rng = np.random.default_rng(seed)
    blocks = [rng.normal(c, 1.0, size=(n, n_features)) for c, n in enumerate(counts)]
    X = np.vstack(blocks)
    y = np.repeat(np.arange(len(counts)), counts)
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.fixture(scope="module")
def data():
    return _blocks()


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist(), strict=True))


def _fake_class_stress(stress):
    def per_class_stress(self, X, y):
        assert len(np.unique(y)) == len(stress)
        return np.asarray(stress, dtype=float)

    return per_class_stress


# -- the target-count rule ------------------------------------------------------
def test_class_targets_rule_by_hand():
    """Check the documented rule on a hand-computed case."""
    counts = {"a": 100, "b": 20, "c": 10}
    requested = {"b": 80, "c": 90}  # "auto": both reach 100
    probs = {"a": 0.1, "b": 0.3, "c": 0.6}
    # p_min over targeted = 0.3: b keeps 100, c -> round(100 * 0.6 / 0.3) = 200.
    assert class_targets(counts, requested, probs) == ({"b": 80, "c": 190}, {})
    assert class_targets(counts, {}, probs) == ({}, {})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 200), st.integers(0, 300), st.floats(0.01, 1.0)),
        min_size=1,
        max_size=8,
    )
)
@example(rows=[(10, 300, 0.75), (114, 196, 1.0)])
def test_class_targets_properties(rows):
    """Check that every targeted class gets at least what it asked for, the
    least probable exactly that, and of two classes with the same target the
    more probable one never ends with fewer rows."""
    counts = {i: n for i, (n, _, _) in enumerate(rows)}
    requested = {i: r for i, (_, r, _) in enumerate(rows)}
    probs = {i: p for i, (_, _, p) in enumerate(rows)}
    added, capped = class_targets(counts, requested, probs)
    assert capped == {}
    assert list(added) == list(requested)
    assert all(added[c] >= requested[c] for c in added)
    least = min(probs.values())
    for c in added:
        if probs[c] == least:
            assert added[c] == requested[c]
    for a in added:
        for b in added:
            same_target = counts[a] + requested[a] == counts[b] + requested[b]
            if same_target and probs[a] > probs[b]:
                # final counts, not rows added: a class that starts with more
                # rows may need fewer extra rows to end higher
                assert counts[a] + added[a] >= counts[b] + added[b]


def test_class_mode_counts_follow_stress(data, monkeypatch):
    """Check that class-mode counts match the rule exactly for hand-built
    stress, and the most stressed class gets the most extra rows."""
    X, y = data
    stress = np.array([0.0, 0.3, 0.6, 0.1])
    monkeypatch.setattr(VitalityProbe, "per_class_stress", _fake_class_stress(stress))
    sampler = VitalitySampler(mode="class", **FAST)
    X_res, y_res = sampler.fit_resample(X, y)

    # The class probabilities of docs/tactics.md, "Class-stress sampling",
    # written out independently of callbacks/_sampling.py.
    p = 0.3 / 4 + 0.7 * softmax(4.0 * stress)
    targeted = [1, 2, 3]  # "auto": every class but the majority (class 0 ties 1)
    assert list(sampler.sampling_strategy_) == targeted
    p_min = p[targeted].min()
    expected = {0: 60}
    for c in targeted:
        expected[c] = max(60, int(np.floor(60 * p[c] / p_min + 0.5)))
    assert _counts(y_res) == expected
    assert expected[2] > expected[1] > expected[3] == 60
    assert sampler.n_added_ == {c: expected[c] - COUNTS[c] for c in targeted}
    np.testing.assert_allclose(list(sampler.class_probabilities_.values()), p)
    assert list(sampler.class_stress_.values()) == stress.tolist()
    assert sampler.mode_ == "class" and not hasattr(sampler, "sample_stress_")


@pytest.mark.parametrize("beta", [0.0, 4.0])
def test_class_mode_uniform_signal_matches_random_over_sampler(data, beta, monkeypatch):
    """Check that with equal stress or beta=0 the class counts are those of
    RandomOverSampler (the "signal off" control)."""
    X, y = data
    stress = [0.2, 0.2, 0.2, 0.2] if beta else [0.0, 0.9, 0.1, 0.5]
    monkeypatch.setattr(VitalityProbe, "per_class_stress", _fake_class_stress(stress))
    _, y_res = VitalitySampler(mode="class", beta=beta, **FAST).fit_resample(X, y)
    _, y_ros = RandomOverSampler(random_state=0).fit_resample(X, y)
    assert _counts(y_res) == _counts(y_ros)


def test_class_mode_draws_uniformly_within_class(monkeypatch):
    """Check that class mode draws every row of a class about equally often."""
    X, y = _blocks(counts=(400, 10))
    monkeypatch.setattr(VitalityProbe, "per_class_stress", _fake_class_stress([0, 0]))
    sampler = VitalitySampler(mode="class", **FAST)
    sampler.fit_resample(X, y)
    drawn = np.bincount(sampler.sample_indices_[len(y) :], minlength=len(y))
    assert drawn[y == 0].sum() == 0
    assert drawn[y == 1].min() >= 20 and drawn[y == 1].max() <= 60  # 39 on average


# -- sample mode ----------------------------------------------------------------
def test_sample_mode_duplicates_stressed_rows(data, monkeypatch):
    """Check that sample mode draws the stressed rows of each class far more
    often, with the probabilities of docs/sampler.md, "Target counts", and
    exactly the requested counts."""
    X, y = data
    hot = np.zeros(len(y), dtype=bool)
    for c in (2, 3):
        hot[np.flatnonzero(y == c)[:3]] = True
    stress = np.where(hot, 0.9, 0.1)
    monkeypatch.setattr(
        VitalityProbe, "per_sample_stress", lambda self, X, y, classes=None: stress
    )
    sampler = VitalitySampler(mode="sample", **FAST)
    X_res, y_res = sampler.fit_resample(X, y)
    _, y_ros = RandomOverSampler(random_state=0).fit_resample(X, y)
    assert _counts(y_res) == _counts(y_ros)
    assert sampler.n_added_ == {1: 0, 2: 48, 3: 46}

    for c in (2, 3):
        rows = np.flatnonzero(y == c)
        n_c = len(rows)
        expected = 0.4 / n_c + 0.6 * softmax(3.0 * stress[rows])
        np.testing.assert_allclose(sampler.sample_probabilities_[rows], expected)
    assert np.all(sampler.sample_probabilities_[y == 0] == 0)
    drawn = np.bincount(sampler.sample_indices_[len(y) :], minlength=len(y))
    rare = np.isin(y, [2, 3])
    assert drawn[hot].mean() > 3 * drawn[rare & ~hot].mean()
    np.testing.assert_array_equal(sampler.sample_stress_, stress)
    assert not hasattr(sampler, "class_stress_")


@pytest.mark.parametrize("mode", ["class", "sample"])
@pytest.mark.parametrize(
    "strategy", ["auto", "all", "minority", "not minority", {2: 40, 3: 20}]
)
def test_over_sampler_contract(data, mode, strategy):
    """Check that originals come first, no class shrinks, every targeted class
    reaches its requested count, others are unchanged, and sample_indices_
    describes the output rows."""
    X, y = data
    sampler = VitalitySampler(mode=mode, sampling_strategy=strategy, **FAST)
    X_res, y_res = sampler.fit_resample(X, y)
    n = len(y)
    np.testing.assert_array_equal(X_res[:n], X)
    np.testing.assert_array_equal(y_res[:n], y)
    np.testing.assert_array_equal(sampler.sample_indices_[:n], np.arange(n))
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])
    before, after = _counts(y), _counts(y_res)
    for c, n_c in before.items():
        asked = sampler.sampling_strategy_.get(c)
        if asked is None:
            assert after[c] == n_c
        else:
            assert after[c] >= n_c + asked
            assert after[c] == n_c + sampler.n_added_[c]
    extra_labels = set(y[sampler.sample_indices_[n:]].tolist())
    assert extra_labels <= set(sampler.sampling_strategy_)


def test_refit_in_other_mode_drops_stale_attributes(data):
    """Check that refitting in the other mode removes the first mode's stress."""
    sampler = VitalitySampler(mode="class", **FAST)
    sampler.fit_resample(*data)
    sampler.set_params(mode="sample").fit_resample(*data)
    assert hasattr(sampler, "sample_stress_") and not hasattr(sampler, "class_stress_")
    sampler.set_params(mode="class").fit_resample(*data)
    assert hasattr(sampler, "class_stress_") and not hasattr(sampler, "sample_stress_")


# -- mode and reproducibility ---------------------------------------------------
@pytest.mark.parametrize("counts", [COUNTS, (100, 20, 16), (30, 30, 30)])
def test_auto_mode_follows_router(counts):
    """Check that mode="auto" picks "class" exactly when the default router
    rebalances the labels: imbalanced ones, however small the minority."""
    X, y = _blocks(counts)
    sampler = VitalitySampler(**FAST)
    sampler.fit_resample(X, y)
    profile = profile_task(y)
    rebalanced = profile.ratio < 1 and default_route(profile).rebalances
    assert sampler.mode_ == ("class" if rebalanced else "sample")
    assert sampler.mode_ == ("sample" if counts == (30, 30, 30) else "class")


@pytest.mark.parametrize("mode", ["class", "sample"])
def test_reproducible_and_leaves_torch_rng_alone(data, mode):
    """Check that an int random_state gives identical results and that
    fit_resample neither reads nor advances torch's global RNG."""
    X, y = data
    state = torch.get_rng_state()
    a = VitalitySampler(mode=mode, probe_epochs=2, random_state=3)
    b = VitalitySampler(mode=mode, probe_epochs=2, random_state=3)
    Xa, ya = a.fit_resample(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(123)  # a different global state must not matter
    Xb, yb = b.fit_resample(X, y)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(a.sample_indices_, b.sample_indices_)
    c = VitalitySampler(mode=mode, probe_epochs=2, random_state=4).fit_resample(X, y)
    assert not np.array_equal(c[1], ya) or not np.array_equal(c[0], Xa)


# -- labels and inputs ----------------------------------------------------------
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog", "eel", "fox"], dtype=object),
        np.array(["cat", "dog", "eel", "fox"]),
        np.array([3, 7, 11, 42]),
        np.array([-1.0, 0.0, 2.0, 9.0]),  # floats holding integers
    ],
)
@pytest.mark.parametrize("mode", ["class", "sample"])
def test_any_label_type(data, labels, mode):
    """Check that labels of any type come back unchanged in type and value."""
    X, y = data
    y_lab = labels[y]
    X_res, y_res = VitalitySampler(mode=mode, **FAST).fit_resample(X, y_lab)
    assert y_res.dtype == y_lab.dtype
    assert set(y_res.tolist()) == set(labels.tolist())
    _, y_int = VitalitySampler(mode=mode, **FAST).fit_resample(X, y)
    np.testing.assert_array_equal(y_res, labels[y_int])


def test_float32_and_pandas_inputs(data):
    """Check that float32 stays float32 and pandas in gives pandas out."""
    X, y = data
    X32, y32 = VitalitySampler(**FAST).fit_resample(X.astype(np.float32), y)
    assert X32.dtype == np.float32
    X_df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    sampler = VitalitySampler(**FAST)
    X_res, y_res = sampler.fit_resample(X_df, pd.Series(y, name="target"))
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series)
    assert list(X_res.columns) == list(X_df.columns) and y_res.name == "target"
    assert list(sampler.feature_names_in_) == list(X_df.columns)
    X_np, _ = VitalitySampler(**FAST).fit_resample(X, y)
    np.testing.assert_allclose(X_res.to_numpy(), X_np)


def test_sparse_matches_dense(data):
    """Check that a sparse X stays sparse and resamples as the dense one."""
    X, y = data
    X_sp, y_sp = VitalitySampler(**FAST).fit_resample(sparse.csr_matrix(X), y)
    X_de, y_de = VitalitySampler(**FAST).fit_resample(X, y)
    assert sparse.issparse(X_sp)
    np.testing.assert_allclose(X_sp.toarray(), X_de)
    np.testing.assert_array_equal(y_sp, y_de)


def _with(X, value):
    X = X.copy()
    X[3, 2] = value
    return X


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda X, y: (_with(X, np.nan), y), "Input X contains NaN"),
        (lambda X, y: (_with(X, np.inf), y), "Input X contains infinity"),
        (lambda X, y: (X, np.zeros_like(y)), "more than 1 class"),
        (lambda X, y: (X, y[:-3]), "inconsistent numbers of samples"),
        (lambda X, y: (X, np.linspace(0, 1, len(y))), "Unknown label type"),
    ],
    ids=["nan", "inf", "one-class", "length", "continuous"],
)
def test_bad_input_raises_value_error(data, mutate, match):
    """Check that bad input raises a ValueError naming the problem."""
    X, y = mutate(*data)
    with pytest.raises(ValueError, match=match):
        VitalitySampler(**FAST).fit_resample(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"mode": "hard"}, "'mode' parameter"),
        ({"strength": 1.5}, "'strength' parameter"),
        ({"beta": -1.0}, "'beta' parameter"),
        ({"probe_epochs": 0}, "'probe_epochs' parameter"),
        ({"estimator": "mlp"}, "'estimator' parameter"),
    ],
)
def test_bad_parameters(data, params, match):
    """Check that invalid parameters raise a ValueError naming them."""
    with pytest.raises(ValueError, match=match):
        VitalitySampler(**params).fit_resample(*data)


# -- estimators -----------------------------------------------------------------
def _skorch_net():
    return skorch_mlp(5, 4, max_epochs=2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "make_estimator",
    [
        lambda: MLPClassifier((8,), max_iter=20),
        lambda: make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=20)),
        _skorch_net,
        lambda: make_pipeline(StandardScaler(), _skorch_net()),
    ],
    ids=["mlp", "pipeline-mlp", "skorch", "pipeline-skorch"],
)
@pytest.mark.parametrize("mode", ["class", "sample"])
def test_given_estimators(data, make_estimator, mode):
    """Check that a given network is cloned (left unfitted), trained on encoded
    labels whatever y holds, seeded, and read."""
    X, y = data
    y_str = np.array(["a", "b", "c", "d"])[y]
    estimator = make_estimator()
    sampler = VitalitySampler(estimator=estimator, mode=mode, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y_str)
    assert sampler.estimator_ is not estimator
    assert not hasattr(estimator, "coefs_") and not hasattr(estimator, "module_")
    predicted = sampler.estimator_.predict(X[:3].astype(np.float32))
    assert predicted.dtype.kind == "i"  # trained on the encoded labels
    again = VitalitySampler(estimator=make_estimator(), mode=mode, random_state=0)
    np.testing.assert_array_equal(again.fit_resample(X, y_str)[1], y_res)


@pytest.mark.parametrize("mode", ["class", "sample"])
def test_vital_route_classifier_as_estimator(data, mode):
    """Check that a VitalRouteClassifier is cloned, fitted and read through
    its module_, with any label type."""
    from skvitalroute import VitalRouteClassifier

    X, y = data
    y_str = np.array(["a", "b", "c", "d"])[y]
    clf = VitalRouteClassifier(hidden_units=(8,), max_epochs=2, probe_size=64)
    sampler = VitalitySampler(estimator=clf, mode=mode, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y_str)
    assert not hasattr(clf, "module_") or clf.module_ is not sampler.estimator_.module_
    assert sampler.estimator_.random_state is not None  # seeded by the sampler
    np.testing.assert_array_equal(sampler.estimator_.classes_, [0, 1, 2, 3])
    assert len(y_res) > len(y) and set(y_res.tolist()) == {"a", "b", "c", "d"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [{"probe_hidden_units": ()}, {"estimator": MLPClassifier((), max_iter=5)}],
    ids=["default-probe", "mlp"],
)
def test_network_without_hidden_layer(data, params):
    """Check that a probe network with no hidden layer raises a ValueError."""
    with pytest.raises(ValueError, match="at least one hidden layer"):
        VitalitySampler(**params, random_state=0).fit_resample(*data)


def test_unsupported_estimator(data):
    """Check that an estimator without a network raises a TypeError."""
    sampler = VitalitySampler(estimator=LogisticRegression())
    with pytest.raises(TypeError, match="LogisticRegression"):
        sampler.fit_resample(*data)


@pytest.mark.parametrize(
    "param, value, options",
    [
        ("mode", "hard", "{'auto', 'class', 'sample'}"),
        (
            "sampling_strategy",
            "bogus",
            "{'auto', 'minority', 'not minority', 'not majority', 'all'}",
        ),
    ],
)
def test_option_sets_print_in_a_fixed_order(param, value, options):
    """Check an invalid string option names the allowed strings in one fixed
    order (a set's order would change from one process to the next)."""
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.r_[np.zeros(15), np.ones(5)]
    with pytest.raises(ValueError, match=f"must be .*a str among {re.escape(options)}"):
        VitalitySampler(**{param: value}).fit_resample(X, y)
