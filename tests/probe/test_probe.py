"""Tests of VitalityProbe on hand-built networks whose readings are known."""

import numpy as np
import pytest
import torch
from sklearn.neural_network import MLPClassifier
from torch import nn

from skvitalroute import VitalityProbe


def _mlp(n_in=4, hidden=3, n_out=2, act=nn.ReLU):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(n_in, hidden), act(), nn.Linear(hidden, n_out))


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)


def _set(layer, weight=None, bias=None, unit=None):
    with torch.no_grad():
        sel = slice(None) if unit is None else unit
        if weight is not None:
            layer.weight[sel] = weight
        if bias is not None:
            layer.bias[sel] = bias


def _n_hooks(module):
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) for m in module.modules()
    )


def test_dead_unit_is_in_stasis(X):
    """Check that a ReLU unit with bias -50 is flagged by stasis, alone."""
    net = _mlp()
    _set(net[0], weight=0.5, bias=0.0)
    _set(net[0], bias=-50.0, unit=1)
    flags = VitalityProbe(net).observe(X).unit_flags()["0"]
    assert flags["stasis"].tolist() == [False, True, False]
    assert not flags["weak_weights"].any()
    # a dead ReLU unit outputs exactly 0: it is not saturated
    assert not flags["saturation"].any()


def test_zero_weights_are_weak(X):
    """Check that a zero incoming weight vector flags weak weights."""
    net = _mlp()
    _set(net[0], weight=0.5)
    _set(net[0], weight=0.0, unit=2)
    flags = VitalityProbe(net).observe(X).unit_flags()["0"]
    assert flags["weak_weights"].tolist() == [False, False, True]


def test_tiny_inputs_big_weights_is_weak_input(X):
    """Check that a unit whose weights dwarf its inputs flags weak input."""
    net = _mlp()
    _set(net[0], weight=0.1, bias=0.0)  # |W| = 0.1 < mean|x| ~ 0.8
    _set(net[0], weight=5.0, unit=0)  # |W| = 5 > mean|x|: every input is "tiny"
    flags = VitalityProbe(net).observe(X).unit_flags()["0"]
    assert flags["weak_input"].tolist() == [True, False, False]


def test_constant_nonzero_unit_is_saturated(X):
    """Check that a sigmoid unit stuck at 1 is saturated (and in stasis)."""
    net = _mlp(act=nn.Sigmoid)
    _set(net[0], weight=0.1, bias=0.0)
    _set(net[0], bias=60.0, unit=0)  # sigmoid(60 + small) == 1.0 in float32
    flags = VitalityProbe(net).observe(X).unit_flags()["0"]
    assert flags["saturation"].tolist() == [True, False, False]
    assert flags["stasis"].tolist() == [True, False, False]


def test_composite_follows_formula(X):
    """Check that composite stress equals (1.0 st + 0.6 ww + 0.6 wi + 0.5 sat)/2.7
    over all hidden units, and the mean stasis averages the layers."""
    net = nn.Sequential(
        nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)
    )
    _set(net[0], bias=-50.0, unit=0)  # dead: stasis (and a dead input below)
    _set(net[2], weight=0.0, unit=[1, 2])  # weak weights
    probe = VitalityProbe(net).observe(X)
    flags = probe.unit_flags()
    totals = {s: sum(int(f[s].sum()) for f in flags.values()) for s in flags["0"]}
    expected = (
        1.0 * totals["stasis"]
        + 0.6 * totals["weak_weights"]
        + 0.6 * totals["weak_input"]
        + 0.5 * totals["saturation"]
    ) / (2.7 * 10)
    assert totals["stasis"] >= 1 and totals["weak_weights"] == 2
    assert probe.composite_stress() == pytest.approx(expected)
    rates = probe.stasis_rates()
    assert list(rates) == ["0", "2"]
    assert probe.mean_stasis() == pytest.approx((rates["0"] + rates["2"]) / 2)


def test_output_layer_never_hidden():
    """Check that the last weight layer is the output, not a hidden layer."""
    probe = VitalityProbe(_mlp())
    assert probe.layer_names() == ["0"]
    assert probe.output_layer()[0] == "2"


