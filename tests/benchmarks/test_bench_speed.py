"""Smoke test of benchmarks/bench_speed.py on tiny sizes (no timing asserted)."""

import numpy as np
import pytest
from _bench import columns_ok, load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_speed")


def test_make_data_holds_out_rows(bench):
    """Check the data: float32 train rows of the asked size, 10 % held out,
    every class present."""
    X, y, X_test, y_test = bench.make_data(500, 5)
    assert X.dtype == np.float32 and X.shape == (500, bench.N_FEATURES)
    assert len(X_test) == 50 and set(y) == set(range(5))


def test_fit_table_has_every_config_with_ratios_to_skorch(bench):
    """Check one row per config, the reference at ratio 1, per-round ratios
    and an accuracy for each."""
    rows = bench.bench_fit(((300, 3, 1),), rounds=2)
    assert columns_ok(rows, bench.FIT_COLUMNS)
    assert [r["config"] for r in rows] == list(bench.CONFIGS)
    by_config = {r["config"]: r for r in rows}
    assert by_config["skorch"]["vs skorch"] == "1.00"
    assert by_config["skorch"]["vs skorch (all rounds)"] == "1.00 1.00"
    for row in rows:
        assert 0.0 <= float(row["accuracy"].split(" ")[0]) <= 1.0


def test_predict_table_compares_with_the_bare_module(bench):
    """Check the prediction rows: every predictor on many rows and on one."""
    rows = bench.bench_predict(200, 3, 500, repeats=1, calls=2)
    assert columns_ok(rows, bench.PREDICT_COLUMNS)
    assert [r["rows"] for r in rows] == [500] * 4 + [1] * 4
    bare = [r for r in rows if r["what"].startswith("bare")]
    assert [r["vs bare module"] for r in bare] == ["1.00", "1.00"]


def test_memory_child_and_thread_rows(bench):
    """Check the in-process part of the memory measurement and the threads
    table's rows."""
    spec = dict(rows=200, classes=3, config="auto", epochs=1, threads=1)
    result = bench.memory_child(spec)
    assert result["peak"] >= result["before"] > 0
    rows = bench.bench_threads(
        200, 3, 1, rounds=1, step_repeats=1, networks=(((8,), 16),)
    )
    assert columns_ok(rows, bench.THREAD_COLUMNS) and len(rows) == 2


def test_fixed_costs_row(bench):
    """Check the per-epoch fixed costs row: the monitor's schedule and a share."""
    (row,) = bench.bench_fixed(((300, 3),), repeats=1)
    assert list(row) == list(bench.FIXED_COLUMNS)
    assert row["monitor reads every"] >= 1
    assert row["guard + monitor / epoch"].endswith("%")


def test_targets_are_checked_from_the_tables(bench):
    """Check that each target is read from its table and marked met or not."""
    fit = [
        {"rows": 20_000, "classes": 10, "config": "auto", "vs skorch": "0.55"},
        {"rows": 20_000, "classes": 10, "config": "mlp", "vs skorch": "0.45"},
        {"rows": 2_000, "classes": 10, "config": "auto", "vs skorch": "1.20"},
        {"rows": 20_000, "classes": 1000, "config": "auto", "vs skorch": "0.90"},
    ]
    predict = [
        {
            "what": "VitalRouteClassifier.predict_proba",
            "rows": 100_000,
            "vs bare module": "1.20",
        },
    ]
    met = {r["target"]: r["met"] for r in bench.check_targets(fit, predict)}
    assert met == {
        "auto fit / skorch at 2000 rows <= 1.0": "no",
        "auto fit / skorch at 20000 rows <= 0.6": "yes",
        "auto fit / skorch at 20000 rows <= MLPClassifier's (0.45)": "no",
        "auto fit / skorch at 1000 classes <= 1.1": "yes",
        "predict_proba on 100000 rows / bare module <= 1.5": "yes",
        "auto fit / skorch at 20000 rows <= 0.45": "no",
        "auto fit / mlp fit at 20000 rows <= 1.1 (median of the rounds)": "no",
    }


def test_cli_writes_the_markdown_report(bench, tmp_path):
    """Check that --out writes the header (with the thread settings) and a
    well-formed table."""
    out = tmp_path / "report.md"
    assert bench.main(["--quick", "--sections", "predict", "--out", str(out)]) == 0
    text = out.read_text()
    assert "### predict_proba" in text and "1 intra-op thread" in text
    section = text.split("### predict_proba")[1].split("###")[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    # 2 000 rows, then 1 and 10 rows (--quick), four predictors each
    assert len({line.count("|") for line in table}) == 1 and len(table) == 2 + 12
    assert "### Targets of issues 11 and 22" in text


def test_targets_of_issue_22(bench):
    """Check the issue-22 targets: fit ratios, per-round ratios to the torch
    loop and MLPClassifier, one-row latency and small-row ratios."""

    def fit(config, rounds):
        return {"rows": 20_000, "classes": 10, "config": config,
                "vs skorch": f"{sorted(rounds)[len(rounds) // 2]:.2f}",
                "vs skorch (all rounds)": " ".join(f"{r:.2f}" for r in rounds)}

    fits = [fit("auto", [0.44, 0.50, 0.44]), fit("none", [0.40, 0.40, 0.40]),
            fit("torch+fused", [0.40, 0.40, 0.40]), fit("mlp", [0.40, 0.50, 0.40])]
    predicts = [
        {"what": "VitalRouteClassifier.predict_proba", "rows": 1,
         "ms (median)": "0.120", "vs bare module": "4.00"},
        {"what": "VitalRouteClassifier.predict_proba", "rows": 1000,
         "ms (median)": "0.300", "vs bare module": "1.40"},
    ]
    rows = {r["target"]: r for r in bench.check_targets(fits, predicts)
            if r["issue"] == 22}
    assert rows["auto fit / skorch at 20000 rows <= 0.45"]["met"] == "yes"
    per_round = rows["auto fit / torch+fused fit at 20000 rows <= 1.1 (median of the rounds)"]
    assert per_round["measured"] == "1.10" and per_round["met"] == "yes"
    assert rows["predict_proba on 1 row <= 0.15 ms"]["met"] == "yes"
    assert rows["predict_proba on 1 rows / bare module <= 1.5"]["met"] == "no"
    assert rows["predict_proba on 1000 rows / bare module <= 1.5"]["met"] == "yes"


def test_cells_option_keeps_the_asked_fit_cells(bench, monkeypatch):
    """Check --cells keeps only those fit cells and --compile adds its config."""
    seen = {}

    def run(grid, **kwargs):
        seen.update(grid)
        return {}

    monkeypatch.setattr(bench, "run", run)
    monkeypatch.setattr(bench._cli, "run_and_report",
                        lambda *a, **k: a[4](sections=(), threads=1, log=None) or 0)
    bench.main(["--cells", "20000x10,20000x100", "--compile", "--sections", "fit"])
    assert [c[:2] for c in seen["fit_cells"]] == [(20_000, 10), (20_000, 100)]
    assert seen["compile"] is True
