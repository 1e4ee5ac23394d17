"""
Tuning the router in a Pipeline with GridSearchCV
=================================================

:class:`~skvitalroute.VitalRouteClassifier` is an ordinary scikit-learn
classifier: it sits at the end of a :class:`~sklearn.pipeline.Pipeline`, and
its tactics, their strengths and the router's thresholds are
hyper-parameters that :class:`~sklearn.model_selection.GridSearchCV` tunes.

Data: scikit-learn's digits, made 5:1 imbalanced (classes 5-9 keep a fifth
of their rows). Run it with ``python examples/plot_pipeline_gridsearch.py``.
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

# %%
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier

rng = np.random.default_rng(0)
X, y = load_digits(return_X_y=True)
keep = (y < 5) | (rng.random(len(y)) < 0.2)
X, y = X[keep], y[keep]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# The pipeline. ``X`` stays float64: the net casts to float32 itself.
# 40 epochs: the search's folds (507 rows, 320 optimizer steps) and the
# refit on all 760 training rows (480 steps) are both above the router's
# short_steps=235, so the route printed below is the one the folds scored.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("clf", VitalRouteClassifier(hidden_units=(64, 32), max_epochs=40,
                                     random_state=0)),
    ]
)

# %%
# Tactics are hyper-parameters: the router's choice (``"auto"``), no tactic,
# and the class sampler forced on with two strengths. A tactic's settings
# are ``tactic__<tactic>__<argument>`` parameters; the second grid sets the
# strength only where the class sampler runs (elsewhere it would reach no
# callback, and the fit would warn).
grid = GridSearchCV(
    pipe,
    [
        {"clf__tactics": ["auto", "none"]},
        {"clf__tactics": [("class",)], "clf__tactic__class__strength": [0.4, 0.7]},
    ],
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=2,
)
grid.fit(X_train, y_train)
for params, mean, std in zip(
    grid.cv_results_["params"],
    grid.cv_results_["mean_test_score"],
    grid.cv_results_["std_test_score"],
    strict=True,
):
    print(f"{str(params):70s} {mean:.3f} ± {std:.3f}")
print("best:", grid.best_params_)

# %%
# The refitted best classifier tells which tactics it used and why, and its
# history holds the vitality readings of every epoch.
best = grid.best_estimator_.named_steps["clf"]
print(best.route_.explain())
print("held-out balanced accuracy:",
      round(grid.score(X_test, y_test), 3))
last = best.history[-1]
print("last epoch: mean stasis", round(last["vitality_mean_stasis"], 3),
      "composite stress", round(last["vitality_stress"], 3))
