"""
Grid search on a Dask cluster
=============================

``GridSearchCV`` over ``VitalRouteClassifier`` sent to a local two-worker Dask
cluster through joblib's ``"dask"`` backend, timed against the same search
run with ``n_jobs=1``; the scores are compared to show that the cluster gives
exactly the local results. Point ``Client`` at a real scheduler address to use
a remote cluster. Run it with ``python examples/dask_grid_search.py`` (needs
``dask[distributed]``).
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

import time

import joblib
import numpy as np
import torch
from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skvitalroute import VitalRouteClassifier

if __name__ == "__main__":  # the workers are separate processes
    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    search = GridSearchCV(
        VitalRouteClassifier(hidden_units=(64,), max_epochs=10, random_state=0),
        {"tactics": ["none", "auto"], "lr": [1e-3, 3e-3]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
    )

    start = time.perf_counter()
    local = GridSearchCV(**search.get_params(deep=False)).fit(X, y)
    print(f"local n_jobs=1: {time.perf_counter() - start:.1f} s")

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0",
    ) as cluster, Client(cluster) as client:
        client.run(torch.set_num_threads, 1)  # one torch thread per worker
        for run in ("first", "second"):
            start = time.perf_counter()
            with joblib.parallel_backend("dask"):
                search.fit(X, y)
            print(f"dask, 2 workers, {run} search: {time.perf_counter() - start:.1f} s")

    print(search.best_params_, round(search.best_score_, 4))
    same = np.array_equal(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    print("same scores as the local run:", same)
