"""Dead-unit reset (skvitalroute.callbacks._reset) and the VitalityMonitor callback."""

import copy

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier

from skvitalroute.callbacks import VitalityMonitor
from skvitalroute.callbacks._reset import reset_units


def _mlp(act=torch.nn.ReLU):
    return torch.nn.Sequential(
        torch.nn.Linear(4, 6),
        act(),
        torch.nn.Linear(6, 5),
        act(),
        torch.nn.Linear(5, 3),
    )


def _adam_with_state(module):
    """An Adam optimizer whose moments are non-zero everywhere."""
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    for p in module.parameters():
        p.grad = torch.randn_like(p)
    opt.step()
    return opt


def _snapshot(module, opt):
    params = {n: p.detach().clone() for n, p in module.named_parameters()}
    state = {n: copy.deepcopy(opt.state[p]) for n, p in module.named_parameters()}
    return params, state


def _changed(before, after):
    return ~torch.isclose(before, after, atol=0, rtol=0)


def test_reset_touches_exactly_the_flagged_units():
    """Check that only flagged units change: rows in, columns out, bias 0."""
    module = _mlp()
    opt = _adam_with_state(module)
    before, _ = _snapshot(module, opt)
    mask = np.array([True, False, False, True, False, False])
    assert reset_units(module, {"0": mask}, optimizers=[opt]) == 2
    after = dict(module.named_parameters())
    rows = torch.as_tensor(mask)
    assert _changed(before["0.weight"], after["0.weight"]).all(dim=1).equal(rows)
    assert torch.equal(after["0.bias"][rows], torch.zeros(2))
    assert torch.equal(after["0.bias"][~rows], before["0.bias"][~rows])
    assert _changed(before["2.weight"], after["2.weight"]).all(dim=0).equal(rows)
    assert torch.equal(after["2.weight"][:, ~rows], before["2.weight"][:, ~rows])
    for name in ("2.bias", "4.weight", "4.bias"):
        assert torch.equal(after[name], before[name])


def test_reset_never_touches_the_output_layer():
    """Check that resetting the last hidden layer leaves the output layer as is."""
    module = _mlp()
    out_w, out_b = module[4].weight.clone(), module[4].bias.clone()
    flags = {"2": np.ones(5, bool), "4": np.ones(3, bool)}  # "4" is the output
    assert reset_units(module, flags) == 5
    assert torch.equal(module[4].weight, out_w) and torch.equal(module[4].bias, out_b)


def test_reset_zeroes_adam_state_of_those_entries_only():
    """Check that Adam's moments are zeroed exactly at the reset entries."""
    module = _mlp()
    opt = _adam_with_state(module)
    _, before = _snapshot(module, opt)
    mask = np.array([False, True, False, False, True, False])
    reset_units(module, {"0": mask}, optimizers=[opt])
    rows = torch.as_tensor(mask)
    for key in ("exp_avg", "exp_avg_sq"):
        w0 = opt.state[module[0].weight][key]
        assert torch.equal(w0[rows], torch.zeros_like(w0[rows]))
        assert torch.equal(w0[~rows], before["0.weight"][key][~rows])
        assert torch.equal(opt.state[module[0].bias][key][rows], torch.zeros(2))
        w2 = opt.state[module[2].weight][key]
        assert torch.equal(w2[:, rows], torch.zeros_like(w2[:, rows]))
        assert torch.equal(w2[:, ~rows], before["2.weight"][key][:, ~rows])
        assert torch.equal(opt.state[module[4].weight][key], before["4.weight"][key])


@pytest.mark.parametrize("act, gain", [(torch.nn.ReLU, 2.0), (torch.nn.Tanh, 1.0)])
def test_reset_weight_scales_follow_spec(act, gain):
    """Check std sqrt(gain/fan_in) incoming and sqrt(0.5/fan_out) outgoing."""
    module = torch.nn.Sequential(
        torch.nn.Linear(400, 100),
        act(),
        torch.nn.Linear(100, 200),
        act(),
        torch.nn.Linear(200, 2),
    )
    rng = torch.Generator().manual_seed(0)
    reset_units(module, {"0": np.ones(100, bool)}, generator=rng)
    std_in = module[0].weight.std().item()
    std_out = module[2].weight.std().item()
    assert std_in == pytest.approx(np.sqrt(gain / 400), rel=0.05)
    assert std_out == pytest.approx(np.sqrt(0.5 / 200), rel=0.05)


