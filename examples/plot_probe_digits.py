"""
Reading a network's vitality on digits
======================================

Train a small torch network on scikit-learn's digits (made 5:1 imbalanced:
classes 5-9 keep a fifth of their rows), print the route plan the default
router chooses for these labels, then read the vitality of every hidden
layer with :class:`~skvitalroute.VitalityProbe` before and after training.

Run it with ``python examples/plot_probe_digits.py``.
"""

# docs-test: slow (tests/test_docs_blocks.py runs it under -m slow)

# %%
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from torch import nn

from skvitalroute import VitalityProbe, default_route, profile_task

rng = np.random.default_rng(0)
X, y = load_digits(return_X_y=True)
keep = (y < 5) | (rng.random(len(y)) < 0.2)
X, y = StandardScaler().fit_transform(X[keep]).astype(np.float32), y[keep]

# %%
# The router reads only the labels (``router="default"`` of the classifier).
profile = profile_task(y)
plan = default_route(profile)
print(f"{profile.n_samples} rows, {profile.n_classes} classes, "
      f"ratio {profile.ratio:.2f}")
print(plan.explain())

# %%
# A plain training loop; the probe reads the network before and after.
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                    nn.Linear(64, 10))
probe = VitalityProbe(net)


def report(when):
    probe.observe(X, y)
    rates = probe.signal_rates()
    print(f"\n{when}: composite stress {probe.composite_stress():.3f}, "
          f"mean stasis {probe.mean_stasis():.3f}")
    for layer in probe.layer_names():
        print(f"  layer {layer}: " + ", ".join(
            f"{signal} {rates[signal][layer]:.3f}" for signal in rates))


report("before training")
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
for _ in range(30):
    for idx in torch.randperm(len(yt)).split(64):
        opt.zero_grad()
        nn.functional.cross_entropy(net(Xt[idx]), yt[idx]).backward()
        opt.step()
report("after 30 epochs")

# %%
# Per-class stress: one forward pass, grouped by class.
stress = probe.per_class_stress(X, y)
print("\nper-class stress:", np.round(stress, 4))
print(f"spread (max - min): {stress.max() - stress.min():.4f}")