def test_conv_channels_are_units():
    """Check that a conv layer is read per channel (rows x positions pooled)."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)
    )
    _set(net[0], bias=-50.0, unit=2)
    X = np.random.default_rng(0).normal(size=(32, 1, 8, 8))
    probe = VitalityProbe(net).observe(X)
    assert probe.layer_names() == ["0"]
    assert probe.unit_flags()["0"]["stasis"].tolist() == [False, False, True, False]
    assert probe.stasis_rates()["0"] == pytest.approx(0.25)


class _Custom(nn.Module):
    """A custom module with a nested Sequential and a functional activation."""

    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 5), nn.Tanh())
        self.mid = nn.Linear(5, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(torch.relu(self.mid(self.block(x))))


def test_nested_and_functional_activation(X):
    """Check that nested layers are found, and a functional activation is read
    pre-activation as linear (a pre-activation unit at -50 still fires)."""
    net = _Custom()
    _set(net.mid, bias=-50.0, unit=0)
    probe = VitalityProbe(net).observe(X)
    assert probe.layer_names() == ["block.0", "mid"]
    assert probe._units[0].kind == "tanh"
    assert probe._units[1].kind == "linear"
    # read as linear: the -50 pre-activation is large, not dead
    assert not probe.unit_flags()["mid"]["stasis"][0]


def test_batchnorm_between_layer_and_activation(X):
    """Check that with batch norm in between, the activation output is read."""
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        net[1].bias[1] = -50.0  # BN shifts unit 1 far below zero: dead after ReLU
    net.eval()
    probe = VitalityProbe(net).observe(X)
    assert probe._units[0].hook_activation
    assert probe.unit_flags()["0"]["stasis"].tolist() == [False, True, False]


def test_mlpclassifier_parity_with_torch(X):
    """Check that a fitted MLPClassifier reads the same as a torch net holding
    the same weights."""
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    mlp = MLPClassifier(hidden_layer_sizes=(6, 5), max_iter=50, random_state=0)
    with pytest.warns(Warning):  # not converged in 50 iterations
        mlp.fit(X, y)
    net = nn.Sequential(
        nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)
    )
    with torch.no_grad():
        for layer, w, b in zip(net[::2], mlp.coefs_, mlp.intercepts_, strict=True):
            layer.weight.copy_(torch.as_tensor(w.T))
            layer.bias.copy_(torch.as_tensor(b))
    a, b = VitalityProbe(mlp).observe(X), VitalityProbe(net).observe(X)
    assert a.signal_rates() == b.signal_rates()
    np.testing.assert_allclose(
        a.per_sample_stress(X, y), b.per_sample_stress(X, y), rtol=1e-6
    )
    np.testing.assert_allclose(a.per_class_stress(X, y), b.per_class_stress(X, y))


def test_per_class_stress_sees_the_class_that_kills_a_unit():
    """Check that a unit silent on one class's rows only raises that class's
    stress, by exactly that unit's share of stasis."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    y = np.array(["pos", "neg", "mid"])[rng.integers(0, 3, 300)]
    X[y == "neg", 0] = -np.abs(X[y == "neg", 0]) - 1  # unit 0 = relu(x0): dead on "neg"
    X[y != "neg", 0] = np.abs(X[y != "neg", 0]) + 1
    net = _mlp(hidden=4)
    _set(net[0], weight=0.0, bias=0.0)
    with torch.no_grad():
        net[0].weight[0, 0] = 1.0
        net[0].weight[1:] = torch.eye(4)[1:]
        net[0].bias[1:] = 5.0  # the other units always fire
    stress = VitalityProbe(net).per_class_stress(X, y)
    # classes sorted: mid, neg, pos
    assert stress[1] > stress[0] and stress[0] == pytest.approx(stress[2])
    assert stress[1] - stress[0] == pytest.approx(1.0 * (1 / 4) / 2.7)


def test_per_class_stress_is_one_forward_pass(X):
    """Check that per-class stress runs the module exactly once."""
    net = _mlp()
    calls = []
    net.register_forward_pre_hook(lambda *_: calls.append(1))
    y = np.repeat([3, 7, 9, 11], 50)
    VitalityProbe(net).per_class_stress(X, y)
    assert len(calls) == 1


