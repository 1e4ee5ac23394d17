"""Per-layer learning-rate scaling: formula, param groups, base rate."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier

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


def _module():
    """Two hidden layers of 10 units; DEAD units killed by a -100 bias."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(4, 10), torch.nn.ReLU(),
        torch.nn.Linear(10, 10), torch.nn.ReLU(),
        torch.nn.Linear(10, 2),
    )
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
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.1,
        max_epochs=1, train_split=None, verbose=0,
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
    net.partial_fit(X, y)  # partial_fit keeps the hand-set weights
    expected = {
        name: max(0.1, 1.0 / (1.0 + alpha * dead / 10)) for name, dead in DEAD.items()
    }
    assert scaler.layer_stasis_ == pytest.approx({n: d / 10 for n, d in DEAD.items()})
    assert net.history[-1, "vitality_lr_scales"] == pytest.approx(expected)
    lrs = {g["name"]: g["lr"] for g in net.optimizer_.param_groups}
    expected_lrs = {**{n: 0.1 * s for n, s in expected.items()}, "rest": 0.1}
    assert lrs == pytest.approx(expected_lrs)


def test_set_params_lr_still_means_the_base_rate():
    """Check that set_params(lr=...) rescales every hidden group from the new base."""
    X, y = _data()
    net, scaler = _net()
    net.partial_fit(X, y)
    net.set_params(lr=0.02)
    assert net.lr == 0.02
    net.partial_fit(X, y)
    lrs = {g["name"]: g["lr"] for g in net.optimizer_.param_groups}
    assert lrs["rest"] == pytest.approx(0.02)
    for name in DEAD:
        assert lrs[name] == pytest.approx(0.02 * scaler.scales_[name])


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
    net.partial_fit(X, y)
    lrs = {g.get("name"): g["lr"] for g in net.optimizer_.param_groups}
    assert lrs["0"] == pytest.approx(0.1 / (1 + 4 * 0.3))
    assert lrs[None] == pytest.approx(0.1)  # skorch's group for the rest


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
