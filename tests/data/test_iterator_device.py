"""The array iterator moves its arrays to the net's device once, not per batch."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset

from skvitalroute._data._iterator import ArrayBatches, batch_iterator


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return rng.random((100, 4), dtype=np.float32), np.arange(100)


@pytest.mark.parametrize("subset", [False, True])
def test_batches_are_made_on_the_device(arrays, subset):
    """Check every batch is on the device and the arrays moved there once
    (the meta device stands in for a GPU: it has no data to copy)."""
    X, y = arrays
    data = Dataset(X, y)
    if subset:
        data = Subset(data, np.arange(10, 90))
    batches = batch_iterator(DataLoader, data, batch_size=32, shuffle=True)
    assert isinstance(batches, ArrayBatches)
    batches.device = "meta"
    for _ in range(2):
        shapes = []
        for xb, yb in batches:
            assert xb.device.type == yb.device.type == "meta"
            shapes.append(tuple(xb.shape))
        assert sum(s[0] for s in shapes) == len(data)
    assert batches.X.device.type == batches.y.device.type == "meta"
    moved = batches.X
    list(batches)
    assert batches.X is moved  # not moved again


def test_cpu_device_keeps_the_arrays_shared(arrays):
    """Check a CPU net's batches still come from the caller's memory."""
    X, y = arrays
    batches = batch_iterator(DataLoader, Dataset(X, y), batch_size=32)
    batches.device = "cpu"
    list(batches)
    assert batches.X.data_ptr() == torch.as_tensor(X).data_ptr()
