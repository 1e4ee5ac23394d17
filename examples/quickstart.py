"""
Quick start: both front doors on imbalanced digits
==================================================

The README's usage snippet. ``VitalitySampler`` in front of a logistic
regression, ``VitalRouteClassifier`` routing its own tactics, and
inverse-frequency weighting (``tactics="none", class_weight="balanced"``) in
the same estimator, scored by 5-fold cross-validation; then the route plan
the router picked and why. Run it with ``python examples/quickstart.py``.
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalitySampler, VitalRouteClassifier

# digits with classes 5-9 cut to 1/5 of their rows
X, y = load_digits(return_X_y=True)
rng = np.random.default_rng(0)
keep = (y < 5) | (rng.random(len(y)) < 0.2)
X, y = X[keep], y[keep]

# an over-sampler driven by a probe network's per-class / per-sample stress
sampled = make_pipeline(StandardScaler(), VitalitySampler(random_state=0),
                        LogisticRegression(max_iter=1000))

# a skorch classifier that picks its own tactics, and inv_freq in the same estimator
routed = make_pipeline(StandardScaler(), VitalRouteClassifier(random_state=0))
inv_freq = make_pipeline(StandardScaler(), VitalRouteClassifier(
    tactics="none", class_weight="balanced", random_state=0))
models = {"sampler+logreg": sampled, "routed": routed, "inv_freq": inv_freq}
for name, model in models.items():
    scores = cross_val_score(model, X, y, scoring="balanced_accuracy")
    print(f"{name:15s} {scores.mean():.3f} ± {scores.std():.3f}")

clf = VitalRouteClassifier(random_state=0).fit(X, y)
print(clf.route_.explain())
