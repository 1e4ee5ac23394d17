"""Wiring of the tactic callbacks inside VitalRouteClassifier.

The tactics themselves are tested in ``tests/callbacks/``; these
tests check that the classifier builds them from its parameters, hands them
the right state and lets them act on its training loop and optimizer.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback

from skvitalroute import VitalRouteClassifier
from skvitalroute.nn import MLPModule

FAST = dict(hidden_units=(8, 6), max_epochs=2, batch_size=32, probe_size=64)


class CountLabels(Callback):
    """Count the labels of the rows each training batch holds."""

    def on_train_begin(self, net, **kwargs):
        self.counts_ = np.zeros(2, dtype=int)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.counts_ += np.bincount(np.asarray(batch[1]), minlength=2)


def test_parameters_reach_the_tactic_callbacks(imbalanced):
    """Check that strengths, refreshes and probe size reach the callbacks."""
    X, y = imbalanced
    clf = VitalRouteClassifier(
        tactics=("class", "lr_scale", "reset"),
        tactic__class__strength=0.3,
        tactic__class__beta=2.0,
        tactic__class__refresh_every=3,
        tactic__lr_scale__alpha=2.5,
        tactic__lr_scale__refresh_every=2,
        tactic__reset__reset_threshold=0.5,
        **{**FAST, "max_epochs": 0, "probe_size": 32},
    ).fit(X, y)
    cbs = dict(clf.callbacks_)
    sampler = cbs["vitality_class"]
    assert (sampler.strength, sampler.beta, sampler.refresh_every) == (0.3, 2.0, 3)
    assert sampler.probe_size == 32 and sampler.random_state is not None
    scaler = cbs["vitality_lr_scale"]
    assert (scaler.alpha, scaler.refresh_every) == (2.5, 2)
    assert cbs["vitality_reset"].reset_threshold == 0.5

    hard = VitalRouteClassifier(
        tactics=("hard",),
        tactic__hard__strength=0.2,
        tactic__hard__beta=1.0,
        tactic__hard__refresh_every=2,
        **{**FAST, "max_epochs": 0},
    ).fit(X, y)
    sampler = dict(hard.callbacks_)["vitality_hard"]
    assert (sampler.strength, sampler.beta, sampler.refresh_every) == (0.2, 1.0, 2)


def test_class_sampler_draws_the_training_rows(imbalanced):
    """Check that the routed class sampler feeds the batches, balancing classes."""
    X, y = imbalanced
    counter = CountLabels()
    clf = VitalRouteClassifier(
        callbacks=[counter], random_state=0, router="vitalroute", **FAST
    ).fit(X, y)
    assert clf.route_.label == "imbalance"
    assert clf.train_sampler_ is dict(clf.callbacks_)["vitality_class"].sampler_
    assert counter.counts_.sum() == FAST["max_epochs"] * len(X)
    # uniform rows give the minority ~15 %; class sampling gives it >= 15 % of
    # (1 - strength) plus its share of the stress softmax (about a half)
    assert counter.counts_[1] / counter.counts_.sum() > 0.3
    assert all(len(p) == 2 for p in clf.history[:, "vitality_class_probs"])

    plain = VitalRouteClassifier(callbacks=[counter], tactics="none", **FAST)
    plain.fit(X, y)
    assert plain.train_sampler_ is None
    np.testing.assert_array_equal(counter.counts_, FAST["max_epochs"] * np.bincount(y))


def test_lr_scales_reach_the_optimizer(imbalanced):
    """Check that each hidden layer's group runs at lr times its recorded scale."""
    X, y = imbalanced
    clf = VitalRouteClassifier(tactics=("lr_scale",), lr=0.01, **FAST).fit(X, y)
    scales = clf.history[-1, "vitality_lr_scales"]
    assert set(scales) == {"0", "2"}  # the two hidden Linear layers
    stepped = dict(clf.callbacks_)["vitality_lr_scale"].lrs_  # rates of the last step
    for name, scale in scales.items():
        assert stepped[name] == pytest.approx(0.01 * scale)
    groups = [g["lr"] for g in clf.optimizer_.param_groups]
    assert groups == pytest.approx([0.01] * 3)  # outside the step: lr


def test_transfer_copies_the_trunk_and_keeps_a_fresh_head():
    """Check that transfer starts the child from the parent, head excepted."""
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    torch.manual_seed(1)
    parent = MLPModule(5, 2, (8, 6))
    clf = VitalRouteClassifier(
        parent_pool=[("parent", parent)],
        freeze_transfer=True,
        random_state=0,
        **{**FAST, "max_epochs": 0},
    ).fit(X, y)
    assert clf.route_.use_transfer
    transfer = dict(clf.callbacks_)["vitality_transfer"]
    assert transfer.parent_ == "parent" and transfer.freeze
    child = clf.module_
    for i in (0, 2):
        torch.testing.assert_close(child[i].weight, parent[i].weight)
    assert not torch.equal(child[4].weight, parent[4].weight)
    assert child[0].weight is not parent[0].weight  # copied, not shared


def test_tactics_are_rebuilt_every_fit(imbalanced):
    """Check that refitting with new tactics replaces the tactic callbacks."""
    X, y = imbalanced
    clf = VitalRouteClassifier(tactics=("class",), **FAST).fit(X, y)
    first = dict(clf.callbacks_)["vitality_monitor"]
    clf.set_params(tactics=("hard", "lr_scale")).fit(X, y)
    names = [n for n, _ in clf.callbacks_ if n.startswith("vitality_")]
    assert names == ["vitality_hard", "vitality_lr_scale", "vitality_monitor"]
    assert dict(clf.callbacks_)["vitality_monitor"] is not first
    assert clf.callbacks is None


def test_warm_start_reroutes_and_keeps_training(imbalanced):
    """Check that a warm-start fit routes the new labels and keeps the module."""
    X, y = imbalanced
    clf = VitalRouteClassifier(
        warm_start=True,
        loss="logit_adjusted",
        random_state=0,
        router="vitalroute",
        **FAST,
    ).fit(X, y)
    module = clf.module_
    balanced = np.r_[np.flatnonzero(y == 0)[:30], np.flatnonzero(y == 1)[:30]]
    clf.fit(X[balanced], y[balanced])
    assert clf.module_ is module
    assert clf.route_.label == "hard"  # 60 balanced rows
    assert "vitality_class" not in dict(clf.callbacks_)
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.5])
    assert len(clf.history) == 2 * FAST["max_epochs"]
    torch.testing.assert_close(
        clf.criterion_.log_prior, torch.log(torch.tensor([0.5, 0.5]))
    )
