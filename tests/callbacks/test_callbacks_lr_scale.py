"""Per-layer learning-rate scaling: formula, param groups, base rate, schedulers."""

import numpy as np
import pytest
import torch
from _modules import relu_mlp
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, LRScheduler
from torch.optim.lr_scheduler import LambdaLR, OneCycleLR, StepLR

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks import LayerLRScaler, layer_param_groups

DEAD = {"0": 3, "2": 5}  # dead units per hidden layer (of 10)


class LayerGroupsNet(NeuralNetClassifier):
    """The documented plain-skorch route: one optimizer group per layer."""

    def initialize_optimizer(self, triggered_directly=None):
        _, kwargs = self.get_params_for_optimizer(
            "optimizer", self.get_all_learnable_params()
        )
        self.optimizer_ = self.optimizer(layer_param_groups(self.module_), **kwargs)
        return self


class StepRates(Callback):
    """Measure the rate each parameter group moved at in each SGD step.

    Plain SGD moves a parameter by ``-lr * grad``, so the rate a group ran
    at is read from its first parameter's change, whatever set it.
    """

    def initialize(self):
        self.rates_ = []  # one dict (group index -> rate) per training step
        self._before = None
        return self

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            groups = net.optimizer_.param_groups
            self._before = [g["params"][0].detach().clone() for g in groups]

    def on_batch_end(self, net, training=False, **kwargs):
        if not training:
            return
        rates = {}
        for i, (group, before) in enumerate(
            zip(net.optimizer_.param_groups, self._before, strict=True)
        ):
            param = group["params"][0]
            grad = param.grad.detach()
            moved = grad.abs() > 1e-4
            if moved.any():
                ratio = (before - param.detach())[moved] / grad[moved]
                rates[i] = float(ratio.median())
        self.rates_.append(rates)


def _by_name(net, rates):
    names = [g.get("name") for g in net.optimizer_.param_groups]
    return {names[i]: rate for i, rate in rates.items()}


def _module():
    """Two hidden layers of 10 units; DEAD units killed by a -100 bias."""
    torch.manual_seed(0)
    module = relu_mlp(4, 10, 10, 2)
    with torch.no_grad():
        module[0].bias.zero_()
        module[2].weight.abs_()  # alive units of layer 2 fire on most rows
        module[2].bias.zero_()
        module[0].bias[: DEAD["0"]] = -100.0
        module[2].bias[: DEAD["2"]] = -100.0
    return module


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4)).astype(np.float32)
    return X, (X[:, 1] > 0).astype(np.int64)


def _net(cls=LayerGroupsNet, alpha=4.0, **kwargs):
    params = dict(
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=0.1,
        max_epochs=1,
        train_split=None,
        verbose=0,
    )
    scaler = LayerLRScaler(alpha=alpha)
    return cls(_module(), callbacks=[scaler], **{**params, **kwargs}), scaler


def test_layer_param_groups_split_hidden_layers_and_rest():
    """Check that there is one group per hidden layer and one for the rest."""
    module = _module()
    groups = layer_param_groups(module)
    assert [g["name"] for g in groups] == ["0", "2", "rest"]
    assert groups[0]["params"] == [module[0].weight, module[0].bias]
    assert groups[2]["params"] == [module[4].weight, module[4].bias]
    n_params = sum(len(g["params"]) for g in groups)
    assert n_params == len(list(module.parameters()))


@pytest.mark.parametrize("alpha", [0.0, 4.0, 20.0])
def test_scales_follow_the_formula_and_reach_the_optimizer(alpha):
    """Check that each hidden group's lr is lr * max(0.1, 1/(1 + alpha*stasis))."""
    X, y = _data()
    net, scaler = _net(alpha=alpha)
    rates = StepRates()
    net.set_params(callbacks=[scaler, rates])
    net.partial_fit(X, y)  # partial_fit keeps the hand-set weights
    expected = {
        name: max(0.1, 1.0 / (1.0 + alpha * dead / 10)) for name, dead in DEAD.items()
    }
    assert scaler.layer_stasis_ == pytest.approx({n: d / 10 for n, d in DEAD.items()})
    assert net.history[-1, "vitality_lr_scales"] == pytest.approx(expected)
    expected_lrs = {**{n: 0.1 * s for n, s in expected.items()}, "rest": 0.1}
    assert _by_name(net, rates.rates_[0]) == pytest.approx(expected_lrs, rel=1e-3)
    assert scaler.lrs_ == pytest.approx({n: 0.1 * s for n, s in expected.items()})
    # outside the step, each group keeps the rate skorch set
    assert [g["lr"] for g in net.optimizer_.param_groups] == [0.1] * 3


def test_set_params_lr_still_means_the_base_rate():
    """Check that set_params(lr=...) rescales every hidden group from the new base."""
    X, y = _data()
    net, scaler = _net()
    rates = StepRates()
    net.set_params(callbacks=[scaler, rates])
    net.partial_fit(X, y)
    net.set_params(lr=0.02)
    assert net.lr == 0.02
    net.partial_fit(X, y)
    lrs = _by_name(net, rates.rates_[-1])
    assert lrs["rest"] == pytest.approx(0.02, rel=1e-3)
    for name in DEAD:
        assert lrs[name] == pytest.approx(0.02 * scaler.scales_[name], rel=1e-3)


