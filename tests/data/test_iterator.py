"""The array batch iterator: the DataLoader's batches, without per-row fetches."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset
from torch.utils.data._utils.collate import default_collate

from skvitalroute import VitalRouteClassifier
from skvitalroute._data._iterator import ArrayBatches, batch_iterator
from skvitalroute.callbacks._resampling import RowSampler

N = 103


def _arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 4)).astype(np.float32)
    return X, rng.integers(0, 3, N), rng.random(N).astype(np.float32)


def _datasets():
    X, y, w = _arrays()
    order = np.random.default_rng(1).permutation(N)
    return {
        "arrays": Dataset(X, y),
        "no y": Dataset(X, None),
        "tensors": Dataset(torch.as_tensor(X), torch.as_tensor(y)),
        "dict with sample_weight": Dataset({"X": X, "sample_weight": w}, y),
        "subset": Subset(Dataset(X, y), order[:80]),
        "subset of a subset": Subset(Subset(Dataset(X, y), order[:80]), range(5, 70)),
    }


def _epochs(iterator, n_epochs=2):
    return [list(iterator) for _ in range(n_epochs)]


def _assert_same(a, b):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            _assert_same(a[key], b[key])
        return
    if isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _assert_same(u, v)
        return
    assert a.dtype == b.dtype and a.shape == b.shape
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", list(_datasets()))
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(batch_size=16),
        dict(batch_size=16, shuffle=True),
        dict(batch_size=16, shuffle=True, drop_last=True),
        dict(batch_size=200, shuffle=True),
    ],
    ids=["in order", "shuffled", "drop_last", "one batch"],
)
def test_same_batches_as_the_dataloader(name, kwargs):
    """Check that two epochs give exactly the DataLoader's batches (rows,
    order, types, dtypes, shapes) for the same seed, and leave torch's global
    random stream where the DataLoader leaves it."""
    dataset = _datasets()[name]
    fast = batch_iterator(DataLoader, dataset, **kwargs)
    assert isinstance(fast, ArrayBatches)
    torch.manual_seed(3)
    got, after_fast = _epochs(fast), torch.rand(1)
    torch.manual_seed(3)
    loader = DataLoader(dataset, **kwargs)
    expected, after_loader = _epochs(loader), torch.rand(1)
    _assert_same(got, expected)
    assert len(fast) == len(loader)
    assert after_fast == after_loader


def test_row_sampler_draws_the_same_rows_as_through_the_dataloader():
    """Check that a RowSampler gives the same epochs through both iterators:
    its index tensor is the rows it yields one by one."""
    dataset = _datasets()["subset"]
    p = np.linspace(1.0, 2.0, len(dataset))
    samplers = [RowSampler(seed=5), RowSampler(seed=5)]
    for sampler in samplers:
        sampler.set_probabilities(p / p.sum())
    fast = batch_iterator(DataLoader, dataset, batch_size=8, sampler=samplers[0])
    assert isinstance(fast, ArrayBatches)
    loader = DataLoader(dataset, batch_size=8, sampler=samplers[1])
    _assert_same(_epochs(fast, 3), _epochs(loader, 3))


@pytest.mark.parametrize(
    "kwargs",
    [dict(batch_size=8, num_workers=1), dict(batch_size=8, collate_fn=default_collate)],
    ids=["workers", "collate_fn"],
)
def test_other_dataloader_settings_get_the_dataloader(kwargs):
    """Check that settings the fast path does not reproduce keep the
    DataLoader."""
    iterator = batch_iterator(DataLoader, _datasets()["arrays"], **kwargs)
    assert isinstance(iterator, DataLoader)


class _LaterRowsShifted(Dataset):
    """A user's Dataset whose items are not its rows past the first batches
    (a custom __getitem__), so the first rows alone do not tell."""

    def __getitem__(self, i):
        X, y = super().__getitem__(i)
        return (X + 100.0 if i >= N // 2 else X), y


def test_datasets_whose_items_are_not_their_rows_get_the_dataloader():
    """Check that a custom ``__getitem__`` or a pandas X (which skorch splits
    into columns) keeps the DataLoader, and its batches."""
    pd = pytest.importorskip("pandas")
    X, y, _ = _arrays()
    frame = pd.DataFrame(X, columns=list("abcd"))
    for dataset in (_LaterRowsShifted(X, y), Dataset(frame, y)):
        iterator = batch_iterator(DataLoader, dataset, batch_size=8)
        assert isinstance(iterator, DataLoader)
        _assert_same(list(iterator), list(DataLoader(dataset, batch_size=8)))


class _Shifted(Dataset):
    """A user's Dataset: items are transformed, so they are not the arrays."""

    def transform(self, X, y):
        X, y = super().transform(X, y)
        return X + 100.0, y


