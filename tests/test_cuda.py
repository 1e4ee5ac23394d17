"""device="cuda": fit, predict, save, load and the probe on a GPU.

Every test is marked ``cuda`` and skips where ``torch.cuda.is_available()``
is False (the project's CPU-only machine: they have not run there; see
docs/scaling.md). ``benchmarks/bench_gpu.py`` times the same paths.
"""

import os
import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from skvitalroute import VitalityProbe, VitalRouteClassifier
from skvitalroute._data._iterator import ArrayBatches

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

FAST = dict(hidden_units=(16,), batch_size=32, probe_size=128, max_epochs=3,
            random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=400, n_features=8, n_informative=5, n_classes=3,
        weights=[0.6, 0.3, 0.1], random_state=0,
    )


def _on_cuda(module):
    return all(p.is_cuda for p in module.parameters())


@pytest.mark.parametrize("tactics", ["none", "auto"])
def test_fit_predict_on_cuda_matches_cpu(data, tactics):
    """Check a GPU fit predicts like the CPU fit, up to float rounding."""
    X, y = data
    cpu = VitalRouteClassifier(tactics=tactics, device="cpu", **FAST).fit(X, y)
    gpu = VitalRouteClassifier(tactics=tactics, device="cuda", **FAST).fit(X, y)
    assert _on_cuda(gpu.module_)
    proba = gpu.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba, cpu.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(
        [e["train_loss"] for e in gpu.history],
        [e["train_loss"] for e in cpu.history], rtol=1e-3,
    )
    assert "vitality_mean_stasis" in gpu.history[-1]  # the monitor read on the GPU


def test_fast_path_batches_are_already_on_the_gpu(data, monkeypatch):
    """Check the training batches reach the module on the GPU (moved once per
    fit, not per batch) and the batch records hold floats."""
    X, y = data
    clf = VitalRouteClassifier(tactics="none", device="cuda", **FAST)
    devices, iterators = [], []
    original_infer, original_iterator = clf.infer, clf.get_iterator

    def infer(x, **fit_params):
        if torch.is_grad_enabled():
            devices.append(x.device.type)
        return original_infer(x, **fit_params)

    def get_iterator(dataset, training=False):
        batches = original_iterator(dataset, training=training)
        iterators.append(batches)
        return batches

    monkeypatch.setattr(clf, "infer", infer)
    monkeypatch.setattr(clf, "get_iterator", get_iterator)
    clf.fit(X, y)
    assert devices and set(devices) == {"cuda"}
    train = [b for b in iterators if isinstance(b, ArrayBatches)]
    assert train and train[0].X.is_cuda and train[0].y.is_cuda
    for epoch in clf.history:
        assert all(isinstance(b["train_loss"], float) for b in epoch["batches"])


@pytest.mark.parametrize("tactics", [("class",), ("hard", "lr_scale"), ("reset",),
                                     ("tilt",)])
def test_tactics_run_on_cuda(data, tactics):
    """Check each tactic's readings and draws run with the module on the GPU."""
    X, y = data
    clf = VitalRouteClassifier(tactics=tactics, device="cuda", **FAST).fit(X, y)
    assert _on_cuda(clf.module_)
    assert np.isfinite(clf.history[-1, "train_loss"])
    assert clf.predict(X).shape == (len(X),)


def test_probe_reads_a_module_on_cuda(data):
    """Check the probe reads a fitted GPU module with CPU input."""
    X, y = data
    clf = VitalRouteClassifier(tactics="none", device="cuda", **FAST).fit(X, y)
    with VitalityProbe(clf.module_) as probe:
        rates = probe.observe(X.astype(np.float32), y).stasis_rates()
        stress = probe.per_class_stress(X.astype(np.float32), y)
    assert set(rates) == set(probe.layer_names())
    assert len(stress) == 3
    assert _on_cuda(clf.module_)


def test_save_load_between_cuda_and_cpu(data, tmp_path):
    """Check saved GPU parameters load on the GPU and on the CPU, and pickle."""
    X, y = data
    gpu = VitalRouteClassifier(tactics="none", device="cuda", **FAST).fit(X, y)
    files = dict(f_params=os.fspath(tmp_path / "params.pt"),
                 f_labels=os.fspath(tmp_path / "labels.json"))
    gpu.save_params(**files)
    expected = gpu.predict_proba(X)
    for device in ("cuda", "cpu"):
        new = VitalRouteClassifier(tactics="none", device=device, **FAST)
        new.load_params(**files)
        assert next(new.module_.parameters()).device.type == device
        np.testing.assert_allclose(new.predict_proba(X), expected, atol=1e-5)
    again = pickle.loads(pickle.dumps(gpu))
    assert _on_cuda(again.module_)
    np.testing.assert_array_equal(again.predict_proba(X), expected)


def test_divergence_guard_on_cuda(data):
    """Check a diverging GPU fit stops with the guard's error, finite after."""
    X, y = data
    clf = VitalRouteClassifier(
        tactics="none", device="cuda", optimizer=torch.optim.SGD, lr=10.0,
        **{**FAST, "max_epochs": 20},
    )
    with pytest.raises(ValueError, match="Training diverged"):
        clf.fit(X * 100, y)
    assert np.isfinite(clf.predict_proba(X * 100)).all()
