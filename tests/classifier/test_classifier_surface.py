"""What a scikit-learn user sees: repr, HTML repr, float64 probabilities, device."""

import re

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier
from sklearn.utils import estimator_html_repr
from sklearn.utils._pprint import _changed_params
from skorch import NeuralNetClassifier

from skvitalroute import VitalRouteClassifier

FAST = dict(hidden_units=(8,), max_epochs=2, probe_size=64, random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=80, n_features=5, random_state=0)


def _user_set_rows(html):
    row = r'<tr class="user-set">.*?<td class="param">(.*?)</td>'
    return re.findall(row, html, re.S)


def test_repr_shows_the_parameters_the_user_changed():
    """Check that repr lists changed parameters only, as MLPClassifier's does."""
    changed = VitalRouteClassifier(
        tactics="none", class_weight="balanced", max_epochs=10
    )
    assert repr(changed) != repr(VitalRouteClassifier())
    assert repr(VitalRouteClassifier()) == "VitalRouteClassifier()"
    for shown in ("tactics='none'", "class_weight='balanced'", "max_epochs=10"):
        assert shown in repr(changed)
    assert repr(MLPClassifier()) == "MLPClassifier()"  # the same convention


def test_changed_params_sees_skorch_defaults_as_defaults():
    """Check that scikit-learn's _changed_params finds nothing on a default
    estimator, and finds skorch parameters and prefixed ones when set."""
    assert _changed_params(VitalRouteClassifier()) == {}
    clf = VitalRouteClassifier(warm_start=True, module__n_features=4)
    assert _changed_params(clf) == {"warm_start": True, "module__n_features": 4}


def test_html_repr_marks_no_skorch_internal_as_user_set(data):
    """Check that estimator_html_repr marks nothing on a default estimator,
    fitted or not, and marks exactly what the user changed."""
    assert _user_set_rows(estimator_html_repr(VitalRouteClassifier())) == []
    X, y = data
    fitted = VitalRouteClassifier(**FAST).fit(X, y)
    assert sorted(_user_set_rows(estimator_html_repr(fitted))) == sorted(FAST)
    changed = VitalRouteClassifier(tactics="none", iterator_train__shuffle=False)
    assert sorted(_user_set_rows(estimator_html_repr(changed))) == [
        "iterator_train__shuffle",
        "tactics",
    ]


def test_predict_proba_is_float64_cast_from_the_float32_network(data):
    """Check that predict_proba and predict_log_proba return float64, rows
    summing to one, equal to the network's float32 softmax up to rounding."""
    X, y = data
    clf = VitalRouteClassifier(**FAST, router__forest_weight=0.0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    raw = NeuralNetClassifier.predict_proba(clf, X.astype(np.float32))
    assert raw.dtype == np.float32  # the network computes in float32
    np.testing.assert_allclose(proba, raw, rtol=1e-6)
    log_proba = clf.predict_log_proba(X)
    assert log_proba.dtype == np.float64
    np.testing.assert_allclose(log_proba, np.log(proba))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_raises_before_training(data):
    """Check that device='cuda' without a GPU raises a ValueError naming
    device from initialize, before any training."""
    X, y = data
    clf = VitalRouteClassifier(device="cuda", **FAST)
    with pytest.raises(ValueError, match="device='cuda' is not available"):
        clf.fit(X, y)
    assert not clf.initialized_
    with pytest.raises(ValueError, match="device"):
        VitalRouteClassifier(
            device="cuda", module__n_features=5, module__n_classes=2
        ).initialize()


def test_malformed_device_raises_a_value_error(data):
    """Check that a device string torch does not know raises a ValueError."""
    X, y = data
    with pytest.raises(ValueError, match="device must be a torch device.*'gpu'"):
        VitalRouteClassifier(device="gpu", **FAST).fit(X, y)
