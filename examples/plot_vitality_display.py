"""
Seeing a network's vitality over training
=========================================

Train :class:`~skvitalroute.VitalRouteClassifier` on a small imbalanced
three-class problem with the class sampler, per-layer learning-rate
scaling and dead-unit resets (the ``"reset"`` tactic), then draw what the
vitality monitor recorded with :class:`~skvitalroute.VitalityDisplay`: the
stasis of each hidden layer and the composite stress (with the epochs after
which dead units were reset), the learning-rate scale of each hidden layer,
the per-class stress and the class sampler's class probabilities.

A learning rate of 0.03 is on the high side for Adam: some ReLU units die
and get reset, which is what the display is for. Run it with
``python examples/plot_vitality_display.py`` (the fit took 1.2-1.8 s with
one torch thread on a shared 2-core machine, load average 4.8).
"""

# %%
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalityDisplay, VitalRouteClassifier

torch.set_num_threads(1)  # small fits are fastest on one thread

X, y = make_classification(
    n_samples=800, n_features=20, n_informative=6, n_classes=3,
    weights=[0.7, 0.2, 0.1], random_state=0,
)
X = StandardScaler().fit_transform(X)

# %%
# The history holds one vitality reading per epoch.
clf = VitalRouteClassifier(
    hidden_units=(64, 32), tactics=("class", "lr_scale", "reset"), lr=0.03,
    max_epochs=20, random_state=0,
).fit(X, y)
print("route:", clf.route_.label)
print("units reset per epoch:", clf.history[:, "vitality_resets"])

# %%
# One panel per kind of reading; ``display.axes_`` holds them.
display = VitalityDisplay.from_estimator(clf)
print("panels:", display.panels_)
plt.show()
