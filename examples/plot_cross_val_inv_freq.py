"""
Vitality routing against inverse-frequency weighting
====================================================

The baselines live in the same estimator, so a comparison is one parameter
change: ``tactics="none"`` is plain cross-entropy ("uniform"),
``tactics="none", class_weight="balanced"`` is inverse-frequency weighting
("inv_freq"), ``loss="focal"`` and ``loss="logit_adjusted"`` are the focal
and logit-adjusted losses, and ``tactics="auto"`` lets the router choose.
Every variant is the same network trained the same way.

Data: digits made 5:1 imbalanced (classes 5-9 keep a fifth of their rows),
scored by cross-validation on balanced accuracy and minority-class recall.
Run it with ``python examples/plot_cross_val_inv_freq.py``.
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

# %%
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier

rng = np.random.default_rng(0)
X, y = load_digits(return_X_y=True)
keep = (y < 5) | (rng.random(len(y)) < 0.2)
X, y = X[keep], y[keep]
print("rows per class:", np.bincount(y))


def minority_recall(y_true, y_pred):
    """Mean recall of the reduced classes 5-9."""
    return recall_score(y_true, y_pred, labels=[5, 6, 7, 8, 9], average="macro")


scoring = {"balanced_accuracy": "balanced_accuracy",
           "minority_recall": make_scorer(minority_recall)}

# %%
base = VitalRouteClassifier(hidden_units=(64, 32), max_epochs=15, random_state=0)
variants = {
    "uniform": dict(tactics="none"),
    "inv_freq": dict(tactics="none", class_weight="balanced"),
    "focal": dict(tactics="none", loss="focal"),
    "logit_adjusted": dict(tactics="none", loss="logit_adjusted"),
    "vitality (auto)": dict(tactics="auto"),
}
cv = StratifiedKFold(3, shuffle=True, random_state=0)
fitted = {}
for name, params in variants.items():
    pipe = make_pipeline(StandardScaler(), clone(base).set_params(**params))
    res = cross_validate(pipe, X, y, cv=cv, scoring=scoring, return_estimator=True)
    fitted[name] = res["estimator"]
    acc, rec = res["test_balanced_accuracy"], res["test_minority_recall"]
    print(
        f"{name:16s} balanced acc {acc.mean():.3f} ± {acc.std():.3f}   "
        f"minority recall {rec.mean():.3f} ± {rec.std():.3f}   "
        f"fit {res['fit_time'].mean():.1f}s"
    )

# %%
# What did the router choose, and why? The scored fits are the folds' (2/3
# of the rows each), so read the route of one of them: at 15 epochs a fold
# of 725 rows gets 180 optimizer steps, under the router's short_steps=235,
# and is rebalanced by inverse frequency. A refit on all 1087 rows would get
# 255 steps and logit adjustment instead: the route follows the rows and the
# budget of each fit.
clf = fitted["vitality (auto)"][0][-1]
print(clf.route_.explain())
