"""Fused Adam by default: the same updates as torch's default Adam, faster."""

import numpy as np
import pytest
import torch

import skvitalroute._classifier._optim as optim
from skvitalroute import VitalRouteClassifier
from skvitalroute._classifier._optim import build_optimizer


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    return rng.normal(size=(len(y), 6)) + y[:, None], y


def _fit(**params):
    X, y = _data()
    clf = VitalRouteClassifier(
        hidden_units=(16, 8), max_epochs=8, lr=0.01, random_state=0, **params
    )
    return clf.fit(X, y)


def _fused_supported():
    params = [torch.nn.Parameter(torch.zeros(2))]
    return build_optimizer(torch.optim.Adam, (params,), {}).defaults["fused"]


@pytest.mark.parametrize(
    "params",
    [dict(), dict(tactics=("lr_scale",)), dict(optimizer=torch.optim.AdamW)],
    ids=["Adam", "Adam, one group per layer", "AdamW"],
)
def test_fused_adam_updates_match_the_default_adam(params):
    """Check that the default optimizer is torch's fused kernel where it
    exists, and that its loss curve and final parameters match the
    unfused optimizer's within float32 tolerance."""
    fast = _fit(**params)
    plain = _fit(optimizer__fused=False, optimizer__foreach=False, **params)
    assert plain.optimizer_.defaults["fused"] is False
    if _fused_supported():
        assert fast.optimizer_.defaults["fused"] is True
    np.testing.assert_allclose(
        fast.history[:, "train_loss"], plain.history[:, "train_loss"], rtol=1e-4
    )
    for a, b in zip(fast.module_.parameters(), plain.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_user_settings_and_other_optimizers_are_built_as_given():
    """Check that a user's fused/foreach choice is kept and that other
    optimizers get no extra argument."""
    assert _fit(optimizer__foreach=True).optimizer_.defaults["foreach"] is True
    assert _fit(optimizer__foreach=True).optimizer_.defaults["fused"] is None
    sgd = _fit(optimizer=torch.optim.SGD).optimizer_
    assert sgd.defaults["foreach"] is None and sgd.defaults["fused"] is None


def test_unsupported_fused_kernel_falls_back(monkeypatch):
    """Check that an optimizer whose fused kernel is refused is built with
    the next implementation (foreach) instead of failing."""

    class NoFused(torch.optim.Adam):
        def __init__(self, params, fused=None, **kwargs):
            if fused:
                raise RuntimeError("fused=True requires supported devices")
            super().__init__(params, fused=fused, **kwargs)

    monkeypatch.setattr(optim, "_FUSABLE", (NoFused,))
    params = [torch.nn.Parameter(torch.zeros(2))]
    opt = build_optimizer(NoFused, (params,), {"lr": 0.1})
    assert opt.defaults["foreach"] is True and not opt.defaults["fused"]
