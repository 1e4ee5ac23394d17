"""Transfer warm-start: the pick (LogME, veto, scratch), the copy, the fresh head."""

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


def test_transfer_copies_the_trunk_and_keeps_the_head_fresh():
    """Check the copied trunk, the fresh head, and the stasis of each parent."""
    pool = [("half", _parent(4)), ("best", _parent(0)), ("dead", _parent(8))]
    transfer = TransferWarmStart(pool, scratch=False)
    net = _net([transfer])
    fresh = _state(net.module_)
    net.partial_fit(*_data())
    assert transfer.parent_ == "best"  # the other two are vetoed
    assert transfer.stasis_ == pytest.approx({"half": 0.5, "best": 0.0, "dead": 1.0})
    assert transfer.vetoed_ == ["half", "dead"]
    best = pool[1][1]
    assert torch.equal(net.module_[0].weight, best[0].weight)
    assert torch.equal(net.module_[0].bias, best[0].bias)
    assert torch.equal(net.module_[2].weight, fresh["2.weight"])
    assert torch.equal(net.module_[2].bias, fresh["2.bias"])
    assert not torch.equal(net.module_[2].weight, best[2].weight)
    assert transfer.copied_ == ["0.weight", "0.bias"]


def test_without_labels_the_pick_falls_back_to_the_lowest_stasis():
    """Check the label-free fallback: no labels, the lowest stasis wins."""
    pool = [("some_dead", _parent(1)), ("best", _parent(0))]
    transfer = TransferWarmStart(pool, max_stasis=None)
    net = _net([transfer])
    transfer.initialize().on_train_begin(net, X=_data()[0], y=None)
    assert transfer.scoring_ == "stasis" and transfer.parent_ == "best"
    assert transfer.parent_scores_ == pytest.approx({"some_dead": 0.125, "best": 0.0})
    assert "lowest mean stasis" in transfer.reason_


def test_transfer_records_the_pick_in_history_once():
    """Check that history holds transfer_parent in the first epoch only."""
    transfer = TransferWarmStart([("a", _parent(2)), ("b", _parent(0))], scratch=False)
    net = _net([transfer], max_epochs=2).partial_fit(*_data())
    assert net.history[0, "transfer_parent"] == "b"
    assert "transfer_parent" not in net.history[1]


def test_parent_with_no_compatible_parameter_is_skipped_with_a_warning():
    """Check that a parent sharing no shape is skipped, with a UserWarning."""
    other = _mlp(hidden=16)  # (16, 4) and (16,) fit nothing in the child
    transfer = TransferWarmStart([("other", other), ("ok", _parent(1))], scratch=False)
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
    transfer = TransferWarmStart([("wide", wide), ("ok", _parent(0))], scratch=False)
    with pytest.warns(UserWarning, match="'wide' cannot read"):
        _net([transfer]).partial_fit(*_data())
    assert transfer.parent_ == "ok"


def test_freeze_keeps_the_trunk_and_the_monitor_does_not_reset_it():
    """Check that a frozen trunk stays the parent's, even with dead units."""
    parent = _parent(4)  # mean stasis 0.5 >= the monitor's threshold
    transfer = TransferWarmStart(
        [("p", parent)], freeze=True, max_stasis=None, scratch=False
    )
    net = _net([transfer, VitalityMonitor()], max_epochs=2).partial_fit(*_data())
    assert not net.module_[0].weight.requires_grad
    assert torch.equal(net.module_[0].weight, parent[0].weight)
    assert torch.equal(net.module_[0].bias, parent[0].bias)
    assert net.history[:, "vitality_resets"] == [0, 0]
    assert net.module_[2].weight.requires_grad  # the head still learns


def test_partial_fit_does_not_transfer_again():
    """Check that a trained net is not overwritten by a later partial_fit."""
    transfer = TransferWarmStart([("p", _parent(0))], scratch=False)
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
    transfer = TransferWarmStart([("sk", skorch_parent), ("mlp", mlp)], scratch=False)
    _net([transfer]).partial_fit(X, y)
    assert set(transfer.parent_scores_) == {"sk", "mlp"}
    assert transfer.copied_ == ["0.weight", "0.bias"]


