"""The forest blend: the network's probabilities averaged with a forest's.

After its network, ``VitalRouteClassifier()`` trains imbalanced-learn's
``BalancedRandomForestClassifier`` on the same rows and averages the two
models' probabilities (docs/router.md, "The forest blend";
``router__forest_weight=0`` predicts with the network alone). This script
shows the ``forest`` line of ``explain()`` on a small, noisy, imbalanced
task, then compares the blend with the network alone on the same 5 folds,
by balanced accuracy and by balanced log-loss (the blend's probabilities
are less sharp).

Run::

    python examples/forest_blend.py
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer, log_loss, make_scorer
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skvitalroute import VitalRouteClassifier

# 400 rows, 20 features of which 4 informative, 85/15, 5 % of labels flipped
X, y = make_classification(
    n_samples=400,
    n_features=20,
    n_informative=4,
    weights=[0.85],
    flip_y=0.05,
    random_state=0,
)

net = make_pipeline(StandardScaler(), VitalRouteClassifier(random_state=0)).fit(X, y)
print(net[-1].route_.reasons["forest"])
print(type(net[-1].forest_).__name__, "with", len(net[-1].forest_.estimators_), "trees")


def balanced_log_loss(y_true, proba, **kwargs):
    """Log-loss with every class weighing the same (lower is better)."""
    return log_loss(
        y_true, proba, sample_weight=compute_sample_weight("balanced", y_true)
    )


scoring = {
    "balanced_accuracy": get_scorer("balanced_accuracy"),
    "balanced_log_loss": make_scorer(
        balanced_log_loss, greater_is_better=False, response_method="predict_proba"
    ),
}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {}
for weight in (0.5, 0.0):
    model = make_pipeline(
        StandardScaler(),
        VitalRouteClassifier(random_state=0, router__forest_weight=weight),
    )
    scores[weight] = cross_validate(model, X, y, cv=cv, scoring=scoring)
    bacc = scores[weight]["test_balanced_accuracy"]
    bll = -scores[weight]["test_balanced_log_loss"]
    label = "blend        " if weight else "network alone"
    print(
        f"{label}: balanced accuracy {bacc.mean():.3f} ± {bacc.std():.3f}, "
        f"balanced log-loss {bll.mean():.3f}"
    )
diff = scores[0.5]["test_balanced_accuracy"] - scores[0.0]["test_balanced_accuracy"]
print(f"blend - alone, per fold: {np.round(diff, 3).tolist()}")
