"""Scaling out: parallel and Dask searches equal the local run; GPU matches CPU."""

import joblib
import numpy as np
import pytest
import torch
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from skvitalroute import VitalitySampler, VitalRouteClassifier

FAST = dict(hidden_units=(8,), max_epochs=3, batch_size=32, probe_size=64)
GRID = {"tactics": ["none", "auto"], "lr": [1e-3, 1e-2]}
CV = StratifiedKFold(3, shuffle=True, random_state=0)
# Scores computed in the workers; timings differ between runs.
SCORE_KEYS = ["mean_test_score", "std_test_score", "rank_test_score"] + [
    f"split{i}_test_score" for i in range(3)
]


def _search():
    return GridSearchCV(VitalRouteClassifier(random_state=0, **FAST), GRID, cv=CV)


def _pipeline():
    sampler = VitalitySampler(probe_epochs=2, probe_hidden_units=(8,), random_state=0)
    return make_pipeline(sampler, LogisticRegression())


def _scores(X, y):
    """cross_val_score of the classifier and of the sampler pipeline."""
    clf = VitalRouteClassifier(random_state=0, **FAST)
    return [
        cross_val_score(est, X, y, cv=CV, scoring="balanced_accuracy")
        for est in (clf, _pipeline())
    ]


@pytest.fixture(scope="module")
def local(imbalanced):
    """The reference: the grid search and cross-validation run with n_jobs=1."""
    X, y = imbalanced
    return _search().set_params(n_jobs=1).fit(X, y), _scores(X, y)


def _assert_same_search(search, reference, X):
    got, expected = search.cv_results_, reference.cv_results_
    for key in SCORE_KEYS:
        np.testing.assert_array_equal(got[key], expected[key])
    assert got["params"] == expected["params"]
    assert search.best_params_ == reference.best_params_
    best, best_expected = search.best_estimator_, reference.best_estimator_
    np.testing.assert_array_equal(best.predict_proba(X), best_expected.predict_proba(X))


def test_local_search_spreads_its_scores(local):
    """Check that the reference search's scores differ, so equality is informative."""
    search, (clf_scores, pipe_scores) = local
    assert np.unique(search.cv_results_["mean_test_score"]).size > 1
    assert np.unique(clf_scores).size > 1 and np.unique(pipe_scores).size > 1


def test_two_jobs_give_the_results_of_one(imbalanced, local):
    """Check that GridSearchCV(n_jobs=2) reproduces n_jobs=1 exactly."""
    X, y = imbalanced
    # one torch thread per worker (as in the main process, see conftest.py)
    with joblib.parallel_config(backend="loky", inner_max_num_threads=1):
        search = _search().set_params(n_jobs=2).fit(X, y)
    _assert_same_search(search, local[0], X)


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker Dask cluster on the loopback interface, closed afterwards."""
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(torch.set_num_threads, 1)
        yield client


def test_grid_search_on_dask_equals_the_local_run(imbalanced, local, dask_client):
    """Check that a GridSearchCV through joblib's dask backend equals n_jobs=1."""
    X, y = imbalanced
    from dask.distributed import get_task_stream

    with get_task_stream(dask_client) as stream, joblib.parallel_backend("dask"):
        search = _search().fit(X, y)
    workers = {task["worker"] for task in stream.data}
    assert len(workers) == 2  # the fits ran on both workers
    _assert_same_search(search, local[0], X)


def test_cross_val_score_on_dask_equals_the_local_run(imbalanced, local, dask_client):
    """Check cross_val_score of the classifier and a sampler pipeline on Dask."""
    X, y = imbalanced
    with joblib.parallel_backend("dask"):
        on_dask = _scores(X, y)
    for got, expected in zip(on_dask, local[1], strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_predictions_match_cpu(imbalanced):
    """Check that device='cuda' trains and predicts like the CPU, up to rounding."""
    X, y = imbalanced
    params = dict(random_state=0, **FAST)
    cpu = VitalRouteClassifier(device="cpu", **params).fit(X, y)
    gpu = VitalRouteClassifier(device="cuda", **params).fit(X, y)
    assert next(gpu.module_.parameters()).is_cuda
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-4)
    assert np.mean(gpu.predict(X) == cpu.predict(X)) > 0.97
