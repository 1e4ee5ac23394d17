"""VitalitySampler inside imbalanced-learn pipelines and model selection."""

import pickle

import numpy as np
import pytest
from _shared import skorch_mlp, three_classes
from imblearn.pipeline import Pipeline, make_pipeline
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalitySampler

FAST = dict(probe_epochs=1, probe_hidden_units=(8,), random_state=0)
CV = StratifiedKFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = three_classes(180, n_features=6, n_informative=4, weights=[0.7, 0.2, 0.1])
    return X.astype(np.float32), y


def _skorch_net():
    return skorch_mlp(6, 3, max_epochs=3, lr=0.05)


@pytest.mark.parametrize(
    "make_classifier",
    [
        lambda: LogisticRegression(max_iter=500),
        lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0),
        _skorch_net,
    ],
    ids=["logistic", "hgb", "skorch"],
)
def test_pipeline_in_front_of_classifiers(data, make_classifier):
    """Check that the sampler resamples only at fit inside a pipeline, in
    front of a linear model, a boosted tree and a skorch net."""
    X, y = data
    pipe = make_pipeline(StandardScaler(), VitalitySampler(**FAST), make_classifier())
    scores = cross_val_score(pipe, X, y, cv=CV, scoring="balanced_accuracy")
    assert scores.shape == (3,) and np.all(scores > 1 / 3)
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(y),)  # no resampling at predict
    sampler = pipe.named_steps["vitalitysampler"]
    assert len(sampler.sample_indices_) > len(y)


def test_grid_search_over_strength_beta_mode(data):
    """Check that GridSearchCV tunes strength, beta and mode."""
    X, y = data
    pipe = Pipeline(
        [
            ("sampler", VitalitySampler(**FAST)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    grid = {
        "sampler__strength": [0.3, 0.9],
        "sampler__beta": [0.0, 4.0],
        "sampler__mode": ["class", "sample"],
    }
    search = GridSearchCV(pipe, grid, cv=CV, scoring="balanced_accuracy")
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_.named_steps["sampler"]
    assert best.mode_ == search.best_params_["sampler__mode"]


def test_clone_and_pickle(data):
    """Check that the sampler clones unfitted and pickles fitted."""
    X, y = data
    sampler = VitalitySampler(mode="class", strength=0.5, **FAST)
    assert clone(sampler).get_params() == sampler.get_params()
    X_res, _ = sampler.fit_resample(X, y)
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(restored.sample_indices_, sampler.sample_indices_)
    assert restored.class_probabilities_ == sampler.class_probabilities_
    X_again, _ = clone(restored).fit_resample(X, y)
    np.testing.assert_array_equal(X_again, X_res)
