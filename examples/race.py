"""The race inside ``fit``: the default plan against ten times its weight decay.

Up to 5000 training rows, ``VitalRouteClassifier()`` trains its default plan
and a variant with ten times the weight decay on a stratified 75 % of the
rows, scores both by balanced log-loss on the other 25 %, and refits the
winner on all rows (docs/router.md, "The race"). This script shows the
race's table on a small, noisy, imbalanced task, then compares the race
with the fixed plan (``router__race=False``) on the same 5 folds.

Run::

    python examples/race.py
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier

# 400 rows, 20 features of which 4 informative, 85/15, 5 % of labels flipped
X, y = make_classification(
    n_samples=400, n_features=20, n_informative=4, weights=[0.85], flip_y=0.05,
    random_state=0,
)

net = make_pipeline(StandardScaler(), VitalRouteClassifier(random_state=0)).fit(X, y)
plan = net[-1].route_
print("\n".join(line for line in plan.explain().splitlines() if "race" in line
                or line.startswith("  ")))

cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {}
for race in (True, False):
    model = make_pipeline(
        StandardScaler(), VitalRouteClassifier(random_state=0, router__race=race)
    )
    scores[race] = cross_val_score(model, X, y, cv=cv, scoring="balanced_accuracy")
    label = "race on " if race else "race off"
    print(f"{label}: balanced accuracy {scores[race].mean():.3f} ± {scores[race].std():.3f}")
diff = scores[True] - scores[False]
print(f"on - off, per fold: {np.round(diff, 3).tolist()}")