@pytest.mark.parametrize(
    "pool, match",
    [
        ([], "non-empty"),
        ([("a", _mlp()), ("a", _mlp())], "unique"),
        ("x", "pairs"),
        ([("scratch", _mlp())], "must not be 'scratch'"),
    ],
)
def test_invalid_parent_pool_raises(pool, match):
    """Check that a malformed parent_pool raises a ValueError."""
    with pytest.raises(ValueError, match=match):
        TransferWarmStart(pool).initialize()


def _reader(column, dead=()):
    """An MLP whose 8 hidden units read only input ``column`` (+/- 3 x)."""
    module = _mlp(n_out=2)
    with torch.no_grad():
        module[0].weight.zero_()
        module[0].bias.zero_()
        module[0].weight[:4, column], module[0].weight[4:, column] = 3.0, -3.0
        module[0].bias[list(dead)] = -100.0
    return module


def _sign_data():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    return X, (np.abs(X[:, 0]) > 0.67).astype(np.int64)  # |x0|: not linear in X


def _sign_net(transfer):
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        _mlp(n_out=2),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=0,
        train_split=None,
        verbose=0,
        callbacks=[transfer],
    )
    return net.initialize()


def test_the_parent_that_explains_the_labels_is_picked():
    """Check the pick on a pool where one parent clearly knows the labels."""
    pool = [("noise", _reader(3)), ("knows", _reader(0)), ("other", _reader(2))]
    transfer = TransferWarmStart(pool)
    net = _sign_net(transfer).partial_fit(*_sign_data())
    assert transfer.scoring_ == "logme" and transfer.parent_ == "knows"
    scores = transfer.parent_scores_
    assert set(scores) == {"noise", "knows", "other", "scratch"}
    assert scores["knows"] > scores["scratch"] > max(scores["noise"], scores["other"])
    assert torch.equal(net.module_[0].weight, pool[1][1][0].weight)
    assert "'knows', the highest LogME" in transfer.reason_


def test_scratch_wins_when_every_parent_is_useless():
    """Check the null parent: no parent beats scratch, so nothing is copied."""
    pool = [("noise", _reader(3)), ("other", _reader(2))]
    transfer = TransferWarmStart(pool)
    net = _sign_net(transfer)
    fresh = _state(net.module_)
    net.partial_fit(*_sign_data())
    assert transfer.parent_ is None and transfer.copied_ == []
    assert transfer.parent_scores_["scratch"] > transfer.parent_scores_["noise"]
    assert torch.equal(net.module_[0].weight, fresh["0.weight"])
    assert "no parent's LogME beat training from scratch" in transfer.reason_


def test_a_damaged_parent_is_vetoed_even_when_it_scores_best():
    """Check the stasis veto: 6 of 8 units dead, the 2 alive still know y."""
    pool = [("damaged", _reader(0, dead=(0, 1, 2, 4, 5, 6))), ("noise", _reader(3))]
    transfer = TransferWarmStart(pool, scratch=False)
    _sign_net(transfer).partial_fit(*_sign_data())
    scores = transfer.parent_scores_
    assert scores["damaged"] > scores["noise"]  # it would win on LogME alone
    assert transfer.vetoed_ == ["damaged"] and transfer.parent_ == "noise"
    assert transfer.stasis_["damaged"] == pytest.approx(0.75)
    assert "vetoed" in transfer.reason_