class _RowRecorder(Callback):
    """Record the labels of every training batch, by epoch."""

    def on_epoch_begin(self, net, **kwargs):
        self.epochs_ = getattr(self, "epochs_", []) + [[]]

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.epochs_[-1].append(batch[1].clone())


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [60, 30, 30])
    X = rng.normal(size=(len(y), 5)) + y[:, None]
    return X, y


FIT = dict(hidden_units=(8,), max_epochs=3, random_state=0)


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(train_split=0.25),
        dict(tactics=("hard",)),
        dict(tactics=("class",), train_split=0.25),
    ],
    ids=["shuffled", "validation split", "hard sampler", "class sampler + split"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_fit_trains_on_the_same_rows_as_the_dataloader(params, weighted):
    """Check that a fit on arrays (fast path) sees the same rows per epoch as
    with torch's DataLoader (forced by a collate_fn) for the same seed, and
    ends with the same history and parameters."""
    X, y = _data()
    weight = np.linspace(0.5, 2.0, len(y)) if weighted else None
    runs = []
    for generic in (False, True):
        recorder = _RowRecorder()
        extra = dict(iterator_train__collate_fn=default_collate) if generic else {}
        clf = VitalRouteClassifier(callbacks=[recorder], **FIT, **params, **extra)
        clf.fit(X, y, sample_weight=weight)
        runs.append((recorder.epochs_, clf))
    (fast_rows, fast), (slow_rows, slow) = runs
    assert type(fast.get_iterator(fast.get_dataset(X), training=True)) is ArrayBatches
    _assert_same(fast_rows, slow_rows)
    for key in ("train_loss", "vitality_mean_stasis"):
        np.testing.assert_allclose(
            fast.history[:, key], slow.history[:, key], rtol=1e-5
        )
    for a, b in zip(fast.module_.parameters(), slow.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_a_users_dataset_still_trains_and_predicts():
    """Check that a user's Dataset class (``dataset=``) goes through the
    DataLoader: its transform is applied in training and prediction, with the
    same result as the transformed arrays on the fast path."""
    X, y = _data()
    custom = VitalRouteClassifier(dataset=_Shifted, **FIT).fit(X, y)
    iterator = custom.get_iterator(custom.get_dataset(X), training=True)
    assert isinstance(iterator, DataLoader)
    plain = VitalRouteClassifier(**FIT).fit(X + 100.0, y)
    np.testing.assert_allclose(
        custom.history[:, "train_loss"], plain.history[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        custom.predict_proba(X), plain.predict_proba(X + 100.0), rtol=1e-5, atol=1e-7
    )


def test_prediction_runs_on_large_batches_with_the_same_output():
    """Check that prediction on arrays uses 1024-row batches of the default
    module (unless iterator_valid__batch_size is set) and gives what batches
    of the training size give."""
    X, y = _data()
    X, y = np.repeat(X, 20, axis=0), np.repeat(y, 20)  # 2400 rows
    large = VitalRouteClassifier(**FIT).fit(X, y)
    small = VitalRouteClassifier(iterator_valid__batch_size=64, **FIT).fit(X, y)
    assert large.get_iterator(large.get_dataset(X), training=False).batch_size == 1024
    assert small.get_iterator(small.get_dataset(X), training=False).batch_size == 64
    np.testing.assert_allclose(
        large.predict_proba(X), small.predict_proba(X), rtol=1e-5, atol=1e-7
    )
    out = large.forward(X)
    assert out.shape == (len(X), 3) and out.dtype == torch.float32
