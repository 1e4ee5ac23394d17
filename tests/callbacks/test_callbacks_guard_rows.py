"""DivergenceGuard's output check reads its rows as one array (issue 6, scale)."""

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset
from torch.utils.data import Subset

from skvitalroute.callbacks._guard import _finite_output, _infer, _one_array


def _net():
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 4),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.5),
        torch.nn.Linear(4, 2),
    )
    return NeuralNetClassifier(
        module, criterion=torch.nn.CrossEntropyLoss, train_split=None, verbose=0
    ).initialize()


def test_one_array_follows_nested_subsets():
    """Check that the rows of a Subset of a Subset are those a DataLoader reads."""
    X = np.arange(60, dtype=np.float32).reshape(20, 3)
    data = Dataset(X, np.zeros(20, dtype=np.int64))
    nested = Subset(Subset(data, list(range(2, 20, 2))), [0, 3, 8])
    expected = np.stack([nested[i][0] for i in range(len(nested))])
    np.testing.assert_array_equal(_one_array(nested), expected)
    np.testing.assert_array_equal(_one_array(data), X)
    assert _one_array(torch.utils.data.TensorDataset(torch.as_tensor(X))) is None


def test_check_gives_net_forward_output_in_eval_mode():
    """Check that the one-pass check sees what net.forward sees (eval mode,
    dropout off), restores the module's mode and flags a non-finite row."""
    net = _net()
    X = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    rows = Subset(Dataset(X, np.zeros(30, dtype=np.int64)), [1, 5, 7])
    net.module_.train()
    with torch.no_grad():
        got = _infer(net, _one_array(rows))
        assert net.module_.training
        expected = net.forward(rows, training=False)
    torch.testing.assert_close(got, expected)
    net.module_.train()
    assert _finite_output(net, rows) and net.module_.training
    X[5, 0] = np.inf
    assert not _finite_output(net, rows)
