"""Public API of skvitalroute.callbacks: names, parameters, per-fit state."""

import inspect
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch import NeuralNetClassifier

import skvitalroute.callbacks as cbs
from skvitalroute.nn._losses import LogitAdjustedLoss

API_DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"

CALLBACKS = [
    cbs.ClassStressSampler(strength=0.5, random_state=0),
    cbs.HardSampleSampler(beta=2.0, random_state=0),
    cbs.LayerLRScaler(alpha=2.0),
    cbs.TransferWarmStart([("p", torch.nn.Linear(4, 8))], freeze=False),
    cbs.VitalityMonitor(reset_threshold=0.2),
    cbs.DivergenceGuard(probe_size=16),
    cbs.ClassOverlapTilt(strength=0.3),
]


def _documented_names(module_name):
    """The names docs/api.md lists under ``.. currentmodule:: <module_name>``."""
    text = API_DOCS.read_text(encoding="utf-8")
    block = text.split(f".. currentmodule:: {module_name}\n", 1)[1].split("```")[0]
    entries = block.split(":nosignatures:", 1)[1].split()
    assert entries, f"docs/api.md lists no name under {module_name}"
    return entries


def test_all_lists_the_public_names():
    """Check that __all__ holds the documented public names, all importable."""
    documented = _documented_names("skvitalroute.callbacks")
    assert sorted(cbs.__all__) == sorted(documented)
    assert len(documented) == len(set(documented)) == 8
    assert all(hasattr(cbs, name) for name in cbs.__all__)


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def _net_with(callback):
    """A small net holding ``callback``, and its training data."""
    module = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
    )
    # the tilt offsets the logit-adjusted loss: it needs that criterion
    tilt = isinstance(callback, cbs.ClassOverlapTilt)
    criterion = LogitAdjustedLoss if tilt else torch.nn.CrossEntropyLoss
    net = NeuralNetClassifier(
        module,
        criterion=criterion,
        max_epochs=1,
        train_split=None,
        verbose=0,
        callbacks=[callback],
        **({"criterion__prior": [0.5, 0.5]} if tilt else {}),
    )
    return (net, *_data())


def _fit(net, callback, X, y, method="fit"):
    # a plain optimizer has no per-layer groups: the scaler says so
    warns = isinstance(callback, cbs.LayerLRScaler)
    with pytest.warns(UserWarning) if warns else nullcontext():
        getattr(net, method)(X, y)


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda cb: type(cb).__name__)
def test_only_parameters_in_get_params_before_and_after_fit(callback):
    """Check that get_params lists constructor arguments only, also after a fit."""
    signature = inspect.signature(type(callback).__init__)
    names = sorted(p for p in signature.parameters if p != "self")
    assert sorted(callback.get_params()) == names
    net, X, y = _net_with(callback)
    _fit(net, callback, X, y)
    assert sorted(callback.get_params()) == names
    twin = clone(callback)
    assert twin.get_params().keys() == callback.get_params().keys()


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda cb: type(cb).__name__)
def test_parameters_are_checked_once_per_fit(callback):
    """Check that a fit checks the parameters once (at initialize), and that
    a parameter set on the initialised net is checked when training resumes."""
    cls = type(callback)
    net, X, y = _net_with(callback)
    with mock.patch.object(
        cls, "_check_params", autospec=True, side_effect=cls._check_params
    ) as check:
        _fit(net, callback, X, y)
        assert check.call_count == 1
        check.reset_mock()
        _fit(net, callback, X, y, "partial_fit")  # nothing was set since
        assert check.call_count == 0
    if cls is cbs.TransferWarmStart:
        return  # it acts on the first fit only, not when training resumes
    net.set_params(**{f"callbacks__{cls.__name__}__probe_size": 0})
    with pytest.raises(ValueError, match="probe_size"):
        net.partial_fit(X, y)
