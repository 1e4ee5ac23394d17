"""Smoke test of benchmarks/bench_gpu.py: a clean skip without CUDA."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from _bench import BENCHMARKS, load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_gpu")


def test_make_data(bench):
    """Check the data: float32 rows of 64 features and 10 classes."""
    X, y = bench.make_data(500)
    assert X.dtype == np.float32 and X.shape == (500, bench.N_FEATURES)
    assert set(y) <= set(range(bench.N_CLASSES)) and len(set(y)) == 10


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only skip")
def test_skips_in_one_line_without_cuda():
    """Check the script exits 0 with one line saying it skipped."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_gpu.py"), "--quick"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "skipped, no CUDA device" in lines[0]
