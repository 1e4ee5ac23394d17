"""The fast training epoch: skorch's epoch, without its unheard per-batch calls."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback, EpochScoring

from skvitalroute import VitalRouteClassifier
from skvitalroute._classifier import _loop

FAST = dict(hidden_units=(8,), batch_size=16, probe_size=64, max_epochs=3)


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=100, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


class BatchListener(Callback):
    """Records what skorch hands a per-batch callback."""

    def on_train_begin(self, net, **kwargs):
        self.calls_ = []

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        self.calls_.append(("begin", training, len(net.history[-1]["batches"])))

    def on_grad_computed(self, net, named_parameters, batch=None, training=None,
                         **kwargs):
        names = [name for name, _ in named_parameters]
        self.calls_.append(("grad", training, len(names)))

    def on_batch_end(self, net, batch=None, training=None, loss=None, y_pred=None,
                     **kwargs):
        record = dict(net.history[-1]["batches"][-1])
        self.calls_.append(("end", training, loss.item(), tuple(y_pred.shape), record))


def _uses_fast_epoch(monkeypatch):
    seen = []
    original = _loop.fast_epoch

    def spy(*args, **kwargs):
        seen.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr("skvitalroute._classifier._hooks.fast_epoch", spy)
    return seen


def _params(clf):
    return [p.detach().clone() for p in clf.module_.parameters()]


@pytest.mark.parametrize("tactics", ["none", "auto", ("class",), ("lr_scale",)])
def test_fast_epoch_trains_exactly_as_skorch_epoch(data, monkeypatch, tactics):
    """Check the fast epoch gives skorch's losses, records and parameters."""
    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    fast = VitalRouteClassifier(tactics=tactics, random_state=0, **FAST).fit(X, y)
    assert len(seen) == FAST["max_epochs"]
    seen.clear()
    listener = BatchListener()  # a per-batch callback: skorch's own epoch
    slow = VitalRouteClassifier(
        tactics=tactics, random_state=0, callbacks=[listener], **FAST
    ).fit(X, y)
    assert not seen
    for a, b in zip(fast.history, slow.history, strict=True):
        assert a["batches"] == b["batches"]
        assert a["train_batch_count"] == b["train_batch_count"] == len(a["batches"])
        assert a["train_loss"] == b["train_loss"]
    for a, b in zip(_params(fast), _params(slow), strict=True):
        assert torch.equal(a, b)


def test_batch_callbacks_get_skorch_calls(data):
    """Check a per-batch callback sees skorch's calls, records and arguments."""
    X, y = data
    listener = BatchListener()
    clf = VitalRouteClassifier(tactics="none", random_state=0, callbacks=[listener],
                               **{**FAST, "max_epochs": 1}).fit(X, y)
    n_batches = len(clf.history[-1]["batches"])
    assert n_batches == 7  # 100 rows, 16 a batch
    kinds = [call[0] for call in listener.calls_]
    assert kinds == ["begin", "grad", "end"] * n_batches
    n_params = len(list(clf.module_.parameters()))
    for i in range(n_batches):
        begin, grad, end = listener.calls_[3 * i: 3 * i + 3]
        assert begin == ("begin", True, i + 1)  # after the net's new_batch
        assert grad == ("grad", True, n_params)
        assert end[1] is True and end[3] == (16 if i < 6 else 4, 3)
        assert end[4] == {"train_loss": end[2], "train_batch_size": end[3][0]}


def test_training_scoring_gets_skorch_epoch(data, monkeypatch):
    """Check an EpochScoring of training batches turns the fast epoch off."""
    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    score = EpochScoring("accuracy", on_train=True, name="train_acc")
    clf = VitalRouteClassifier(tactics="none", random_state=0, callbacks=[score],
                               **FAST).fit(X, y)
    assert not seen
    assert 0 <= clf.history[-1, "train_acc"] <= 1


def test_validation_split_uses_fast_training_epochs(data, monkeypatch):
    """Check a validation split keeps skorch's valid_loss and valid_acc."""
    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    clf = VitalRouteClassifier(tactics="none", random_state=0, train_split=0.2,
                               **FAST).fit(X, y)
    assert len(seen) == FAST["max_epochs"]
    last = clf.history[-1]
    assert np.isfinite(last["valid_loss"]) and 0 <= last["valid_acc"] <= 1
    assert all("valid_loss" in b for b in last["batches"][last["train_batch_count"]:])


def test_overridden_step_gets_skorch_epoch(data, monkeypatch):
    """Check a subclass overriding a step method gets skorch's epoch."""

    class Counted(VitalRouteClassifier):
        def train_step_single(self, batch, **fit_params):
            self.steps_ = getattr(self, "steps_", 0) + 1
            return super().train_step_single(batch, **fit_params)

    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    clf = Counted(tactics="none", random_state=0, **FAST).fit(X, y)
    assert not seen
    assert clf.steps_ == 3 * 7


