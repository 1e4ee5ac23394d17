"""The probe batch: per-class stress from one grouped reading, and the tactic
callbacks reading the same rows once drawn per fit (issue 6, scale)."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from torch import nn

from skvitalroute import VitalityProbe
from skvitalroute.callbacks import LayerLRScaler, VitalityMonitor
from skvitalroute.probe._rows import probe_rows


def _data(n=600, n_classes=7, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    X[:, 0] += y  # unit 0 below dies on the low classes
    return X, y


def _net(act=nn.ReLU):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 8), act(), nn.Linear(8, 5), act(), nn.Linear(5, 7))
    with torch.no_grad():
        net[0].weight[0] = 0.0
        net[0].weight[0, 0] = 1.0
        net[0].bias[0] = -3.0  # fires only for classes >= 3
        net[2].weight[1] = 0.01  # weak incoming weights
    return net


@pytest.mark.parametrize("act", [nn.ReLU, nn.Tanh])
def test_per_class_stress_equals_each_class_read_alone(act):
    """Check that the one-pass grouped per-class stress equals a separate
    reading of each class's probe rows."""
    X, y = _data()
    net = _net(act)
    probe = VitalityProbe(net, probe_size=210)
    stress = probe.per_class_stress(X, y)
    rows = probe._probe_rows(len(y), y)
    alone = [
        VitalityProbe(net).observe(X[rows][y[rows] == c]).composite_stress()
        for c in np.unique(y)
    ]
    np.testing.assert_allclose(stress, alone, rtol=0, atol=1e-12)
    if act is nn.ReLU:
        assert stress.max() > stress.min()  # the dead unit makes classes differ


@pytest.mark.parametrize("labelled", [True, False])
def test_reading_the_probe_batch_equals_reading_all_rows(labelled):
    """Check that reading only probe_rows gives the readings of all rows."""
    X, y = _data(n=900)
    net = _net()
    labels = y if labelled else None
    rows = probe_rows(len(X), labels, 128, 0)
    assert len(rows) <= 128
    full = VitalityProbe(net, probe_size=128).observe(X, labels).unit_flags()
    batch = VitalityProbe(net, probe_size=128).observe(
        X[rows], None if labels is None else y[rows]
    )
    for layer, flags in full.items():
        for signal, values in flags.items():
            np.testing.assert_array_equal(batch.unit_flags()[layer][signal], values)
    if labelled:
        np.testing.assert_array_equal(
            VitalityProbe(net, probe_size=128).per_class_stress(X[rows], y[rows]),
            VitalityProbe(net, probe_size=128).per_class_stress(X, y),
        )


class _RowCounter:
    """Count the rows of each eval-mode (probe) forward pass."""

    def __init__(self, module):
        self.rows = []
        module.register_forward_hook(self._hook)

    def _hook(self, module, args, output):
        if not module.training:
            self.rows.append(args[0].shape[0])


def _skorch(module, callbacks, epochs=3):
    return NeuralNetClassifier(
        module,
        criterion=nn.CrossEntropyLoss,
        max_epochs=epochs,
        lr=0.01,
        batch_size=256,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
        # one group per hidden layer, named as LayerLRScaler expects
        optimizer__param_groups=[("0.*", {"name": "0"}), ("2.*", {"name": "2"})],
    )


@pytest.mark.parametrize("n", [1500, 6000])
def test_a_refresh_reads_probe_size_rows_whatever_the_rows(n, monkeypatch):
    """Check that each refresh of the monitor and LR scaler hands the probe at
    most probe_size rows (its cost does not grow with n), in one pass, and
    that the monitor's last reading is that of all the training rows."""
    handed = []
    for name in ("observe", "per_class_stress"):
        original = getattr(VitalityProbe, name)

        def spy(self, X, *args, _original=original, **kwargs):
            handed.append(len(X))
            return _original(self, X, *args, **kwargs)

        monkeypatch.setattr(VitalityProbe, name, spy)
    X, y = _data(n=n)
    module = _net()
    counter = _RowCounter(module)
    monitor = VitalityMonitor(reset=False, probe_size=70)
    scaler = LayerLRScaler(probe_size=70)
    _skorch(module, [scaler, monitor], epochs=3).fit(X, y)
    assert len(handed) == len(counter.rows) == 6  # 3 epochs x (scaler + monitor)
    assert max(handed) <= 70 and max(counter.rows) <= 70
    expected = VitalityProbe(module, probe_size=70).per_class_stress(X, y)
    np.testing.assert_array_equal(monitor.class_stress_, expected)


def test_probe_batch_is_dropped_when_training_ends():
    """Check that a fitted callback keeps no probe rows (pickles stay small)."""
    X, y = _data()
    monitor = VitalityMonitor(probe_size=50)
    _skorch(_net(), [monitor], epochs=1).fit(X, y)
    assert monitor.probe_X_ is None and monitor.probe_y_ is None
    assert monitor.class_stress_ is not None
