"""The monitor's reading schedule, and a reading for the last epoch of a fit."""

import math

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks import VitalityMonitor

KEY = "vitality_mean_stasis"


def _data(n=120, n_classes=3):
    rng = np.random.default_rng(0)
    y = np.arange(n) % n_classes
    return rng.normal(size=(n, 5)) + y[:, None], y


def _read_epochs(net):
    return [row["epoch"] for row in net.history if KEY in row]


def _stopper():
    # stops after 2 epochs: no epoch improves train_loss by a factor of 2
    return EarlyStopping(monitor="train_loss", patience=2, threshold=0.5)


FAST = dict(hidden_units=(8,), random_state=0)


@pytest.mark.parametrize("refresh", [1, 3, "auto"])
def test_early_stopping_leaves_no_epoch_of_the_fit_without_its_last_reading(refresh):
    """Check that when EarlyStopping ends a fit (it stops inside on_epoch_end,
    before the monitor), the last epoch still has a reading, and with
    monitor_refresh=1 every epoch has one."""
    X, y = _data()
    clf = VitalRouteClassifier(
        max_epochs=40, monitor_refresh=refresh, callbacks=[_stopper()], **FAST
    ).fit(X, y)
    n_epochs = len(clf.history)
    assert 2 < n_epochs < 40
    assert KEY in clf.history[-1]
    assert clf.history[-1, "vitality_resets"] == 0
    if refresh == 1:
        assert _read_epochs(clf) == list(range(1, n_epochs + 1))


def test_last_reading_is_taken_before_early_stopping_restores_weights():
    """Check that the last epoch's reading is of that epoch's weights, not of
    the best epoch's that EarlyStopping(load_best=True) loads at the end."""
    X, y = _data()

    class Spy(Callback):
        def on_train_end(self, net, **kwargs):
            self.read_before_ = KEY in net.history[-1]

    spy = Spy()
    stop = _stopper()
    stop.load_best = True
    VitalRouteClassifier(max_epochs=40, callbacks=[stop, spy], **FAST).fit(X, y)
    assert spy.read_before_


@pytest.mark.parametrize(
    "refresh, epochs, expected",
    [
        (1, 4, [1, 2, 3, 4]),
        (3, 8, [1, 4, 7, 8]),
        (2, 5, [1, 3, 5]),
    ],
)
def test_refresh_reads_every_kth_epoch_and_the_last(refresh, epochs, expected):
    """Check which epochs have a reading for an explicit schedule."""
    X, y = _data()
    clf = VitalRouteClassifier(max_epochs=epochs, monitor_refresh=refresh, **FAST).fit(
        X, y
    )
    assert _read_epochs(clf) == expected


def test_auto_schedule_follows_the_size_of_a_reading():
    """Check "auto": one reading per ceil(10 p (1 + K / 100) / n) epochs
    without resets, every epoch under the reset tactic."""
    X, y = _data(400, 3)
    clf = VitalRouteClassifier(max_epochs=9, probe_size=256, **FAST).fit(X, y)
    monitor = dict(clf.callbacks_)["vitality_monitor"]
    k = math.ceil(10 * 256 * (1 + 3 / 100) / 400)
    assert monitor.refresh_every_ == k == 7
    assert _read_epochs(clf) == [1, 8, 9]
    reset = VitalRouteClassifier(
        max_epochs=4, probe_size=256, tactics=("reset",), **FAST
    ).fit(X, y)
    assert _read_epochs(reset) == [1, 2, 3, 4]


def test_large_training_sets_are_read_every_epoch():
    """Check that with 10 x the probe rows per epoch, "auto" reads every
    epoch."""
    X, y = _data(2000, 2)
    clf = VitalRouteClassifier(max_epochs=3, probe_size=64, **FAST).fit(X, y)
    assert _read_epochs(clf) == [1, 2, 3]


def test_plain_skorch_net_gets_its_last_reading():
    """Check the callback alone: a plain skorch net stopped early by
    EarlyStopping listed before the monitor still has the last reading."""
    X, y = _data()
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    monitor = VitalityMonitor(reset=False, refresh_every=5)
    net = NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=40,
        train_split=None,
        verbose=0,
        callbacks=[_stopper(), monitor],
    ).fit(X.astype(np.float32), y)
    assert 2 < len(net.history) < 40
    assert _read_epochs(net)[0] == 1 and KEY in net.history[-1]
    assert monitor.dataset_train_ is None and monitor.train_X_ is None


@pytest.mark.parametrize(
    "value, error",
    [(0, ValueError), (2.5, TypeError), ("every", ValueError), (True, TypeError)],
)
def test_monitor_refresh_is_validated_before_training(value, error):
    """Check that a bad monitor_refresh is refused by name."""
    X, y = _data()
    with pytest.raises(error, match="monitor_refresh"):
        VitalRouteClassifier(monitor_refresh=value, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="refresh_every"):
        VitalityMonitor(refresh_every=0).initialize()