def test_explain_says_why_transfer_stayed_off():
    """Check route_.explain(): transfer off, with the reason, when scratch wins."""
    from skvitalroute import VitalRouteClassifier

    X, y = _sign_data()
    pool = [("noise", _reader(3)), ("other", _reader(2))]
    clf = VitalRouteClassifier(
        module=_mlp(n_out=2),
        tactics=("transfer",),
        parent_pool=pool,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    assert not clf.route_.use_transfer
    assert "- transfer: off (off: no parent's LogME beat training from scratch" in (
        clf.route_.explain()
    )
    clf.set_params(parent_pool=[("knows", _reader(0))]).fit(X, y)
    assert clf.route_.use_transfer
    assert "- transfer: on (on: parent 'knows'" in clf.route_.explain()


def _trainable(clf):
    return [p.requires_grad for p in clf.module_.parameters()]


@pytest.mark.parametrize("module", [None, "instance"])
def test_a_refit_after_freeze_transfer_trains_every_layer(module):
    """Check issue 19/20: a refit without freeze (or pool) thaws the trunk."""
    from skvitalroute import VitalRouteClassifier

    X, y = _sign_data()
    kwargs = {"hidden_units": (8,)} if module is None else {"module": _mlp(n_out=2)}
    clf = VitalRouteClassifier(
        **kwargs,
        tactics=("transfer",),
        parent_pool=[("knows", _reader(0))],
        freeze_transfer=True,
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    assert _trainable(clf) == [False, False, True, True]
    clf.set_params(warm_start=True).fit(X, y)  # continuing frozen: still frozen
    assert _trainable(clf) == [False, False, True, True]
    clf.set_params(warm_start=True, freeze_transfer=False).fit(X, y)
    assert all(_trainable(clf))
    clf.set_params(warm_start=False, freeze_transfer=True).fit(X, y)
    frozen = _trainable(clf)
    clf.set_params(freeze_transfer=False, parent_pool=None, tactics="auto").fit(X, y)
    assert all(_trainable(clf))
    before = clf.module_[0].weight.clone()
    clf.set_params(max_epochs=1).partial_fit(X, y)
    assert not torch.equal(clf.module_[0].weight, before)  # the trunk learns
    if module is None:
        assert frozen == [False, False, True, True]


def test_a_plain_skorch_refit_without_freeze_thaws_the_trunk():
    """Check the callback alone: a second fit with freeze=False trains every layer."""
    transfer = TransferWarmStart([("knows", _reader(0))], freeze=True)
    net = _sign_net(transfer)
    net.set_params(max_epochs=1).fit(*_sign_data())
    assert not net.module_[0].weight.requires_grad
    net.set_params(callbacks__TransferWarmStart__freeze=False).fit(*_sign_data())
    assert net.module_[0].weight.requires_grad


def _gap():
    """LogME lead of the ``knows`` parent over scratch on the sign data."""
    transfer = TransferWarmStart([("knows", _reader(0)), ("noise", _reader(3))])
    _sign_net(transfer).partial_fit(*_sign_data())
    scores = transfer.parent_scores_
    return scores["knows"] - scores["scratch"]


def test_min_gain_copies_a_parent_only_when_it_beats_scratch_by_more():
    """Check the margin: a lead under min_gain trains from scratch, over it copies."""
    gap = _gap()
    assert gap > 0.02  # the parent that knows y leads scratch clearly
    pool = [("knows", _reader(0)), ("noise", _reader(3))]
    under = TransferWarmStart(pool, min_gain=gap + 0.01)
    net = _sign_net(under)
    fresh = _state(net.module_)
    net.partial_fit(*_sign_data())
    assert under.parent_ is None and under.copied_ == []
    assert torch.equal(net.module_[0].weight, fresh["0.weight"])
    assert under.parent_scores_["knows"] - under.parent_scores_["scratch"] == (
        pytest.approx(gap)
    )
    assert f"by more than min_gain={gap + 0.01:g}" in under.reason_
    over = TransferWarmStart(pool, min_gain=gap - 0.01)
    net = _sign_net(over).partial_fit(*_sign_data())
    assert over.parent_ == "knows"
    assert torch.equal(net.module_[0].weight, pool[0][1][0].weight)
    assert f"+ min_gain {gap - 0.01:g})" in over.reason_


def test_min_gain_is_ignored_without_the_scratch_candidate():
    """Check that scratch=False copies the best parent whatever the margin."""
    transfer = TransferWarmStart([("knows", _reader(0))], scratch=False, min_gain=5.0)
    _sign_net(transfer).partial_fit(*_sign_data())
    assert transfer.parent_ == "knows" and "scratch" not in transfer.parent_scores_


def test_explain_names_the_margin_that_kept_transfer_off():
    """Check tactic__transfer__min_gain reaches the tactic and route_.explain()."""
    from skvitalroute import VitalRouteClassifier

    X, y = _sign_data()
    clf = VitalRouteClassifier(
        module=_mlp(n_out=2),
        tactics=("transfer",),
        parent_pool=[("knows", _reader(0))],
        tactic__transfer__min_gain=9.0,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    assert not clf.route_.use_transfer
    assert "beat training from scratch by more than min_gain=9 (best 'knows'" in (
        clf.route_.explain()
    )


@pytest.mark.parametrize("bad", [-0.01, float("nan"), float("inf"), "0.1", True, None])
def test_invalid_min_gain_raises(bad):
    """Check that a negative, non-finite or non-real min_gain is refused."""
    with pytest.raises(ValueError, match="min_gain"):
        TransferWarmStart([("a", _mlp())], min_gain=bad).initialize()
