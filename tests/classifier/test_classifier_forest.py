"""The forest blend of VitalRouteClassifier (skvitalroute/_classifier/_forest.py)."""

import os
import signal

import numpy as np
import pytest
from imblearn.ensemble import BalancedRandomForestClassifier
from sklearn.datasets import make_classification

from skvitalroute import VitalRouteClassifier

# a quick routed fit: few steps, no race (the forest is planned either way)
FAST = dict(
    random_state=0,
    probe_size=64,
    router__race=False,
    router__min_steps=40,
    router__min_epochs=4,
    router__max_epochs=8,
    router__forest_trees=20,
)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=200, n_features=6, weights=[0.8, 0.2], flip_y=0.05, random_state=1
    )
    labels = np.array(["no", "yes"])[y]
    return X.astype(np.float32), labels


@pytest.fixture(scope="module")
def blended(data):
    return VitalRouteClassifier(**FAST).fit(*data)


def test_the_probabilities_average_the_network_and_the_forest(data, blended):
    """Check that predict_proba is half the network's softmax plus half the
    forest's probabilities, that predict is its argmax, and that the forest
    is a balanced random forest trained on the same rows."""
    X, y = data
    forest = blended.forest_
    assert isinstance(forest, BalancedRandomForestClassifier)
    assert forest.n_estimators == 20 and blended.forest_weight_ == 0.5
    assert forest.n_features_in_ == X.shape[1]
    blended.forest_ = None  # the network alone, for the expected value
    try:
        network = blended.predict_proba(X)
    finally:
        blended.forest_ = forest
    expected = 0.5 * network + 0.5 * forest.predict_proba(X)
    got = blended.predict_proba(X)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    assert (blended.predict(X) == blended.classes_[got.argmax(axis=1)]).all()
    text = blended.route_.explain()
    assert "- forest: on: probabilities 0.5 x the network's + 0.5 x" in text


def test_the_weight_is_a_router_setting_and_zero_is_the_network_alone(data, blended):
    """Check router__forest_weight: 0 fits no forest (and says so), 0.25
    weighs the forest a quarter; out of [0, 1] is refused before training."""
    X, y = data
    alone = VitalRouteClassifier(**FAST, router__forest_weight=0).fit(X, y)
    assert alone.forest_ is None and alone.route_.forest is None
    assert "forest: off: router__forest_weight=0" in alone.route_.explain()
    quarter = VitalRouteClassifier(**FAST, router__forest_weight=0.25).fit(X, y)
    network = alone.predict_proba(X)  # same seed, same network
    forest = quarter.forest_.predict_proba(X)
    np.testing.assert_allclose(
        quarter.predict_proba(X), 0.75 * network + 0.25 * forest, rtol=1e-6
    )
    with pytest.raises(ValueError, match="forest_weight"):
        VitalRouteClassifier(**FAST, router__forest_weight=1.5).fit(X, y)


def test_the_blend_is_reproducible_and_follows_sample_weights(data, blended):
    """Check that the same random_state gives the same forest and
    probabilities, and that sample weights reach the forest."""
    X, y = data
    again = VitalRouteClassifier(**FAST).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), blended.predict_proba(X))
    w = np.where(y == "yes", 0.05, 1.0)
    weighted = VitalRouteClassifier(**FAST).fit(X, y, sample_weight=w)
    a = weighted.forest_.predict_proba(X)
    assert not np.allclose(a, blended.forest_.predict_proba(X))


def test_no_forest_off_the_router_or_in_partial_fit(data):
    """Check that explicit tactics (no routed plan) and partial_fit train the
    network alone, and that partial_fit after a blended fit drops the forest
    (it was trained beside the network as it was) and says why."""
    X, y = data
    plain = VitalRouteClassifier(tactics="none", max_epochs=2, random_state=0).fit(X, y)
    assert plain.forest_ is None
    net = VitalRouteClassifier(**FAST).fit(X, y)
    assert net.forest_ is not None
    net.partial_fit(X, y)
    assert net.forest_ is None
    assert "partial_fit trains the network alone" in net.route_.reasons["forest"]
    first = VitalRouteClassifier(**FAST).partial_fit(X, y)
    assert first.forest_ is None


def test_race_candidates_train_no_forest(data, monkeypatch):
    """Check that the race's candidates are scored by their networks alone:
    one forest is trained per fit, after the refit."""
    from skvitalroute._classifier import _forest

    calls = []
    original = _forest.fit_forest

    def counting(est, *args, **kwargs):
        original(est, *args, **kwargs)
        calls.append(est.forest_ is not None)

    monkeypatch.setattr(_forest, "fit_forest", counting)
    from skvitalroute._classifier import _estimator

    monkeypatch.setattr(_estimator, "fit_forest", counting)
    net = VitalRouteClassifier(**{**FAST, "router__race": True}).fit(*data)
    assert "winner" in net.route_.race
    assert calls.count(True) == 1 and net.forest_ is not None


def test_a_ctrl_c_while_the_network_trains_stops_before_the_forest(data, monkeypatch):
    """Check that a real SIGINT during the network's training raises
    KeyboardInterrupt out of fit (skorch alone would return and the forest
    would then be trained) and that no forest is left."""
    from skvitalroute._classifier import _estimator

    original = _estimator.VitalRouteClassifier.on_epoch_end

    def interrupt(self, net, **kwargs):
        if len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, net, **kwargs)

    monkeypatch.setattr(_estimator.VitalRouteClassifier, "on_epoch_end", interrupt)
    clf = VitalRouteClassifier(**FAST)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(*data)
    assert clf.forest_ is None


def test_save_params_keeps_the_forest_with_f_forest(data, blended, tmp_path):
    """Check that save_params(f_forest=...) and load_params(f_forest=...)
    give the same probabilities back, and that saving a blended net without
    f_forest warns that only the network is saved."""
    X, y = data
    files = dict(
        f_params=tmp_path / "params.pt",
        f_labels=tmp_path / "labels.json",
        f_forest=tmp_path / "forest.joblib",
    )
    blended.save_params(**files)
    new = VitalRouteClassifier(**FAST)
    new.load_params(**files)
    np.testing.assert_allclose(new.predict_proba(X), blended.predict_proba(X))
    with pytest.warns(UserWarning, match="f_forest"):
        blended.save_params(f_params=tmp_path / "only.pt")


def test_proba_prior_moves_the_blend(data, blended):
    """Check that proba_prior="train" applies Bayes' rule to the blended
    probabilities (the blend, like the network, targets equal priors), and
    that predict still decides on the blend."""
    X, y = data
    auto = blended.predict_proba(X)
    blended.set_params(proba_prior="train")
    try:
        train = blended.predict_proba(X)
        labels = blended.predict(X)
    finally:
        blended.set_params(proba_prior="auto")
    shifted = auto * np.exp(blended.train_logit_offset_)
    np.testing.assert_allclose(train, shifted / shifted.sum(axis=1, keepdims=True))
    assert (labels == blended.classes_[auto.argmax(axis=1)]).all()
