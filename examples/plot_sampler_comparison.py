"""
VitalitySampler against RandomOverSampler and SMOTE on imbalanced digits
=======================================================================

scikit-learn's digits are made 5:1 imbalanced (classes 5-9 keep a fifth of
their rows). Each over-sampler sits in an imbalanced-learn pipeline between a
``StandardScaler`` and the same ``LogisticRegression``; the pipelines are
scored by stratified cross-validation (the samplers only see training folds).

Compared: no resampling, ``RandomOverSampler``, ``SMOTE``, and
:class:`~skvitalroute.VitalitySampler` in its ``"class"`` and ``"sample"``
modes, plus a "signal off" control (``beta=0``: class mode with uniform
class probabilities, i.e. the counts of ``RandomOverSampler``).

Run it with ``python examples/plot_sampler_comparison.py`` (10-20 s on
two cores).
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

# %%
import time

import numpy as np
import torch
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skvitalroute import VitalitySampler

torch.set_num_threads(1)
# One BLAS thread too: on problems this small, BLAS threads only add
# synchronisation (on the 2-core machine of docs/sampler.md one
# LogisticRegression fit took 0.36 s with 2 OpenBLAS threads, 0.02 s with 1).
threadpool_limits(1)
rng = np.random.default_rng(0)
X, y = load_digits(return_X_y=True)
# Classes 5-9 keep a fifth of their rows (a random fifth, fixed seed).
fraction = np.where(np.arange(10) >= 5, 5, 1)
keep = np.sort(
    np.concatenate(
        [rng.permutation(np.flatnonzero(y == c))[: (y == c).sum() // fraction[c]]
         for c in range(10)]
    )
)
X, y = X[keep], y[keep]
print(f"{len(y)} rows; rows per class: {np.bincount(y).tolist()}")

# %%
# What the sampler reads on the whole data set: mode "auto" follows the default
# router, which rebalances imbalanced labels, so the sampler runs in class mode.
sampler = VitalitySampler(random_state=0)
X_res, y_res = sampler.fit_resample(StandardScaler().fit_transform(X), y)
print(f"\nmode_ = {sampler.mode_!r}; rows after resampling: {len(y_res)}")
print("class stress       :", np.round(list(sampler.class_stress_.values()), 3))
print("class probabilities:", np.round(list(sampler.class_probabilities_.values()), 3))
print("rows per class     :", np.bincount(y_res).tolist())

# %%
# Cross-validated comparison in front of the same classifier.
samplers = {
    "none": None,
    "RandomOverSampler": RandomOverSampler(random_state=0),
    "SMOTE": SMOTE(random_state=0),
    "Vitality class": VitalitySampler(mode="class", random_state=0),
    "Vitality class beta=0": VitalitySampler(mode="class", beta=0.0, random_state=0),
    "Vitality sample": VitalitySampler(mode="sample", random_state=0),
}
cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=5, random_state=0)
scoring = {
    "balanced_accuracy": "balanced_accuracy",
    "minority_recall": make_scorer(
        recall_score, labels=[5, 6, 7, 8, 9], average="macro"
    ),
}
print(f"\n{'sampler':<23}{'balanced accuracy':>20}{'minority recall':>20}{'fit s':>8}")
start, balanced = time.perf_counter(), {}
for name, over in samplers.items():
    steps = [StandardScaler()] + ([over] if over is not None else [])
    pipe = make_pipeline(*steps, LogisticRegression(max_iter=1000))
    res = cross_validate(pipe, X, y, cv=cv, scoring=scoring)
    bal, rec = res["test_balanced_accuracy"], res["test_minority_recall"]
    balanced[name] = bal
    print(
        f"{name:<23}{bal.mean():>13.4f} ± {bal.std():.4f}"
        f"{rec.mean():>13.4f} ± {rec.std():.4f}{res['fit_time'].mean():>8.2f}"
    )
print(f"\n{cv.get_n_splits()} folds each; total {time.perf_counter() - start:.1f} s")

# %%
# Paired differences in balanced accuracy (same folds), in percentage points:
# does the vitality signal add anything over uniform duplication?
for a, b in [
    ("Vitality class", "Vitality class beta=0"),
    ("Vitality class", "RandomOverSampler"),
    ("Vitality sample", "RandomOverSampler"),
    ("Vitality class", "SMOTE"),
]:
    diff = 100 * (balanced[a] - balanced[b])
    half = 1.96 * diff.std(ddof=1) / np.sqrt(len(diff))
    print(
        f"{a} - {b}: {diff.mean():+.2f} pp ± {half:.2f}; "
        f"better/worse/tied on {(diff > 0).sum()}/{(diff < 0).sum()}/"
        f"{(diff == 0).sum()} folds"
    )
# (The ± is 1.96 standard errors over folds; repeated-CV folds share rows, so
# it understates the uncertainty.)
