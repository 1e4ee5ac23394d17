"""Class-stress and hard-sample resampling callbacks in plain skorch nets."""

import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import chisquare
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit

from skvitalroute import VitalityProbe
from skvitalroute.callbacks import ClassStressSampler, HardSampleSampler

COUNTS = (150, 40, 10)


def _data(counts=COUNTS, seed=0):
    """Imbalanced blobs; column 0 holds the row id so batches reveal rows."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    X = rng.normal(size=(len(y), 4)) + y[:, None]
    X[:, 0] = np.arange(len(y))
    return X.astype(np.float32), y


class _Recorder(Callback):
    """Keep the row ids of every training and validation batch."""

    def initialize(self):
        self.train_, self.valid_ = [], []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        ids = batch[0][:, 0].numpy().astype(int)
        (self.train_ if training else self.valid_).append(ids)


def _net(callbacks, *, n_classes=3, max_epochs=4, **kwargs):
    module = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, n_classes)
    )
    params = dict(
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=max_epochs,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    return NeuralNetClassifier(module, callbacks=callbacks, **{**params, **kwargs})


def _fixed(monkeypatch, method, values):
    monkeypatch.setattr(VitalityProbe, method, lambda self, X, y, **kw: values.copy())


def test_class_sampler_draws_follow_the_formula(monkeypatch):
    """Check that the iterator yields each class as often as docs/tactics.md,
    "Class-stress sampling", says."""
    stress = np.array([0.0, 0.6, 0.2])
    _fixed(monkeypatch, "per_class_stress", stress)
    X, y = _data()
    rec = _Recorder()
    net = _net([ClassStressSampler(random_state=0), rec], max_epochs=5).fit(X, y)
    drawn = np.concatenate(rec.train_)
    assert len(drawn) == 5 * len(y)  # epoch length = n
    expected = 0.3 / 3 + 0.7 * softmax(4.0 * stress)
    share = np.bincount(y[drawn], minlength=3) / len(drawn)
    np.testing.assert_allclose(share, expected, atol=0.04)
    natural = np.array(COUNTS) / sum(COUNTS)
    assert share[1] > share[0] and share[1] > 2 * natural[1]  # stressed class leads
    np.testing.assert_allclose(net.history[-1, "vitality_class_probs"], expected)
    assert net.history[-1, "vitality_class_stress"] == stress.tolist()


def test_class_sampler_is_uniform_within_a_class(monkeypatch):
    """Check that the rows of one class are drawn equally often."""
    _fixed(monkeypatch, "per_class_stress", np.array([0.0, 0.6, 0.2]))
    X, y = _data()
    rec = _Recorder()
    _net([ClassStressSampler(random_state=1), rec], max_epochs=5).fit(X, y)
    drawn = np.concatenate(rec.train_)
    rows = np.flatnonzero(y == 1)
    per_row = np.bincount(drawn, minlength=len(y))[rows]
    assert per_row.min() > 0
    assert chisquare(per_row).pvalue > 1e-3


def test_class_sampler_never_drops_a_class(monkeypatch):
    """Check that every class is drawn every epoch, even with extreme stress."""
    _fixed(monkeypatch, "per_class_stress", np.array([1.0, 0.0, 0.0]))
    X, y = _data()
    rec = _Recorder()
    sampler = ClassStressSampler(strength=0.9, beta=10.0, random_state=0)
    _net([sampler, rec], max_epochs=3, batch_size=-1).fit(X, y)
    assert np.all(sampler.class_probs_ >= 0.1 / 3)
    for epoch in rec.train_:
        assert set(y[epoch]) == {0, 1, 2}


def test_class_sampler_reads_stress_every_refresh_epochs(monkeypatch):
    """Check that the class stress is read once per refresh, never per batch."""
    calls = []

    def fake(self, X, y):
        calls.append(len(X))
        return np.array([0.1, 0.5, 0.2])

    monkeypatch.setattr(VitalityProbe, "per_class_stress", fake)
    X, y = _data()
    _net([ClassStressSampler(refresh_every=2, random_state=0)], max_epochs=5).fit(X, y)
    assert calls == [len(y)] * 3  # epochs 1, 3, 5


def test_class_sampler_uses_real_probe_stress():
    """Check that a class whose rows silence the hidden units is drawn more."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0.5, 1.5, size=(120, 2)).astype(np.float32)
    y = (np.arange(120) >= 90).astype(np.int64)
    X[y == 1, 1] *= -1  # class 1: unit 1 never fires
    module = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2)
    )
    with torch.no_grad():
        module[0].weight.copy_(torch.eye(2))
        module[0].bias.zero_()
    sampler = ClassStressSampler(random_state=0)
    net = NeuralNetClassifier(
        module,
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=1,
        lr=0.0,
        train_split=None,
        verbose=0,
        callbacks=[sampler],
    )
    net.partial_fit(X, y)  # keeps the hand-set weights
    assert sampler.class_stress_[1] > sampler.class_stress_[0]
    assert sampler.class_probs_[1] > sampler.class_probs_[0]


