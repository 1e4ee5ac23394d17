"""Smoke test of benchmarks/bench_fit_time.py on tiny sizes (no timing asserted)."""

import pytest
from _bench import columns_ok, load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_fit_time")


def test_time_fit_counts_the_routed_budget(bench):
    """Check a cell reports the epochs the router chose and the steps of
    every fit: the race's two candidates and the final fit."""
    row = bench.time_fit(300, 4, router__min_steps=200)
    cols = ["rows", "features", "fits", "epochs", "steps", "fit_s", "ms_per_step"]
    assert columns_ok([row], cols)
    # 300 rows: 5 steps an epoch, 40 epochs for 200 steps; each candidate
    # (225 rows, 4 steps an epoch) trains 50 epochs for 200 steps
    assert (row["fits"], row["epochs"], row["steps"]) == (3, 40, 600)
    assert row["fit_s"] > 0
    plain = bench.time_fit(300, 4, router__min_steps=200, router__race=False)
    assert (plain["fits"], plain["epochs"], plain["steps"]) == (1, 40, 200)


def test_quick_run_prints_the_table(bench, capsys):
    """Check --quick prints the settings line and one row per cell."""
    rows = bench.main(["--quick"])
    out = capsys.readouterr().out
    assert "torch 2" in out and "BLAS threads 1" in out
    assert [r["rows"] for r in rows] == [200, 400]
    assert "| 200 | 5 | 1 | 2 | 8 |" in out  # a fixed max_epochs: no race
