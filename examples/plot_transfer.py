"""
Transfer: picking a parent network
==================================

On a small task, :class:`~skvitalroute.VitalRouteClassifier` can warm-start
from a pool of parent networks. Each parent reads the new task's ``X``: one
whose mean stasis is high (many dead or silent hidden units) is vetoed.
The others are scored on the child's labels by LogME (You et al., 2021) of
the features they would give the child, against training from scratch;
the best wins, if it beats scratch. Every shape-compatible parameter is
copied except the classifier head, which stays freshly initialised.

Here two parents are trained on 800 rows of scikit-learn's digits; one is
then damaged (half of its first-layer units killed by a large negative
bias). The child task has only 50 other labelled rows. Run it with
``python examples/plot_transfer.py``.
"""

# %%
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks import TransferWarmStart

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_parent, X_rest, y_parent, y_rest = train_test_split(
    X, y, train_size=800, stratify=y, random_state=0
)
X_child, X_test, y_child, y_test = train_test_split(
    X_rest, y_rest, train_size=50, stratify=y_rest, random_state=0
)

# %%
# Two parents with the child's architecture.
kw = dict(hidden_units=(64, 32), max_epochs=15, random_state=0)
healthy = VitalRouteClassifier(**kw).fit(X_parent, y_parent)
damaged = VitalRouteClassifier(**kw).fit(X_parent, y_parent)
with torch.no_grad():
    damaged.module_[0].bias[:32] = -100.0  # these units never fire again
pool = [("healthy", healthy.module_), ("damaged", damaged.module_)]

# %%
# A parent pool is given, so the default router switches transfer on.
child = VitalRouteClassifier(parent_pool=pool, **kw).fit(X_child, y_child)
print(child.route_.explain())
transfer = dict(child.callbacks_)["vitality_transfer"]
print("picked parent:", transfer.parent_)
print("LogME of each candidate on the child's rows:",
      {name: round(score, 3) for name, score in transfer.parent_scores_.items()})
print("mean stasis of each parent on the child's X:",
      {name: round(score, 3) for name, score in transfer.stasis_.items()})
print("history:", child.history[0, "transfer_parent"])

# %%
# For reference: the damaged parent forced (no veto), and no parent at all.
forced = TransferWarmStart(pool[1:], max_stasis=None, scratch=False)
only_damaged = VitalRouteClassifier(
    tactics="none", callbacks=[("forced", forced)], **kw
).fit(X_child, y_child)
scratch = VitalRouteClassifier(**kw).fit(X_child, y_child)
for name, clf in [("picked parent", child), ("damaged parent", only_damaged),
                  ("from scratch", scratch)]:
    print(f"test accuracy, {name:15s} {clf.score(X_test, y_test):.3f}")
