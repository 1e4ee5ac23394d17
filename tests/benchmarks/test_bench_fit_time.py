"""Smoke test of benchmarks/bench_fit_time.py on tiny sizes (no timing asserted)."""

import pytest
from _bench import columns_ok, load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_fit_time")


def test_time_fit_counts_the_routed_budget(bench):
    """Check a cell reports the epochs the router chose and their steps."""
    row = bench.time_fit(300, 4, router__min_steps=200)
    cols = ["rows", "features", "epochs", "steps", "fit_s", "ms_per_step"]
    assert columns_ok([row], cols)
    # 300 rows: 5 steps an epoch, 40 epochs for 200 steps
    assert (row["epochs"], row["steps"]) == (40, 200)
    assert row["fit_s"] > 0


def test_quick_run_prints_the_table(bench, capsys):
    """Check --quick prints the settings line and one row per cell."""
    rows = bench.main(["--quick"])
    out = capsys.readouterr().out
    assert "torch 2" in out and "BLAS threads 1" in out
    assert [r["rows"] for r in rows] == [200, 400]
    assert "| 200 | 5 | 2 | 8 |" in out
