"""One function chooses probe rows for every caller (issue 14 item 3)."""

import numpy as np
import pytest
from skorch.dataset import Dataset

from skvitalroute.callbacks._guard import _probe_subset
from skvitalroute.probe._rows import probe_rows


@pytest.mark.parametrize("labelled", [True, False])
@pytest.mark.parametrize("size", [7, 64, 1024])
def test_drawing_from_the_drawn_rows_gives_them_all(labelled, size):
    """Check the property the probe relies on when it reads a probe batch."""
    y = np.random.default_rng(1).integers(0, 5, 900)
    labels = y if labelled else None
    rows = probe_rows(len(y), labels, size)
    assert len(rows) <= size and np.all(np.diff(rows) > 0)
    again = probe_rows(len(rows), None if labels is None else y[rows], size)
    np.testing.assert_array_equal(again, np.arange(len(rows)))


def test_guard_checks_the_unlabelled_probe_rows():
    """Check that the guard's rows are probe_rows' (all of them when few)."""
    X = np.arange(300, dtype=np.float32).reshape(100, 3)
    data = Dataset(X, np.zeros(100, dtype=np.int64))
    assert _probe_subset(data, 100) is data
    np.testing.assert_array_equal(
        _probe_subset(data, 40).indices, probe_rows(100, None, 40)
    )
