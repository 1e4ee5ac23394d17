"""Shared fixtures: seeded RNGs and small datasets."""

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _seed_rngs():
    """Seed numpy's and torch's global RNGs before every test."""
    np.random.seed(0)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Keep torch to one thread: the suite runs on 2 shared cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
