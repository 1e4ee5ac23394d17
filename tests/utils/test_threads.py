"""Thread control: small fits on one torch thread, the user's setting restored."""

import numpy as np
import pytest
import torch
from joblib import cpu_count
from skorch.callbacks import Callback

import skvitalroute._sampler._estimator as sampler_module
from skvitalroute import VitalitySampler, VitalRouteClassifier
from skvitalroute._utils._threads import fit_threads, torch_threads
from skvitalroute.nn import MLPModule


class _SeenThreads(Callback):
    """Record torch's thread count at every training batch."""

    def on_train_begin(self, net, **kwargs):
        self.seen_ = set()

    def on_batch_begin(self, net, **kwargs):
        self.seen_.add(torch.get_num_threads())


@pytest.fixture
def user_threads():
    """The user's own setting (2 threads) around a test, restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    return rng.normal(size=(60, 4)) + y[:, None], y


# n_jobs is at most the CPU count (docs/reliability.md, "Constructor arguments")
@pytest.mark.parametrize(
    "n_jobs, inside", [(None, 1), (1, 1), (cpu_count(), cpu_count())]
)
def test_fit_and_predict_use_n_jobs_threads_and_restore_the_users(
    user_threads, n_jobs, inside
):
    """Check the thread count during fit (None: one thread for a small
    network) and that the user's setting is back after fit and predict."""
    X, y = _data()
    seen = _SeenThreads()
    clf = VitalRouteClassifier(
        hidden_units=(8,),
        max_epochs=2,
        n_jobs=n_jobs,
        callbacks=[seen],
        random_state=0,
    )
    clf.fit(X, y)
    assert seen.seen_ == {inside}
    assert torch.get_num_threads() == user_threads
    clf.partial_fit(X, y)
    clf.predict_proba(X)
    assert torch.get_num_threads() == user_threads


class _Fail(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("stopped by a callback")


def test_setting_is_restored_when_training_fails(user_threads):
    """Check that a fit stopped by an error still restores the threads."""
    X, y = _data()
    clf = VitalRouteClassifier(hidden_units=(8,), max_epochs=2, callbacks=[_Fail()])
    with pytest.raises(RuntimeError, match="stopped by a callback"):
        clf.fit(X, y)
    assert torch.get_num_threads() == user_threads


def test_large_networks_and_explicit_counts():
    """Check the rule: one thread below SMALL_STEP_FLOPS per step, torch's
    own setting above, and n_jobs as in scikit-learn (-1: every core)."""
    small, large = MLPModule(64, 10), MLPModule(64, 10, (2048, 2048))
    assert fit_threads(None, small, 64) == 1
    assert fit_threads(None, large, 512) is None
    assert fit_threads(None, small, 64, device="cuda") is None
    assert fit_threads(None, small, -1) is None
    assert fit_threads(2, large, 512) == 2
    import joblib

    assert fit_threads(-1, small, 64) == joblib.cpu_count()
    with torch_threads(None):
        assert torch.get_num_threads() >= 1


def test_sampler_trains_its_probe_on_one_thread(user_threads, monkeypatch):
    """Check that VitalitySampler's default probe network trains on one
    thread and the user's setting is restored afterwards."""
    seen = _SeenThreads()
    build = sampler_module.VitalitySampler._default_network

    def with_spy(self, n_features, n_classes):
        pipe = build(self, n_features, n_classes)
        pipe[-1].set_params(callbacks=[seen])
        return pipe

    monkeypatch.setattr(sampler_module.VitalitySampler, "_default_network", with_spy)
    X, y = _data()
    VitalitySampler(probe_epochs=1, random_state=0).fit_resample(X, y)
    assert seen.seen_ == {1}
    assert torch.get_num_threads() == user_threads


@pytest.mark.parametrize("value, error", [(0, ValueError), (1.5, TypeError)])
def test_n_jobs_is_validated_before_training(value, error):
    """Check that a bad n_jobs is refused by name."""
    X, y = _data()
    with pytest.raises(error, match="n_jobs"):
        VitalRouteClassifier(n_jobs=value).fit(X, y)