@pytest.mark.parametrize("method", ["infer", "get_loss"])
def test_overridden_infer_or_loss_is_called_by_the_fast_epoch(data, monkeypatch, method):
    """Check that the fast epoch, which hands a tensor batch straight to the
    module and the criterion, still calls a subclass's own ``infer`` or
    ``get_loss`` on every training batch."""

    def counted(self, *args, **kwargs):
        self.calls_ = getattr(self, "calls_", 0) + 1
        return getattr(VitalRouteClassifier, method)(self, *args, **kwargs)

    Counted = type("Counted", (VitalRouteClassifier,), {method: counted})
    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    clf = Counted(tactics="none", random_state=0, **FAST).fit(X, y)
    assert seen
    training_calls = 3 * 7
    assert clf.calls_ >= training_calls  # and the monitor's or predictions' calls
    plain = VitalRouteClassifier(tactics="none", random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))


def test_lbfgs_gets_skorch_epoch(data, monkeypatch):
    """Check an optimizer that re-evaluates its closure gets skorch's epoch."""
    X, y = data
    seen = _uses_fast_epoch(monkeypatch)
    clf = VitalRouteClassifier(tactics="none", random_state=0,
                               optimizer=torch.optim.LBFGS, lr=0.1, **FAST)
    clf.fit(X, y)
    assert not seen
    assert np.isfinite(clf.history[-1, "train_loss"])


@pytest.mark.parametrize("on_host", [True, False])
def test_guard_stops_at_first_nonfinite_batch(data, monkeypatch, on_host):
    """Check the guard names the first non-finite batch, also when the losses
    stay on the device until the end of the epoch (as on a GPU)."""
    X, y = data
    monkeypatch.setattr(_loop, "_on_host", lambda net: on_host)

    clf = VitalRouteClassifier(tactics="none", random_state=0, **FAST)
    original = clf.get_loss
    calls = []

    def get_loss(y_pred, y_true, X=None, training=False):
        loss = original(y_pred, y_true, X=X, training=training)
        if training:
            calls.append(1)
            if len(calls) == 7 + 5:  # epoch 2, batch 5
                return loss * float("nan")
        return loss

    monkeypatch.setattr(clf, "get_loss", get_loss)
    with pytest.raises(ValueError, match="epoch 2: the loss of batch 5 is nan"):
        clf.fit(X, y)
    assert len(clf.history[-1]["batches"]) == 5
    assert np.isnan(clf.history[-1]["batches"][-1]["train_loss"])


def test_interrupted_epoch_keeps_records_of_its_batches(data, monkeypatch):
    """Check the batches run before an interrupt keep their history records."""
    X, y = data
    clf = VitalRouteClassifier(tactics="none", random_state=0, **FAST)
    original = clf.infer
    calls = []

    def infer(x, **fit_params):
        if torch.is_grad_enabled():
            calls.append(1)
            if len(calls) == 7 + 3:  # epoch 2, batch 3
                raise KeyboardInterrupt
        return original(x, **fit_params)

    monkeypatch.setattr(clf, "infer", infer)
    clf.fit(X, y)  # skorch ends the fit at a KeyboardInterrupt
    assert len(clf.history) == 2
    assert [sorted(b) for b in clf.history[-1]["batches"]] == [
        ["train_batch_size", "train_loss"]
    ] * 2


def test_logit_adjusted_offset_follows_the_tilt(data):
    """Check the cached logit offset follows in-place changes and tau."""
    from skvitalroute.nn._losses import LogitAdjustedLoss

    prior = torch.tensor([0.5, 0.3, 0.2])
    loss = LogitAdjustedLoss(prior, tau=1.0)
    logits = torch.randn(5, 3, requires_grad=True)
    target = torch.tensor([0, 1, 2, 0, 1])

    def expected(tau, offset):
        return torch.nn.functional.cross_entropy(
            logits + tau * torch.log(prior) + offset, target
        )

    assert torch.allclose(loss(logits, target), expected(1.0, 0.0))
    offset = torch.tensor([0.3, 0.0, -0.2])
    loss.class_offset.copy_(offset)  # what the class tilt does
    assert torch.allclose(loss(logits, target), expected(1.0, offset))
    loss.tau = 0.5
    assert torch.allclose(loss(logits, target), expected(0.5, offset))
    loss(logits, target).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    assert torch.allclose(loss.double()(logits.double(), target),
                          expected(0.5, offset).double())


def test_quiet_epoch_log_prints_nothing_and_verbose_prints_table(data, capsys):
    """Check verbose=0 prints nothing and verbose=1 prints skorch's table."""
    X, y = data
    VitalRouteClassifier(tactics="none", random_state=0, **FAST).fit(X, y)
    assert capsys.readouterr().out == ""
    VitalRouteClassifier(tactics="none", random_state=0, verbose=1, **FAST).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert "train_loss" in out[0] and len(out) == 2 + FAST["max_epochs"]
