"""save_params / load_params with the fitted labels (f_labels)."""

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from _shared import three_classes
from sklearn.exceptions import NotFittedError

from skvitalroute import VitalRouteClassifier

FAST = dict(hidden_units=(8,), max_epochs=2, probe_size=64, random_state=0)


@pytest.fixture(scope="module")
def data():
    return three_classes(90, n_features=5, n_informative=3)


def _labels(y, kind):
    if kind == "str":
        return np.array(["cat", "dog", "emu"])[y]
    if kind == "int":
        return np.array([3, 7, 11])[y]
    return y == 1  # bool: two classes


def _reload(clf, tmp_path, **extra):
    files = dict(
        f_params=tmp_path / "params.pt",
        f_labels=tmp_path / "labels.json",
        f_forest=tmp_path / "forest.joblib",
        **extra,
    )
    clf.save_params(**files)
    new = VitalRouteClassifier(**clf.get_params(deep=False))
    new.load_params(**files)
    return new


@pytest.mark.parametrize("kind", ["str", "int", "bool"])
def test_reloaded_net_predicts_the_same_labels(data, tmp_path, kind):
    """Check that a net reloaded with f_labels predicts the same labels (same
    dtype) and probabilities, and that score works."""
    X, y = data
    labels = _labels(y, kind)
    clf = VitalRouteClassifier(**FAST).fit(X, labels)
    new = _reload(clf, tmp_path)
    np.testing.assert_array_equal(new.classes_, clf.classes_)
    assert new.predict(X).dtype == clf.predict(X).dtype
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))
    np.testing.assert_array_equal(new.predict_proba(X), clf.predict_proba(X))
    assert new.score(X, labels) == clf.score(X, labels)


def test_reload_keeps_feature_names_and_object_labels(data, tmp_path):
    """Check that a frame's feature names and object-dtype labels come back."""
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = pd.Series(_labels(y, "str"), dtype=object)
    clf = VitalRouteClassifier(**FAST).fit(frame, labels)
    new = _reload(clf, tmp_path)
    np.testing.assert_array_equal(new.feature_names_in_, clf.feature_names_in_)
    assert new.classes_.dtype == object
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        np.testing.assert_array_equal(new.predict(frame), clf.predict(frame))
    with pytest.raises(ValueError, match="feature names"):
        new.predict(frame.rename(columns={"f0": "other"}))


def test_reload_restores_route_loss_and_optimizer(data, tmp_path):
    """Check that the route, the logit-adjusted loss's prior and a per-layer
    optimizer come back, so f_optimizer and f_history load and training can
    go on."""
    X, y = data
    labels = _labels(y, "str")
    clf = VitalRouteClassifier(tactics=("lr_scale",), loss="logit_adjusted", **FAST)
    clf.fit(X, labels)
    new = _reload(
        clf,
        tmp_path,
        f_optimizer=tmp_path / "opt.pt",
        f_history=tmp_path / "history.json",
    )
    assert new.route_ == clf.route_
    assert new.route_.reasons == clf.route_.reasons
    assert new.profile_.class_counts.tolist() == clf.profile_.class_counts.tolist()
    np.testing.assert_array_equal(new.class_prior_, clf.class_prior_)
    np.testing.assert_array_equal(
        new.criterion_.log_prior.numpy(), clf.criterion_.log_prior.numpy()
    )
    assert len(new.optimizer_.param_groups) == len(clf.optimizer_.param_groups)
    assert len(new.history) == len(clf.history)
    new.partial_fit(X, labels)
    assert len(new.history) == len(clf.history) + FAST["max_epochs"]


def test_labels_file_can_be_a_file_object(data):
    """Check that f_labels takes an open text file as skorch's f_* do."""
    X, y = data
    clf = VitalRouteClassifier(**FAST).fit(X, _labels(y, "str"))
    buffer, params, forest = io.StringIO(), io.BytesIO(), io.BytesIO()
    clf.save_params(f_params=params, f_labels=buffer, f_forest=forest)
    for f in (buffer, params, forest):
        f.seek(0)
    new = VitalRouteClassifier(**FAST)
    new.load_params(f_params=params, f_labels=buffer, f_forest=forest)
    np.testing.assert_array_equal(new.predict(X), clf.predict(X))


def test_f_labels_errors(data, tmp_path):
    """Check that saving unfitted labels and loading a foreign file raise."""
    with pytest.raises(NotFittedError):
        VitalRouteClassifier().save_params(f_labels=tmp_path / "labels.json")
    (tmp_path / "other.json").write_text('{"epoch": 1}')
    with pytest.raises(ValueError, match="f_labels must be a file written by"):
        VitalRouteClassifier().load_params(f_labels=tmp_path / "other.json")
