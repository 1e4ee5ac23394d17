"""Shared fixtures: seeded RNGs and small datasets."""

import numpy as np
import pytest
import torch
from _shared import deliverable_sigint
from sklearn.datasets import make_classification


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


@pytest.fixture(scope="session", autouse=True)
def _sigint_delivered():
    """Deliver SIGINT as from a terminal, even when pytest was started with
    it ignored (a background job): the Ctrl-C tests send real signals, to
    this process and to children, which inherit an ignored SIGINT."""
    with deliverable_sigint():
        yield


@pytest.fixture(scope="module")
def imbalanced():
    """A small imbalanced binary task: 200 rows, 5 features, 85% in class 0."""
    return make_classification(
        n_samples=200,
        n_features=5,
        n_informative=3,
        weights=[0.85],
        flip_y=0,
        random_state=0,
    )


def pytest_addoption(parser):
    """``--update-docs``: re-record the outputs the docs show (test_docs_blocks)."""
    parser.addoption(
        "--update-docs",
        action="store_true",
        default=False,
        help="write the outputs printed by the docs' code blocks and examples "
        "into the pages instead of comparing them (tests/test_docs_blocks.py)",
    )
