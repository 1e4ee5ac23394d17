"""The ``skvitalroute compare`` command: tiny runs, outputs, errors."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from skvitalroute.compare._cli import main

TINY = ["--epochs", "2", "--folds", "2", "--seeds", "1", "--quiet", "--n-jobs", "1"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-fold, 1-seed, 2-epoch run of four methods, written to a directory."""
    out = tmp_path_factory.mktemp("compare")
    argv = [
        "compare",
        "--methods",
        "uniform,inv_freq",
        "vitalroute",
        "vitalroute_blind",
        "--out",
        str(out),
    ]
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        status = main(argv + TINY)
    return status, buf.getvalue(), out


def test_tiny_run_prints_the_tables(tiny_run):
    """Check the report: sorted table, paired test, vitality spread, router."""
    status, text, _ = tiny_run
    assert status == 0
    assert "2-fold stratified CV x 1 seeds = 2 splits" in text
    assert "Paired against inv_freq" in text and "Wilcoxon" in text
    assert "What the vitality tactics read" in text and "class prob lo-hi" in text
    assert "route: imbalance" in text
    assert "Signal on vs off (vitalroute - vitalroute_blind" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("method "))
    end = lines.index("", start)
    rows = [line.split() for line in lines[start + 2 : end]]
    bal = [float(r[1]) for r in rows]
    assert {r[0] for r in rows} == {
        "uniform",
        "inv_freq",
        "vitalroute",
        "vitalroute_blind",
    }
    assert bal == sorted(bal, reverse=True)


def test_tiny_run_writes_csv_json_png(tiny_run):
    """Check results.csv, folds.csv, results.json and comparison.png."""
    _, text, out = tiny_run
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["method"] for r in rows} == {
        "uniform",
        "inv_freq",
        "vitalroute",
        "vitalroute_blind",
    }
    assert all(r["n_fits"] == "2" for r in rows)
    route = {r["method"]: r["route"] for r in rows}
    assert route["vitalroute"] == "imbalance"
    bal = [float(r["balanced_accuracy_mean"]) for r in rows]
    assert bal == sorted(bal, reverse=True)
    inv = next(r for r in rows if r["method"] == "inv_freq")
    assert inv["balanced_accuracy_diff_vs_inv_freq_mean"] == ""
    with open(out / "folds.csv") as fh:
        folds = list(csv.DictReader(fh))
    assert len(folds) == 8 and "recall_9" in folds[0]
    data = json.loads((out / "results.json").read_text())
    assert len(data["records"]) == 8
    assert data["settings"]["epochs"] == 2 and data["minority"] == [5, 6, 7, 8, 9]
    v = data["vitality"]["vitalroute"]
    assert 0 < v["prob_lo"] <= 0.1 <= v["prob_hi"] < 1
    # the summary in the JSON matches the fits it was computed from
    fits = [r["balanced_accuracy"] for r in data["records"] if r["method"] == "uniform"]
    assert data["summary"]["uniform"]["balanced_accuracy"][0] == pytest.approx(
        np.mean(fits)
    )
    assert data["report"] in text
    png = (out / "comparison.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_holdout_prints_the_original_figures(capsys):
    """Check the holdout protocol shows the original study's numbers beside ours."""
    argv = [
        "compare",
        "--protocol",
        "holdout",
        "--methods",
        "uniform",
        "inv_freq",
        "--epochs",
        "2",
        "--seeds",
        "2",
        "--quiet",
        "--n-jobs",
        "1",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "original overall %" in text and "minority acc %" in text
    assert "93.7" in text and "90.1" in text
    assert "holdout: 2 stratified splits" in text


def test_user_csv_with_categorical_columns(tmp_path, capsys):
    """Check --data/--target with a categorical column and an induced tail."""
    rng = np.random.default_rng(0)
    lines = ["f1,f2,shade,target"]
    for i in range(120):
        c = i % 3
        shade = ["dark", "light"][int(rng.integers(2))]
        lines.append(f"{rng.normal() + 2 * c:.3f},{rng.normal():.3f},{shade},k{c}")
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    argv = [
        "compare",
        "--data",
        str(path),
        "--target",
        "target",
        "--imbalance",
        "3",
        "--methods",
        "inv_freq",
        "logreg_balanced",
        "smote",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv + TINY) == 0
    text = capsys.readouterr().out
    assert "minority classes: k2" in text and "3:1 imbalanced" in text
    assert (tmp_path / "o" / "results.csv").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--methods", "unifrom"], "unknown method 'unifrom'. Did you mean 'uniform'"),
        (["--target", "y"], "--target needs --data"),
        (["--data", "x.csv"], "--data needs --target"),
        (["--epochs", "0"], "expected an integer >= 1"),
        (["--imbalance", "0.5"], "expected a factor >= 1"),
        (["--folds", "1"], "--folds must be >= 2"),
        (["--scenario", "nope"], "invalid choice: 'nope'"),
        (["--scenario", "shift", "--data", "x.csv", "--target", "y"], "drop --data"),
    ],
)
def test_bad_input_exits_with_a_message(argv, message, capsys):
    """Check bad options exit with status 2 and an argparse-style message."""
    with pytest.raises(SystemExit) as info:
        main(["compare", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: skvitalroute compare" in err and message in err


def test_missing_target_column(tmp_path, capsys):
    """Check a target that is not a column names the columns there are."""
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(SystemExit) as info:
        main(["compare", "--data", str(path), "--target", "label"])
    assert info.value.code == 2
    assert "'label' is not a column" in capsys.readouterr().err


def test_failed_fit_names_method_and_split(tmp_path, capsys):
    """Check a method that cannot fit stops with status 1 and a clear message."""
    rows = ["x,t"] + [f"{i},a" for i in range(20)] + [f"{i},b" for i in range(4)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    argv = [
        "compare",
        "--data",
        str(path),
        "--target",
        "t",
        "--imbalance",
        "10",
        "--methods",
        "smote",
    ]
    assert main(argv + TINY) == 1
    err = capsys.readouterr().err
    assert "error: method 'smote' failed on seed 0, fold 0" in err


def test_python_dash_m_lists_methods():
    """Check ``python -m skvitalroute compare --list-methods`` works."""
    done = subprocess.run(
        [sys.executable, "-m", "skvitalroute", "compare", "--list-methods"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "vitalroute_blind" in done.stdout and "hgb_balanced" in done.stdout


@pytest.mark.slow
def test_default_run(tmp_path, capsys):
    """Check the default command end to end (about 70 s on 2 cores)."""
    assert main(["compare", "--out", str(tmp_path), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "5-fold stratified CV x 3 seeds = 15 splits" in text
    assert (tmp_path / "comparison.png").exists()
