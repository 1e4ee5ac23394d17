"""proba_prior: the balanced and the calibrated probabilities (issue 21)."""

import numpy as np
import pytest
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier

# the network's probabilities (the forest blend: test_classifier_forest.py)
FAST = dict(hidden_units=(16,), random_state=0, router__forest_weight=0.0)
PRIORS = ("auto", "balanced", "train")


@pytest.fixture(scope="module")
def data():
    """A 90/10 binary task of 600 rows."""
    return make_classification(
        n_samples=600,
        n_features=6,
        n_informative=3,
        weights=[0.9, 0.1],
        flip_y=0.05,
        random_state=0,
    )


def _logits(clf, X):
    with torch.no_grad():
        return clf.forward(X.astype(np.float32)).double().numpy()


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit(X, y, **params):
    return VitalRouteClassifier(**{**FAST, "max_epochs": 10, **params}).fit(X, y)


@pytest.mark.parametrize(
    "params, offset",
    [
        # logit-adjusted loss: trained on f + tau * log(prior)
        (
            dict(loss="logit_adjusted", logit_adjust_tau=0.5),
            lambda clf: 0.5 * np.log(clf.class_prior_),
        ),
        # class weights w: trained for w * p(c | x), so log p = f - log w
        (dict(class_weight="balanced"), lambda clf: -np.log(clf.class_weight_)),
        # plain cross-entropy: the softmax is already the training posterior
        (dict(tactics="none", loss="cross_entropy"), lambda clf: np.zeros(2)),
    ],
    ids=["logit_adjusted", "class_weight", "cross_entropy"],
)
def test_train_prior_is_the_training_posterior(data, params, offset):
    """Check proba_prior="train" against the formula of each loss, and
    "balanced" as the training posterior divided by the class prior."""
    X, y = data
    clf = _fit(X, y, **params)
    z, a = _logits(clf, X), offset(clf)
    train = clf.set_params(proba_prior="train").predict_proba(X)
    np.testing.assert_allclose(train, _softmax(z + a), atol=1e-6)
    balanced = clf.set_params(proba_prior="balanced").predict_proba(X)
    expected = _softmax(z + a - np.log(clf.class_prior_))
    np.testing.assert_allclose(balanced, expected, atol=1e-6)
    auto = clf.set_params(proba_prior="auto").predict_proba(X)
    np.testing.assert_allclose(auto, _softmax(z), atol=1e-6)


def test_default_route_auto_is_balanced_and_train_shifts_by_the_prior(data):
    """Check that under the default logit-adjusted route (tau=1) "auto" is the
    balanced posterior and "train" adds log(prior) to the logits."""
    X, y = data
    clf = VitalRouteClassifier(**FAST, max_epochs=40, batch_size=32).fit(X, y)
    assert clf.route_.settings.get("loss") == "logit_adjusted"
    auto = clf.predict_proba(X)
    np.testing.assert_allclose(
        clf.set_params(proba_prior="balanced").predict_proba(X), auto, atol=1e-9
    )
    train = clf.set_params(proba_prior="train").predict_proba(X)
    z = _logits(clf, X)
    np.testing.assert_allclose(train, _softmax(z + np.log(clf.class_prior_)), atol=1e-6)


@pytest.mark.parametrize("prior", PRIORS)
def test_predict_does_not_follow_proba_prior(data, prior):
    """Check that predict (and score) are the same under every proba_prior."""
    X, y = data
    clf = _fit(X, y, class_weight="balanced")
    reference = clf.predict(X)
    clf.set_params(proba_prior=prior)
    np.testing.assert_array_equal(clf.predict(X), reference)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)


def test_train_prior_is_calibrated_on_an_imbalanced_task(data):
    """Check the point of "train": its mean minority probability is near the
    minority share, while the balanced one over-states it."""
    X, y = data
    clf = _fit(X, y, class_weight="balanced", max_epochs=30)
    share = y.mean()
    auto = clf.predict_proba(X)[:, 1].mean()
    train = clf.set_params(proba_prior="train").predict_proba(X)[:, 1].mean()
    assert auto > 2 * share
    assert abs(train - share) < 0.5 * abs(auto - share)


def test_class_sampler_draws_are_undone(data):
    """Check that "train" takes a class sampler's draws into account: its offset
    holds log(prior) - log(class probabilities of the last epoch)."""
    X, y = data
    clf = _fit(X, y, tactics=("class",), max_epochs=3)
    drawn = np.asarray(clf.history[-1]["vitality_class_probs"])
    expected = np.log(clf.class_prior_) - np.log(drawn)
    np.testing.assert_allclose(clf.train_logit_offset_, expected)


def test_train_prior_survives_trim_and_f_labels(data, tmp_path):
    """Check that trimming and a reload through f_labels keep the "train"
    probabilities (the offset is saved with the labels)."""
    X, y = data
    clf = _fit(X, y, loss="logit_adjusted", proba_prior="train")
    expected = clf.predict_proba(X)
    files = dict(f_params=tmp_path / "p.pt", f_labels=tmp_path / "l.json")
    clf.save_params(**files)
    new = VitalRouteClassifier(**FAST, proba_prior="train")
    new.load_params(**files)
    np.testing.assert_allclose(new.predict_proba(X), expected, rtol=1e-6)
    clf.trim_for_prediction()
    np.testing.assert_allclose(clf.predict_proba(X), expected)


def test_sklearn_calibration_and_threshold_tuning(data):
    """Check that CalibratedClassifierCV and TunedThresholdClassifierCV take
    the classifier (in a pipeline) and give valid probabilities and labels."""
    X, y = data
    net = make_pipeline(
        StandardScaler(),
        VitalRouteClassifier(**FAST, max_epochs=5, proba_prior="train"),
    )
    calibrated = CalibratedClassifierCV(net, cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(y), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    tuned = TunedThresholdClassifierCV(net, scoring="balanced_accuracy", cv=3)
    tuned.fit(X, y)
    assert 0.0 < tuned.best_threshold_ < 1.0
    assert set(tuned.predict(X).tolist()) <= {0, 1}
