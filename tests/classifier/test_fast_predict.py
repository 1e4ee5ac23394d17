"""predict_proba on arrays without skorch's per-call set-up: the same output."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.dataset import Dataset

from skvitalroute import VitalRouteClassifier
from skvitalroute._classifier import _fast_predict


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _skorch_proba(clf, X, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(
            "skvitalroute._classifier._predict.array_proba", lambda net, X: None
        )
        return clf.predict_proba(X)


class SkorchDataset(Dataset):
    """A user's dataset class (its items could be anything)."""


@pytest.mark.parametrize("rows", [1, 7, 1024, 2500])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_fast_proba_equals_skorch_proba(data, monkeypatch, rows, dropout):
    """Check the fast path gives skorch's probabilities, in evaluation mode."""
    X, y = data
    clf = VitalRouteClassifier(hidden_units=(8,), dropout=dropout, max_epochs=2,
                               random_state=0).fit(X, y)
    X_rows = np.resize(X, (rows, X.shape[1]))
    clf.module_.train()  # a fit can leave it in training mode
    fast = clf.predict_proba(X_rows)
    assert not clf.module_.training
    clf.module_.train()
    slow = _skorch_proba(clf, X_rows, monkeypatch)
    assert fast.dtype == slow.dtype == np.float64 and fast.shape == (rows, 3)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(clf.predict_proba(X_rows.astype(np.float32)), fast)


def test_fast_proba_applies_to_plain_arrays_only(data):
    """Check own datasets, iterator settings and non-arrays get skorch's path."""
    X, y = data
    clf = VitalRouteClassifier(hidden_units=(8,), max_epochs=1, random_state=0)
    clf.fit(X, y)
    X32 = X.astype(np.float32)
    assert _fast_predict.array_proba(clf, X32) is not None
    assert _fast_predict.array_proba(clf, torch.as_tensor(X32)) is None
    sized = VitalRouteClassifier(hidden_units=(8,), max_epochs=1, random_state=0,
                                 iterator_valid__batch_size=10).fit(X, y)
    assert _fast_predict.array_proba(sized, X32) is None
    other = VitalRouteClassifier(hidden_units=(8,), max_epochs=1, random_state=0,
                                 dataset=SkorchDataset).fit(X, y)
    assert _fast_predict.array_proba(other, X32) is None
    proba = other.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_iterator_valid_batch_size_is_kept(data):
    """Check iterator_valid__batch_size still sets the prediction batches."""
    X, y = data
    sizes = []

    class Sized(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 3)

        def forward(self, x):
            sizes.append(len(x))
            return self.linear(x)

    clf = VitalRouteClassifier(Sized, max_epochs=1, random_state=0,
                               iterator_valid__batch_size=100).fit(X, y)
    sizes.clear()
    clf.predict_proba(X[:250])
    assert sizes == [100, 100, 50]


def test_user_module_predicts_on_a_private_rng(data):
    """Check a module that draws random numbers leaves torch's stream alone."""
    X, y = data

    class Noisy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(6, 3)

        def forward(self, x):
            return self.linear(x) + 0 * torch.rand(1)

    clf = VitalRouteClassifier(Noisy, max_epochs=1, random_state=0).fit(X, y)
    assert _fast_predict.needs_private_rng(clf)
    state = torch.get_rng_state()
    clf.predict_proba(X[:3])
    assert torch.equal(torch.get_rng_state(), state)
    default = VitalRouteClassifier(hidden_units=(8,), max_epochs=1).fit(X, y)
    assert not _fast_predict.needs_private_rng(default)
    default.predict_proba(X[:3])
    assert torch.equal(torch.get_rng_state(), state)
