"""
Balanced and calibrated probabilities
=====================================

Under the default route the network is trained for balanced error: the
logit-adjusted loss fits ``f(x) + tau * log(prior)`` and predicts from
``f(x)``, so ``predict_proba`` (``proba_prior="auto"``) follows equal class
priors and over-states a rare class. ``proba_prior="train"`` returns the
posterior under the training labels' class frequencies (calibrated for
log-loss and Brier score); ``predict`` is the same under every
``proba_prior``. scikit-learn's ``CalibratedClassifierCV`` and
``TunedThresholdClassifierCV`` take the classifier as any other.

Data: a 90/10 binary ``make_classification`` task, 3000 rows, a stratified
half held out. Run it with ``python examples/plot_probabilities.py``
(numbers in docs/classifier.md, "Probabilities").
"""

# %%
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, log_loss
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from skvitalroute import VitalRouteClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=10,
    n_informative=4,
    weights=[0.9, 0.1],
    flip_y=0.05,
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
print(f"minority share: train {y_train.mean():.3f}, test {y_test.mean():.3f}")

base = dict(hidden_units=(64, 32), random_state=0)
models = {
    "default route, proba_prior='auto'": VitalRouteClassifier(**base),
    "default route, proba_prior='train'": VitalRouteClassifier(
        proba_prior="train", **base
    ),
    "uniform net (tactics='none', cross-entropy)": VitalRouteClassifier(
        tactics="none", loss="cross_entropy", **base
    ),
    "CalibratedClassifierCV(default route, cv=3)": CalibratedClassifierCV(
        VitalRouteClassifier(**base), cv=3
    ),
    "TunedThresholdClassifierCV(default route, 'train')": TunedThresholdClassifierCV(
        VitalRouteClassifier(proba_prior="train", **base),
        scoring="balanced_accuracy",
        cv=3,
    ),
}

# %%
print(
    f"{'model':52s} {'mean p(1)':>9s} {'Brier':>6s} {'log-loss':>8s} {'bal. acc':>8s}"
)
for name, model in models.items():
    model.fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    print(
        f"{name:52s} {proba.mean():9.3f} {brier_score_loss(y_test, proba):6.3f} "
        f"{log_loss(y_test, proba):8.3f} "
        f"{balanced_accuracy_score(y_test, model.predict(X_test)):8.3f}"
    )