def test_per_sample_stress_formula(X):
    """Check that per-sample stress is 0.3 silent + 0.15 ww + 0.15 wi + 0.1 sat
    + 0.3 (1 - p(y|x)) row by row."""
    net = _mlp(hidden=4)
    y = (X[:, 0] > 0).astype(int)
    probe = VitalityProbe(net)
    stress = probe.per_sample_stress(X, y)
    with torch.no_grad():
        t = torch.as_tensor(X)
        hidden = torch.relu(net[0](t))
        proba = torch.softmax(net[2](hidden), dim=1).numpy()
    silent = 1.0 - (hidden > 0).double().mean(dim=1).numpy()
    agg = probe.aggregate_rates()
    expected = (
        0.3 * silent
        + 0.15 * agg["weak_weights"]
        + 0.15 * agg["weak_input"]
        + 0.1 * agg["saturation"]
        + 0.3 * (1 - proba[np.arange(len(y)), y])
    )
    np.testing.assert_allclose(stress, np.clip(expected, 0, 1), rtol=1e-5)


def test_per_sample_stress_without_hidden_layers(X):
    """Check that a module with no hidden layer scores rows by 0.3 (1 - p(y|x))
    alone: no silent-unit term, and never NaN."""
    net = nn.Sequential(nn.Linear(X.shape[1], 3))
    y = (X[:, 0] > 0).astype(int)
    stress = VitalityProbe(net).per_sample_stress(X, y)
    with torch.no_grad():
        proba = torch.softmax(net(torch.as_tensor(X)), dim=1).numpy()
    np.testing.assert_allclose(
        stress, 0.3 * (1 - proba[np.arange(len(y)), y]), rtol=1e-5
    )


def test_per_sample_stress_label_mapping(X):
    """Check that string labels map to output columns through `classes`."""
    net = _mlp()
    y_int = (X[:, 0] > 0).astype(int)
    y_str = np.array(["a", "b"])[y_int]
    probe = VitalityProbe(net)
    np.testing.assert_allclose(
        probe.per_sample_stress(X, y_str), probe.per_sample_stress(X, y_int)
    )
    with pytest.raises(ValueError, match="not in `classes`"):
        probe.per_sample_stress(X, y_str, classes=["a", "c"])


def test_hooks_live_only_while_reading(X):
    """Check that no hook stays on the module after a reading, after detach,
    and on leaving the context manager."""
    net = _mlp()
    seen = []
    net[2].register_forward_pre_hook(lambda *_: seen.append(_n_hooks(net)))
    base = _n_hooks(net)
    with VitalityProbe(net) as probe:
        probe.observe(X)
        assert seen[-1] > base  # hooks were live during the pass
        assert _n_hooks(net) == base
    probe.detach()
    assert _n_hooks(net) == base


def test_observe_restores_mode_and_uses_eval(X):
    """Check that observe runs in eval mode and restores train mode after."""
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.9), nn.Linear(3, 2))
    modes = []
    net.register_forward_pre_hook(lambda m, _: modes.append(m.training))
    net.train()
    VitalityProbe(net).observe(X)
    assert modes == [False] and net.training


def test_probe_batch_is_bounded_and_stratified(X):
    """Check that the probe batch holds at most probe_size rows, balanced."""
    probe = VitalityProbe(_mlp(), probe_size=40)
    y = np.r_[np.zeros(190, int), np.ones(10, int)]
    rows = probe._probe_rows(200, y)
    assert len(rows) <= 40
    assert np.sum(y[rows] == 1) == 10 and np.sum(y[rows] == 0) == 20
    assert len(probe._probe_rows(200, None)) == 40


def test_bad_inputs():
    """Check that bad models, sizes and label shapes raise clear errors."""
    with pytest.raises(TypeError, match="torch.nn.Module or a fitted MLPClassifier"):
        VitalityProbe("net")
    with pytest.raises(ValueError, match="probe_size"):
        VitalityProbe(_mlp(), probe_size=0)
    with pytest.raises(ValueError, match="no Linear or Conv"):
        VitalityProbe(nn.ReLU())
    with pytest.raises(RuntimeError, match="observe"):
        VitalityProbe(_mlp()).stasis_rates()
    with pytest.raises(ValueError, match="one label per row"):
        VitalityProbe(_mlp()).per_class_stress(np.zeros((5, 4)), [0, 1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_module(X):
    """Check that a module on CUDA is read with inputs moved to its device."""
    net = _mlp().cuda()
    _set(net[0], bias=-50.0, unit=1)
    assert VitalityProbe(net).observe(X).unit_flags()["0"]["stasis"][1]
