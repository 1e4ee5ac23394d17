"""Helpers of the benchmarks' smoke tests: load a script, check its tables."""

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name):
    """Import ``benchmarks/<name>.py`` as the module ``name``."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def columns_ok(rows, columns):
    """Whether every row (a dict) has exactly ``columns``, in that order."""
    return all(list(row) == list(columns) for row in rows)
