"""Smoke test of benchmarks/bench_scale.py on tiny sizes (no timing asserted)."""

import numpy as np
import pytest
from _bench import columns_ok, load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_scale")


def test_make_data_is_imbalanced_enough_to_route_the_class_sampler(bench):
    """Check the data: float32, min/max class ratio 0.1, every class present."""
    X, y = bench.make_data(1000, 10)
    counts = np.bincount(y)
    assert X.dtype == np.float32 and X.shape == (1000, bench.N_FEATURES)
    assert len(counts) == 10
    assert counts.min() / counts.max() == pytest.approx(0.1, abs=0.02)


def test_fit_table_compares_routed_fits_with_plain_skorch(bench):
    """Check one row per config, the routed run really routed, ratios vs plain."""
    configs = ("plain", "plain+groups", "auto", "class", "hard+lr_scale")
    rows = bench.bench_fit((400,), (3,), configs=configs, epochs=1, repeats=1)
    assert columns_ok(rows, bench.FIT_COLUMNS)
    by_config = {row["config"]: row for row in rows}
    assert by_config["plain"]["vs plain"] == "1.000"
    assert by_config["auto"]["route"] == "logit_adjusted"  # default router
    assert by_config["class"]["route"] == "imbalance"
    assert by_config["hard+lr_scale"]["route"] == "hard+lr_scale"
    assert by_config["auto"]["probe calls"] == 1  # the monitor, 1 epoch
    assert by_config["class"]["probe calls"] == 2  # class sampler + monitor
    assert by_config["hard+lr_scale"]["probe calls"] == 3
    assert by_config["plain"]["probe calls"] == "-"
    assert by_config["plain+groups"]["route"] == "-"
    assert by_config["plain+groups"]["tactic callbacks s"] == "-"


def test_probe_table_counts_one_forward_pass_per_reading(bench):
    """Check the probe cells and that per-class stress is one pass, the naive
    loop one per class, and the rows read are bounded by probe_size."""
    rows = bench.bench_probe(
        (300, 900), (2, 4), fixed_rows=300, fixed_classes=3, probe_size=64, repeats=1
    )
    assert columns_ok(rows, bench.PROBE_COLUMNS)
    cells = {(r["rows"], r["classes"]) for r in rows}
    assert cells == {(300, 3), (900, 3), (300, 2), (300, 4)}
    for r in rows:
        if r["call"] == "per_class_stress":
            assert r["forward passes"] == 1 and r["rows forwarded"] <= 64
        if r["call"].startswith("K x observe"):
            assert r["forward passes"] == r["classes"]
        if r["call"].startswith("observe"):
            assert r["rows forwarded"] <= 64


def test_memory_child_reports_peaks(bench):
    """Check the in-process part of the memory measurement."""
    spec = dict(rows=300, classes=3, config="auto", epochs=1, threads=1)
    plain = bench.memory_child({**spec, "tracemalloc": False})
    traced = bench.memory_child({**spec, "tracemalloc": True})
    assert plain["peak"] >= plain["before"] > 0
    assert traced["traced_peak"] > 0


@pytest.mark.slow
def test_memory_table_runs_fits_in_fresh_processes(bench):
    """Check the memory table (two child processes per config)."""
    rows = bench.bench_memory((300,), (3,), configs=("plain",), epochs=1)
    assert columns_ok(rows, bench.MEMORY_COLUMNS) and len(rows) == 1


def test_sampler_table_compares_with_imbalanced_learn(bench):
    """Check the sampler rows: every method ran and over-sampled."""
    methods = ("RandomOverSampler", "SMOTE", "VitalitySampler(mode=auto)")
    rows = bench.bench_sampler((400,), 3, repeats=1, methods=methods)
    assert columns_ok(rows, bench.SAMPLER_COLUMNS)
    assert [r["method"] for r in rows] == list(methods)
    _, y = bench.make_data(400, 3)
    balanced = 3 * np.bincount(y).max()
    assert rows[0]["rows out"] == rows[1]["rows out"] == balanced
    assert rows[2]["rows out"] >= balanced  # class mode reaches every target
    assert rows[2]["probe net training s"] != "-"


def test_cli_writes_the_markdown_report(bench, tmp_path):
    """Check that --out writes the header and a well-formed table."""
    out = tmp_path / "report.md"
    assert bench.main(["--quick", "--sections", "probe", "--out", str(out)]) == 0
    text = out.read_text()
    assert "### Probe cost per reading" in text and "load average" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len({line.count("|") for line in table}) == 1
    assert len(table) == 2 + 3 * len(bench.PROBE_METHODS)


def test_hook_check_sees_no_probe_hook_during_training(bench):
    """Check the hooks table: probes read, yet no hook is live in a batch."""
    rows = bench.check_hooks(300, 3, configs=("class",), epochs=1)
    assert columns_ok(rows, bench.HOOK_COLUMNS)
    assert rows[0]["probe readings"] == 2 and rows[0]["training batches"] == 5
    assert rows[0]["hooks live in a training batch (max)"] == 0
