"""Smoke test of benchmarks/bench_router.py (--quick: scikit-learn data only)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(_DIR))
    spec = importlib.util.spec_from_file_location(
        "bench_router", _DIR / "bench_router.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(_DIR))


def test_quick_run_records_every_split_and_reports_every_method(bench, tmp_path):
    """Check --quick: one record per (data set, method, fold), the report's
    tables name every method and data set, and a second run resumes from the
    cache without fitting again."""
    cache, out = tmp_path / "records.jsonl", tmp_path / "report.md"
    argv = ["--quick", "--n-jobs", "1", "--cache", str(cache), "--out", str(out)]
    assert bench.main(argv) == 0
    records = [json.loads(line) for line in cache.read_text().splitlines()]
    keys = {(r["data"], r["candidate"], r["fold"]) for r in records}
    methods = bench.QUICK_METHODS
    assert len(records) == len(keys) == len(bench.QUICK_DATA) * len(methods) * 2
    assert all(0 <= r["balanced_accuracy"] <= 1 for r in records)
    text = out.read_text()
    for method in methods:
        assert f"| {method} | {bench.METHODS[method][1]} |" in text
    for data in bench.QUICK_DATA:
        assert f"| {data} |" in text
    assert "- inv_freq" in text and "mean rank (network)" in text
    assert bench.main(argv) == 0
    assert len(cache.read_text().splitlines()) == len(records)


def test_acceptance_sets_are_refused(bench):
    """Check the reserved acceptance sets can never be loaded."""
    from _router_data import DataSpec, load_task

    for name in ("yeast4", "ecoli1", "glass2", "satimage", "mnist"):
        with pytest.raises(ValueError, match="acceptance data set"):
            load_task(DataSpec(name, "keel-imbalanced", name))