def test_sampler_draws_only_training_rows_of_the_split(monkeypatch):
    """Check that with ValidSplit the draws come from the training split only."""
    _fixed(monkeypatch, "per_class_stress", np.array([0.0, 0.6, 0.2]))
    X, y = _data()
    rec = _Recorder()
    split = ValidSplit(5, stratified=True)
    net = _net([ClassStressSampler(random_state=0), rec], train_split=split)
    net.fit(X, y)
    valid = set(np.concatenate(rec.valid_))
    drawn = np.concatenate(rec.train_)
    assert len(valid) == len(y) // 5
    assert valid.isdisjoint(drawn)
    assert len(drawn) == 4 * (len(y) - len(valid))
    assert "valid_loss" in net.history[-1]


def test_plain_net_gets_its_iterator_settings_back(monkeypatch):
    """Check that fit installs the sampler and restores the user's settings."""
    _fixed(monkeypatch, "per_class_stress", np.array([0.0, 0.6, 0.2]))
    X, y = _data()
    sampler = ClassStressSampler(random_state=0)
    net = _net([sampler], max_epochs=1, iterator_train__shuffle=True).fit(X, y)
    assert net.iterator_train__shuffle is True
    assert "iterator_train__sampler" not in net.get_params()
    assert sampler.train_X_ is None  # the rows are not kept after fit
    net.fit(X, y)  # refits cleanly


def test_same_random_state_gives_same_draws(monkeypatch):
    """Check that an int random_state reproduces the draws."""
    _fixed(monkeypatch, "per_class_stress", np.array([0.0, 0.6, 0.2]))
    X, y = _data()
    runs = []
    for _ in range(2):
        rec = _Recorder()
        _net([ClassStressSampler(random_state=3), rec], max_epochs=2).fit(X, y)
        runs.append(np.concatenate(rec.train_))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_hard_sampler_draws_follow_the_formula(monkeypatch):
    """Check that stressed rows are drawn as often as docs/tactics.md,
    "Hard-sample sampling", says."""
    X, y = _data()
    stress = np.zeros(len(y))
    hard = np.arange(0, len(y), 20)  # 10 hard rows
    stress[hard] = 1.0
    _fixed(monkeypatch, "per_sample_stress", stress)
    rec = _Recorder()
    sampler = HardSampleSampler(random_state=0)
    _net([sampler, rec], max_epochs=5).fit(X, y)
    drawn = np.concatenate(rec.train_)
    expected = 0.4 / len(y) + 0.6 * softmax(3.0 * stress)
    np.testing.assert_allclose(sampler.probabilities_, expected)
    share_hard = np.isin(drawn, hard).mean()
    assert share_hard == pytest.approx(expected[hard].sum(), abs=0.04)
    assert share_hard > 3 * len(hard) / len(y)


def test_hard_sampler_with_real_probe_favours_misclassified_rows():
    """Check that rows the net gets wrong receive higher probabilities."""
    X, y = _data(counts=(40, 40), seed=1)
    y_wrong = y.copy()
    sampler = HardSampleSampler(random_state=0)
    net = _net([sampler], n_classes=2, max_epochs=1, lr=0.0)
    net.initialize()
    with torch.no_grad():  # a net that always says class 0, confidently
        net.module_[2].weight.zero_()
        net.module_[2].bias.copy_(torch.tensor([5.0, -5.0]))
    net.partial_fit(X, y_wrong)
    p = sampler.probabilities_
    assert p[y == 1].min() > p[y == 0].max()


@pytest.mark.parametrize(
    "cls, params, match",
    [
        (ClassStressSampler, {"strength": 1.5}, "strength"),
        (ClassStressSampler, {"beta": -1.0}, "beta"),
        (HardSampleSampler, {"refresh_every": 0}, "refresh_every"),
        (HardSampleSampler, {"probe_size": 0}, "probe_size"),
    ],
)
def test_invalid_parameters_raise(cls, params, match):
    """Check that bad parameters raise a ValueError naming them."""
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        _net([cls(**params)]).fit(X, y)


def test_sampler_without_labels_raises():
    """Check that a training set without labels gives a clear error."""
    X, y = _data()
    sampler = ClassStressSampler()
    net = _net([sampler]).initialize()
    sampler.on_train_begin(net)
    unlabeled = torch.utils.data.TensorDataset(torch.as_tensor(X))
    with pytest.raises(ValueError, match="needs labels"):
        sampler.on_epoch_begin(net, dataset_train=unlabeled)


def test_fitted_net_with_sampler_pickles_without_training_rows(monkeypatch):
    """Check that a fitted net pickles and its sampler keeps no training rows."""
    import pickle

    _fixed(monkeypatch, "per_class_stress", np.array([0.0, 0.6, 0.2]))
    X, y = _data()
    net = _net([ClassStressSampler(random_state=0)], max_epochs=1).fit(X, y)
    loaded = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(loaded.predict_proba(X), net.predict_proba(X))
    assert dict(loaded.callbacks_)["ClassStressSampler"].train_X_ is None