def test_scales_are_read_every_refresh_epochs(monkeypatch):
    """Check that stasis is read once per refresh, never per batch."""
    from skvitalroute import VitalityProbe

    calls = []
    original = VitalityProbe.observe

    def counting(self, X, y=None):
        calls.append(len(X))
        return original(self, X, y)

    monkeypatch.setattr(VitalityProbe, "observe", counting)
    X, y = _data()
    net, _ = _net(batch_size=16, max_epochs=4)
    net.set_params(callbacks=[LayerLRScaler(refresh_every=2)]).partial_fit(X, y)
    assert calls == [len(X)] * 2


def test_optimizer_param_groups_route_without_subclass():
    """Check the no-subclass route: optimizer__param_groups by layer name."""
    X, y = _data()
    groups = [("0.*", {"name": "0"}), ("2.*", {"name": "2"})]
    net, scaler = _net(cls=NeuralNetClassifier, optimizer__param_groups=groups)
    rates = StepRates()
    net.set_params(callbacks=[scaler, rates])
    net.partial_fit(X, y)
    lrs = _by_name(net, rates.rates_[0])
    assert lrs["0"] == pytest.approx(0.1 / (1 + 4 * 0.3), rel=1e-3)
    assert lrs[None] == pytest.approx(0.1, rel=1e-3)  # skorch's group for the rest


def test_plain_optimizer_warns_and_leaves_rates_alone():
    """Check that without per-layer groups the scaler warns and changes nothing."""
    X, y = _data()
    net, scaler = _net(cls=NeuralNetClassifier)
    with pytest.warns(UserWarning, match="layer_param_groups"):
        net.partial_fit(X, y)
    assert [g["lr"] for g in net.optimizer_.param_groups] == [0.1]
    assert "vitality_lr_scales" not in net.history[-1]


def test_invalid_alpha_raises():
    """Check that a negative alpha raises a ValueError naming it."""
    X, y = _data()
    net, _ = _net(alpha=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        net.fit(X, y)


@pytest.mark.parametrize(
    "scheduler",
    [
        LRScheduler(policy=StepLR, step_size=2, gamma=0.5),
        LRScheduler(policy=LambdaLR, lr_lambda=lambda epoch: 0.5**epoch),
        LRScheduler(  # plain SGD: no momentum for OneCycleLR to cycle
            policy=OneCycleLR,
            max_lr=0.2,
            total_steps=30,
            step_every="batch",
            cycle_momentum=False,
            final_div_factor=1.0,  # rates stay measurable
        ),
    ],
    ids=["StepLR", "LambdaLR", "OneCycleLR-per-batch"],
)
def test_scale_multiplies_a_schedulers_current_rate(scheduler):
    """Check that with a skorch LRScheduler every step runs each hidden layer
    at the scheduler's current rate times its scale (not overwritten, not
    compounded), and the output layer at the scheduler's rate."""
    X, y = _data()
    net, scaler = _net(max_epochs=6, batch_size=16)  # 5 steps per epoch
    rates = StepRates()
    net.set_params(callbacks=[scheduler, scaler, rates])
    net.partial_fit(X, y)
    assert len(rates.rates_) == 30
    for step in rates.rates_:
        lrs = _by_name(net, step)
        for name in DEAD:  # rates read from float32 steps: 1 % tolerance
            expected = lrs["rest"] * scaler.scales_[name]
            assert lrs[name] == pytest.approx(expected, rel=1e-2)
    assert len({g["lr"] for g in net.optimizer_.param_groups}) == 1  # decayed alike


def test_step_lr_in_the_classifier_decays_every_layer_alike():
    """Check the reported case: StepLR(step_size=2, gamma=0.1) over 6 epochs
    under lr_scale leaves every group at 1e-6 and the hidden layers' last
    steps at 1e-5 times their scale."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = VitalRouteClassifier(
        hidden_units=(8, 8),
        tactics=("lr_scale",),
        max_epochs=6,
        random_state=0,
        callbacks=[LRScheduler(policy=StepLR, step_size=2, gamma=0.1)],
    ).fit(X, y)
    lrs = [g["lr"] for g in clf.optimizer_.param_groups]
    assert lrs == pytest.approx([1e-6] * 3)
    scaler = dict(clf.callbacks_)["vitality_lr_scale"]
    expected = {name: 1e-5 * scale for name, scale in scaler.scales_.items()}
    assert scaler.lrs_ == pytest.approx(expected)


def test_scale_does_not_compound_over_epochs():
    """Check that a constant scale gives the same step rate every epoch."""
    X, y = _data()
    net, scaler = _net(max_epochs=5)
    rates = StepRates()
    net.set_params(callbacks=[scaler, rates])
    net.partial_fit(X, y)
    first = _by_name(net, rates.rates_[0])
    last = _by_name(net, rates.rates_[-1])
    assert scaler.scales_["0"] < 1
    assert last["0"] == pytest.approx(first["0"], rel=1e-3)


def test_step_hooks_are_removed_after_training():
    """Check that the scaler leaves no hook on the optimizer after a fit, nor
    a second pair after a fit that stopped with an error."""
    X, y = _data()
    net, scaler = _net()
    net.partial_fit(X, y)
    optimizer = net.optimizer_
    assert not optimizer._optimizer_step_pre_hooks
    scaler.on_train_begin(net, X=X, y=y)  # as a fit that never reached its end
    scaler.on_train_begin(net, X=X, y=y)
    assert len(optimizer._optimizer_step_pre_hooks) == 1
    scaler.on_train_end(net, X=X, y=y)
    assert not optimizer._optimizer_step_post_hooks
