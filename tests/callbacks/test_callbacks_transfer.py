"""Label-free transfer warm-start: the pick, the copy, the fresh head."""

import warnings

import numpy as np
import pytest
import torch
from _modules import relu_mlp
from skorch import NeuralNetClassifier

from skvitalroute.callbacks import TransferWarmStart, VitalityMonitor


def _mlp(n_in=4, hidden=8, n_out=3):
    return torch.nn.Sequential(
        torch.nn.Linear(n_in, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, n_out)
    )


def _parent(dead):
    """An MLP with ``dead`` of its 8 hidden units killed (stasis dead / 8)."""
    module = _mlp()
    with torch.no_grad():
        module[0].bias.zero_()  # alive units fire on about half of the rows
        module[0].bias[:dead] = -100.0
    return module


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)


def _net(callbacks, max_epochs=0, **kwargs):
    """An initialised net; partial_fit then keeps its fresh head."""
    net = NeuralNetClassifier(
        _mlp(),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=max_epochs,
        lr=0.05,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )
    return net.initialize()


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_transfer_picks_the_lowest_stasis_parent_and_keeps_the_head_fresh():
    """Check the pick (lowest mean stasis), the copied trunk and the fresh head."""
    pool = [("half", _parent(4)), ("best", _parent(0)), ("dead", _parent(8))]
    transfer = TransferWarmStart(pool)
    net = _net([transfer])
    fresh = _state(net.module_)
    net.partial_fit(*_data())
    assert transfer.parent_ == "best"
    scores = {"half": 0.5, "best": 0.0, "dead": 1.0}
    assert transfer.parent_scores_ == pytest.approx(scores)
    best = pool[1][1]
    assert torch.equal(net.module_[0].weight, best[0].weight)
    assert torch.equal(net.module_[0].bias, best[0].bias)
    assert torch.equal(net.module_[2].weight, fresh["2.weight"])
    assert torch.equal(net.module_[2].bias, fresh["2.bias"])
    assert not torch.equal(net.module_[2].weight, best[2].weight)
    assert transfer.copied_ == ["0.weight", "0.bias"]


def test_transfer_uses_no_labels():
    """Check that the pick does not change when the labels are shuffled."""
    pool = [("half", _parent(4)), ("best", _parent(0))]
    X, y = _data()
    picks = []
    for labels in (y, np.random.default_rng(0).permutation(y)):
        transfer = TransferWarmStart(pool)
        _net([transfer]).partial_fit(X, labels)
        picks.append((transfer.parent_, transfer.parent_scores_))
    assert picks[0] == picks[1]


def test_transfer_records_the_pick_in_history_once():
    """Check that history holds transfer_parent in the first epoch only."""
    transfer = TransferWarmStart([("a", _parent(2)), ("b", _parent(0))])
    net = _net([transfer], max_epochs=2).partial_fit(*_data())
    assert net.history[0, "transfer_parent"] == "b"
    assert "transfer_parent" not in net.history[1]


def test_parent_with_no_compatible_parameter_is_skipped_with_a_warning():
    """Check that a parent sharing no shape is skipped, with a UserWarning."""
    other = _mlp(hidden=16)  # (16, 4) and (16,) fit nothing in the child
    transfer = TransferWarmStart([("other", other), ("ok", _parent(1))])
    with pytest.warns(UserWarning, match="'other' has no parameter"):
        _net([transfer]).partial_fit(*_data())
    assert transfer.parent_ == "ok" and "other" not in transfer.parent_scores_


def test_incompatible_entries_are_skipped_with_a_warning():
    """Check that compatible entries are copied and the others reported."""
    parent = relu_mlp(4, 8, 8, 3)
    child = relu_mlp(4, 8, 5, 3)
    transfer = TransferWarmStart([("deeper", parent)])
    net = NeuralNetClassifier(
        child,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=0,
        train_split=None,
        callbacks=[transfer],
    ).initialize()
    with pytest.warns(UserWarning, match=r"'deeper' has no shape-compatible entry"):
        net.partial_fit(*_data())
    assert transfer.copied_ == ["0.weight", "0.bias"]
    assert transfer.skipped_ == ["2.weight", "2.bias"]
    assert torch.equal(child[0].weight, parent[0].weight)


def test_parent_that_cannot_read_x_is_skipped():
    """Check that a parent expecting other inputs is skipped with a warning."""
    wide = _mlp(n_in=5)  # its bias fits, but it cannot read 4 features
    transfer = TransferWarmStart([("wide", wide), ("ok", _parent(0))])
    with pytest.warns(UserWarning, match="'wide' cannot read"):
        _net([transfer]).partial_fit(*_data())
    assert transfer.parent_ == "ok"


def test_freeze_keeps_the_trunk_and_the_monitor_does_not_reset_it():
    """Check that a frozen trunk stays the parent's, even with dead units."""
    parent = _parent(4)  # mean stasis 0.5 >= the monitor's threshold
    transfer = TransferWarmStart([("p", parent)], freeze=True)
    net = _net([transfer, VitalityMonitor()], max_epochs=2).partial_fit(*_data())
    assert not net.module_[0].weight.requires_grad
    assert torch.equal(net.module_[0].weight, parent[0].weight)
    assert torch.equal(net.module_[0].bias, parent[0].bias)
    assert net.history[:, "vitality_resets"] == [0, 0]
    assert net.module_[2].weight.requires_grad  # the head still learns


def test_partial_fit_does_not_transfer_again():
    """Check that a trained net is not overwritten by a later partial_fit."""
    transfer = TransferWarmStart([("p", _parent(0))])
    net = _net([transfer], max_epochs=1).partial_fit(*_data())
    trained = net.module_[0].weight.clone()
    net.set_params(max_epochs=0).partial_fit(*_data())
    assert torch.equal(net.module_[0].weight, trained)


def test_fitted_skorch_net_and_mlpclassifier_parents():
    """Check that fitted skorch nets and MLPClassifiers are valid parents."""
    from sklearn.neural_network import MLPClassifier

    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        mlp.fit(X, y)
    skorch_parent = _net([], max_epochs=1).partial_fit(X, y)
    transfer = TransferWarmStart([("sk", skorch_parent), ("mlp", mlp)])
    _net([transfer]).partial_fit(X, y)
    assert set(transfer.parent_scores_) == {"sk", "mlp"}
    assert transfer.copied_ == ["0.weight", "0.bias"]


@pytest.mark.parametrize(
    "pool, match",
    [([], "non-empty"), ([("a", _mlp()), ("a", _mlp())], "unique"), ("x", "pairs")],
)
def test_invalid_parent_pool_raises(pool, match):
    """Check that a malformed parent_pool raises a ValueError."""
    with pytest.raises(ValueError, match=match):
        TransferWarmStart(pool).initialize()
