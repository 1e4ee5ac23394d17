"""benchmarks/report_peers.py on constructed records."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_DIR = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def report_peers():
    sys.path.insert(0, str(_DIR))
    spec = importlib.util.spec_from_file_location(
        "report_peers", _DIR / "report_peers.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(_DIR))


def _record(data, method, fold, value, n_train=100):
    return {
        "data": data,
        "candidate": method,
        "seed": 0,
        "fold": fold,
        "n_train": n_train,
        "balanced_accuracy": value,
        "macro_f1": value,
        "minority_recall": value,
    }


def test_the_report_pairs_methods_on_the_splits_they_share(report_peers, tmp_path):
    """Check the paired difference, the wins and the pooled means on records
    where auto is 1 pp above the forest on every split, and that a split one
    method lacks is left out for every method."""
    lines = []
    first = next(iter(report_peers.METHODS))  # the shipped default, "auto"
    for d, base in (("a", 0.70), ("b", 0.80), ("c", 0.90)):
        for fold in range(2):
            for method in report_peers.METHODS:
                value = base + (0.01 if method == first else 0.0)
                lines.append(_record(d, method, fold, value))
    # a third fold that only auto has: 0.0 would drag its mean down if used
    lines.append(_record("a", first, 2, 0.0))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    records, rows = report_peers.load(path)
    assert len(report_peers.common_splits(records)) == 6
    text = report_peers.report(records, rows)
    assert "3 data sets, 6 splits" in text
    brf = next(line for line in text.splitlines() if line.startswith("| brf |"))
    assert "+1.00 pp [+1.00, +1.00] 3/0/0" in brf
    auto = next(line for line in text.splitlines() if line.startswith("| auto |"))
    assert auto.split(" | ")[1] == "81.00"  # (71 + 81 + 91) / 3, the extra fold unused