def test_reset_conv_channels_and_flatten_linear():
    """Check Conv->Conv and Conv->Flatten->Linear: only the channel's slices change."""
    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 5 * 5, 6),
        torch.nn.ReLU(),
        torch.nn.Linear(6, 2),
    )
    c1, c2 = module[0].weight.clone(), module[2].weight.clone()
    lin = module[5].weight.clone()
    flags = {"0": np.array([0, 1, 0], bool), "2": np.array([0, 0, 1, 0], bool)}
    assert reset_units(module, flags) == 2
    changed1 = _changed(c1, module[0].weight).flatten(1).all(1)
    assert changed1.tolist() == [False, True, False]
    expected = torch.zeros(4, 3, 3, 3, dtype=torch.bool)
    expected[2] = True  # incoming kernels of reset channel 2 of layer "2"
    expected[:, 1] = True  # outgoing kernels of reset channel 1 of layer "0"
    assert _changed(c2, module[2].weight).equal(expected)
    changed_lin = _changed(lin, module[5].weight)
    cols = np.zeros(100, bool)
    cols[50:75] = True  # channel 2 owns positions 50..74 after flattening
    assert changed_lin[:, cols].all() and not changed_lin[:, ~cols].any()


def test_reset_skips_frozen_layers():
    """Check that frozen parameters are never re-initialised."""
    module = _mlp()
    module[0].requires_grad_(False)
    w = module[0].weight.clone()
    assert reset_units(module, {"0": np.ones(6, bool)}) == 0
    assert torch.equal(module[0].weight, w)


# -- VitalityMonitor --------------------------------------------------------
def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)


def _fit_monitored(reset, threshold=0.12):
    torch.manual_seed(0)
    module = _mlp()
    with torch.no_grad():
        module[0].bias[:3] = -100.0  # units 0-2 of layer "0" are dead
    monitor = VitalityMonitor(reset=reset, reset_threshold=threshold)
    torch.manual_seed(1)
    net = NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-2,
        max_epochs=1,
        batch_size=20,
        train_split=None,
        verbose=0,
        callbacks=[monitor],
        iterator_train__shuffle=False,
    )
    return net.partial_fit(*_data()), monitor


def test_monitor_records_readings_every_epoch():
    """Check that each epoch has the monitor's history keys with sane values."""
    X, y = _data()
    net, monitor = _fit_monitored(reset=False)
    net.partial_fit(X, y)
    for row in net.history:
        assert set(row["vitality_layer_stasis"]) == {"0", "2"}
        assert 0.0 <= row["vitality_stress"] <= 1.0
        assert row["vitality_mean_stasis"] == pytest.approx(
            np.mean(list(row["vitality_layer_stasis"].values()))
        )
        assert len(row["vitality_class_stress"]) == 3
        assert row["vitality_resets"] == 0
    assert net.history[0, "vitality_layer_stasis"]["0"] == pytest.approx(0.5)


def test_monitor_resets_exactly_the_dead_units():
    """Check that the monitor's reset changes the dead units and nothing else."""
    plain, _ = _fit_monitored(reset=False)
    reset, monitor = _fit_monitored(reset=True)
    assert reset.history[-1, "vitality_resets"] == 3 == monitor.n_resets_
    a, b = plain.module_, reset.module_
    dead = torch.tensor([True] * 3 + [False] * 3)
    assert _changed(a[0].weight, b[0].weight).all(1).equal(dead)
    assert torch.equal(b[0].bias[dead], torch.zeros(3))
    assert torch.equal(a[0].bias[~dead], b[0].bias[~dead])
    assert torch.equal(a[2].weight[:, ~dead], b[2].weight[:, ~dead])
    assert torch.equal(a[4].weight, b[4].weight) and torch.equal(a[4].bias, b[4].bias)


def test_monitor_does_not_reset_below_threshold():
    """Check that no unit is reset while mean stasis is under the threshold."""
    net, monitor = _fit_monitored(reset=True, threshold=0.9)
    assert net.history[-1, "vitality_resets"] == 0 and monitor.n_resets_ == 0
    assert net.module_[0].bias[0].item() == -100.0


@pytest.mark.parametrize(
    "params, match",
    [({"reset_threshold": 1.5}, "reset_threshold"), ({"reset": "yes"}, "reset")],
)
def test_monitor_invalid_parameters_raise(params, match):
    """Check that bad monitor parameters raise a ValueError naming them."""
    with pytest.raises(ValueError, match=match):
        VitalityMonitor(**params).initialize()
