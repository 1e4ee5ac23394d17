"""DivergenceGuard's per-epoch copy: in place, complete, restored exactly."""

import copy

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks._guard import _restore, _snapshot


class _OptimizerStarts(Callback):
    """Keep a deep copy of the optimizer state at each epoch's start."""

    def on_train_begin(self, net, **kwargs):
        self.states_ = {}

    def on_epoch_begin(self, net, **kwargs):
        self.states_[len(net.history) - 1] = copy.deepcopy(net.optimizer_.state_dict())


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    return rng.normal(size=(80, 4)) + y[:, None], y


def _fitted():
    X, y = _data()
    return VitalRouteClassifier(hidden_units=(8,), max_epochs=2, random_state=0).fit(
        X, y
    )


def _tensors(state):
    if isinstance(state, dict):
        return [t for value in state.values() for t in _tensors(value)]
    return [state] if torch.is_tensor(state) else []


def test_snapshot_copies_in_place_and_is_independent_of_the_net():
    """Check that the next epoch's copy reuses the last one's tensors, holds
    the net's current values, and does not change when the net does."""
    net = _fitted()
    first = _snapshot(net)
    buffers = [id(t) for t in _tensors(first)]
    with torch.no_grad():
        for p in net.module_.parameters():
            p.add_(1.0)
    second = _snapshot(net, first)
    assert [id(t) for t in _tensors(second)] == buffers
    for name, value in net.module_.state_dict().items():
        torch.testing.assert_close(second[0]["module"][name], value)
    live = {id(t) for t in _tensors(net.module_.state_dict())}
    live |= {id(t) for t in _tensors(net.optimizer_.state_dict()["state"])}
    assert not live & set(buffers)


def test_restore_gives_back_the_optimizer_state_unshared():
    """Check that a restore loads the copied optimizer state (Adam's moments
    and step) and leaves the optimizer with tensors of its own."""
    net = _fitted()
    saved = copy.deepcopy(net.optimizer_.state_dict())
    snap = _snapshot(net)
    net.partial_fit(*_data())  # moves the parameters and the moments on
    _restore(net, snap)
    restored = net.optimizer_.state_dict()
    for a, b in zip(_tensors(restored["state"]), _tensors(saved["state"]), strict=True):
        torch.testing.assert_close(a, b)
    assert restored["param_groups"] == saved["param_groups"]
    ours = {id(t) for t in _tensors(snap[1])}
    assert not ours & {id(t) for t in _tensors(restored["state"])}


class _BreakAt(Callback):
    """Make a weight infinite at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                net.module_[0].weight[0, 0] = float("inf")


def test_divergence_restores_the_optimizer_of_the_epoch_start():
    """Check that after a diverging epoch the optimizer state (momentum
    buffers) is the one the epoch started from."""
    X, y = _data()
    starts = _OptimizerStarts()
    clf = VitalRouteClassifier(
        hidden_units=(8,),
        max_epochs=6,
        lr=0.01,
        optimizer=torch.optim.SGD,
        optimizer__momentum=0.9,
        callbacks=[starts, _BreakAt(4)],
        random_state=0,
    )
    with pytest.raises(ValueError, match="diverged in epoch 4"):
        clf.fit(X, y)
    expected, restored = starts.states_[3], clf.optimizer_.state_dict()
    assert restored["state"].keys() == expected["state"].keys() != set()
    got, want = _tensors(restored["state"]), _tensors(expected["state"])
    assert len(got) == len(want) > 0
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)
