"""The ``skvitalroute compare`` command: tiny runs, outputs, errors."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from skorch.callbacks import Callback

from skvitalroute.compare._cli import main
from skvitalroute.compare._compare import assemble, route_notes
from skvitalroute.compare._data import Task, digits_task
from skvitalroute.compare._files import RESULT_FILES
from skvitalroute.compare._methods import NetConfig
from skvitalroute.compare._metrics import score_predictions
from skvitalroute.compare._report import comparison_figure, render
from skvitalroute.compare._result import CompareResult
from skvitalroute.compare._run import fit_one, make_splits

REPO = Path(__file__).resolve().parents[2]

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
        "vitalroute_seed",
        "vitalroute_seed_blind",
        "--out",
        str(out),
    ]
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
    assert "route: imbalance" in text  # the seed's table on these labels
    assert "route: logit_adjusted" in text  # the default router (no short switch)
    assert "Signal on vs off (vitalroute_seed - vitalroute_seed_blind" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("method "))
    end = lines.index("", start)
    rows = [line.split() for line in lines[start + 2 : end]]
    bal = [float(r[1]) for r in rows]
    assert {r[0] for r in rows} == {
        "uniform",
        "inv_freq",
        "vitalroute",
        "vitalroute_seed",
        "vitalroute_seed_blind",
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
        "vitalroute_seed",
        "vitalroute_seed_blind",
    }
    assert all(r["n_fits"] == "2" for r in rows)
    route = {r["method"]: r["route"] for r in rows}
    assert route["vitalroute"] == "logit_adjusted"  # no short-budget switch
    assert route["vitalroute_seed"] == "imbalance"
    bal = [float(r["balanced_accuracy_mean"]) for r in rows]
    assert bal == sorted(bal, reverse=True)
    inv = next(r for r in rows if r["method"] == "inv_freq")
    assert inv["balanced_accuracy_diff_vs_inv_freq_mean"] == ""
    with open(out / "folds.csv") as fh:
        folds = list(csv.DictReader(fh))
    assert len(folds) == 10 and "recall_9" in folds[0]
    data = json.loads((out / "results.json").read_text())
    assert len(data["records"]) == 10
    assert data["settings"]["epochs"] == 2 and data["minority"] == [5, 6, 7, 8, 9]
    v = data["vitality"]["vitalroute_seed"]
    assert 0 < v["prob_lo"] <= 0.1 <= v["prob_hi"] < 1
    # the summary in the JSON matches the fits it was computed from
    fits = [r["balanced_accuracy"] for r in data["records"] if r["method"] == "uniform"]
    assert data["summary"]["uniform"]["balanced_accuracy"][0] == pytest.approx(
        np.mean(fits)
    )
    assert data["report"] in text
    png = (out / "comparison.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


#: The keys of ``results.json``, in order (the result's fields, then the report).
RESULT_KEYS = [
    "title",
    "task",
    "protocol",
    "settings",
    "settings_line",
    "classes",
    "minority",
    "metrics",
    "paired_metrics",
    "baseline",
    "records",
    "summary",
    "paired",
    "vitality",
    "sections",
    "notes",
]


def test_results_json_keys_and_report(tiny_run):
    """Check results.json's keys and order; its content renders the same report."""
    _, _, out = tiny_run
    data = json.loads((out / "results.json").read_text())
    assert list(data) == [*RESULT_KEYS, "elapsed", "report"]
    assert render(data) == data["report"]


def test_result_is_a_read_only_mapping_of_its_fields():
    """Check a result reads by attribute and by key; no elapsed key without one."""
    result = synthetic_result()
    assert list(result) == RESULT_KEYS and len(result) == len(RESULT_KEYS)
    assert result["summary"] is result.summary and "elapsed" not in result
    assert dict(result)["records"] is result.records
    with pytest.raises(KeyError):
        result["elapsed"]
    assert CompareResult.from_mapping(result) is result
    result.elapsed = 1.5
    assert list(result)[-1] == "elapsed" and result["elapsed"] == 1.5


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
        "--no-out",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "original overall %" in text and "minority acc %" in text
    assert "93.7" in text and "90.1" in text
    assert "holdout: 2 stratified splits" in text
    # no routed method ran: the router's decision is not shown
    assert "Training rows per class" in text and "Router on these labels" not in text


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
    argv = ["compare", "--data", str(path), "--target", "target", "--imbalance", "3"]
    argv += ["--methods", "inv_freq", "logreg_balanced", "smote"]
    argv += ["--out", str(tmp_path / "o")]
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


def test_failed_fit_names_method_and_split(tmp_path, capsys, monkeypatch):
    """Check a method that cannot fit stops with status 1, a message, no file."""
    monkeypatch.chdir(tmp_path)
    rows = ["x,t"] + [f"{i},a" for i in range(20)] + [f"{i},b" for i in range(4)]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(rows) + "\n")
    argv = ["compare", "--data", str(path), "--target", "t", "--imbalance", "10"]
    argv += ["--methods", "smote"]
    assert main(argv + TINY) == 1
    err = capsys.readouterr().err
    assert "error: method 'smote' failed on seed 0, fold 0" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_python_dash_m_lists_methods():
    """Check ``python -m skvitalroute compare --list-methods`` works."""
    done = subprocess.run(
        [sys.executable, "-m", "skvitalroute", "compare", "--list-methods"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "vitalroute_seed_blind" in done.stdout and "hgb_balanced" in done.stdout


@pytest.mark.slow
def test_default_run(tmp_path, capsys):
    """Check the default command end to end (about 70 s on 2 cores)."""
    assert main(["compare", "--out", str(tmp_path), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "5-fold stratified CV x 3 seeds = 15 splits" in text
    assert (tmp_path / "comparison.png").exists()


# ----------------------------------------------------------------- new behaviour
FAST = ["--folds", "2", "--seeds", "1", "--n-jobs", "1"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run every test in its own folder: default outputs land there."""
    monkeypatch.chdir(tmp_path)


class _Terminal(io.StringIO):
    """A captured stderr that says it is a terminal (so the bar is drawn)."""

    def isatty(self):
        return True


@pytest.mark.parametrize("argv", [["--version"], ["compare", "--version"]])
def test_version(argv, capsys):
    """Check ``--version`` prints the package version and exits 0."""
    import skvitalroute

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skvitalroute {skvitalroute.__version__}"


def test_default_output_folder(tmp_path, capsys):
    """Check a run without --out writes every file to results/compare-DATE-TIME/."""
    assert main(["compare", "--methods", "logreg_balanced", "--quiet", *FAST]) == 0
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("compare-")
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES)
    assert f"results in results/{folder.name}/: results.csv" in capsys.readouterr().out


def test_no_out_writes_nothing(tmp_path, capsys):
    """Check --no-out prints the report and writes no file."""
    assert (
        main(["compare", "--methods", "logreg_balanced", "--quiet", "--no-out", *FAST])
        == 0
    )
    assert "logreg_balanced" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_default_out_dir_is_always_new(tmp_path):
    """Check two runs of the same second get two folders, named by scenario."""
    import time

    from skvitalroute.compare._cli import build_parser, default_out_dir

    now = time.strptime("2024-05-06 07:08:09", "%Y-%m-%d %H:%M:%S")
    args = build_parser().parse_args(["compare"])
    first = default_out_dir(args, root=tmp_path, now=now)
    assert first == tmp_path / "compare-20240506-070809"
    first.mkdir()
    assert (
        default_out_dir(args, root=tmp_path, now=now).name
        == "compare-20240506-070809-2"
    )
    args = build_parser().parse_args(["compare", "--scenario", "shift"])
    assert (
        default_out_dir(args, root=tmp_path, now=now).name
        == "compare-shift-20240506-070809"
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_compare_passes_args():
    """Check ``make compare ARGS=...`` hands the options to the command."""
    done = subprocess.run(
        ["make", "-n", "compare", "ARGS=--no-out --seeds 2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "bin/skvitalroute compare --no-out --seeds 2" in done.stdout


@pytest.mark.parametrize(
    "methods, shown",
    [
        (["inv_freq", "logreg_balanced"], False),
        (["inv_freq", "vitalroute"], True),
        (["vitalroute_seed_blind"], True),
    ],
)
def test_router_note_only_when_a_method_is_routed(methods, shown):
    """Check the router's decision is reported only for routed methods."""
    task = digits_task()
    splits = make_splits(task, folds=2, seeds=[0])
    lines = route_notes(task, splits, methods)
    assert lines[0].startswith("Training rows per class")
    assert any(line.startswith("Router on these labels") for line in lines) is shown
    if shown:
        assert f"({', '.join(methods[-1:])}, tactics='auto')" in lines[1]


def test_progress_bar_names_method_and_split(monkeypatch, capsys):
    """Check the bar on a terminal counts the fits and names the one running."""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    argv = ["compare", "--methods", "logreg_balanced", "--no-out", *FAST]
    assert main(argv) == 0
    bar = sys.stderr.getvalue()
    assert "logreg_balanced seed 0 fold 0" in bar
    assert "logreg_balanced seed 0 fold 1" in bar
    assert "2/2" in bar
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert main([*argv, "--quiet"]) == 0
    assert sys.stderr.getvalue() == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    """Check nothing is drawn on a stderr that is not a terminal."""
    assert main(["compare", "--methods", "logreg_balanced", "--no-out", *FAST]) == 0
    assert capsys.readouterr().err == ""


def test_running_labels_follow_the_workers():
    """Check the labels shown while two workers run are the first unfinished fits."""
    from skvitalroute.compare._progress import FitProgress, job_label
    from skvitalroute.compare._run import Split

    stream = _Terminal()
    bar = FitProgress(3, stream=stream)
    split = Split(1, 2, np.arange(2), np.arange(2))
    jobs = [(None, (None, m, split, None), {}) for m in ("a", "b", "c")]
    bar.running([job_label(j) for j in jobs[:2]])
    bar.close()
    assert "a seed 1 fold 2, b seed 1 fold 2" in stream.getvalue()
    assert (
        job_label((None, (None, "a", split, None), {"label": "x"})) == "x seed 1 fold 2"
    )


class _CtrlC(Callback):
    """Send this process a SIGINT at the end of the second epoch."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)


def test_interrupted_fit_is_not_scored():
    """Check a SIGINT caught by skorch inside fit still stops fit_one."""
    task = digits_task()
    split = make_splits(task, folds=2, seeds=[0])[0]
    config = NetConfig(epochs=5, hidden_units=(8,))
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        fit_one(task, "uniform", split, config, net_params={"callbacks": [_CtrlC()]})
    assert signal.getsignal(signal.SIGINT) is handler
    # the same fit without the signal goes through, and the handler is restored
    record = fit_one(task, "uniform", split, config)
    assert record["method"] == "uniform"
    assert signal.getsignal(signal.SIGINT) is handler


class _CtrlCThenError(_CtrlC):
    """Send a SIGINT at the end of epoch 2, then fail when training ends."""

    def on_train_end(self, net, **kwargs):
        raise RuntimeError("a half-trained step failed")


def test_error_after_an_interrupt_is_an_interrupt():
    """Check an error that follows a Ctrl-C inside fit still stops the run."""
    task = digits_task()
    split = make_splits(task, folds=2, seeds=[0])[0]
    config = NetConfig(epochs=5, hidden_units=(8,))
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt) as info:
        fit_one(
            task,
            "uniform",
            split,
            config,
            net_params={"callbacks": [_CtrlCThenError()]},
        )
    assert "half-trained" in str(info.value.__cause__)
    assert signal.getsignal(signal.SIGINT) is handler


def test_tiny_run_leaves_no_temporary_file(tiny_run):
    """Check the output folder holds exactly the four files after a run."""
    _, _, out = tiny_run
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failed_write_leaves_nothing(error, tmp_path, monkeypatch):
    """Check a write that fails midway removes its files and the folder it made."""
    from skvitalroute.compare import _report

    def broken_plot(result, path):
        path.write_bytes(b"half a png")
        raise error

    monkeypatch.setattr(_report, "plot_comparison", broken_plot)
    result = synthetic_result()
    with pytest.raises(type(error)):
        _report.write_outputs(result, tmp_path / "new" / "run")
    assert list(tmp_path.iterdir()) == []
    # an existing folder keeps what the user had there, and nothing else
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(type(error)):
        _report.write_outputs(result, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_failed_write_exits_1_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    """Check the CLI reports a failed write with status 1, after the report."""
    from skvitalroute.compare import _report

    def broken_plot(result, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_report, "plot_comparison", broken_plot)
    argv = ["compare", "--methods", "logreg_balanced", "--quiet", "--out", "run", *FAST]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "logreg_balanced" in captured.out
    assert "cannot write the results to run" in captured.err
    assert (
        "No space left on device" in captured.err and "no file written" in captured.err
    )
    assert list(tmp_path.iterdir()) == []


def test_dropped_rows_are_counted(tmp_path, capsys):
    """Check rows with a missing label are counted on stderr and in the report."""
    rows = ["a,b,label"] + [f"{i},{i % 3},{'xyz'[i % 3]}" for i in range(30)]
    rows += ["1,2,", "3,4,", "5,6,"]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    argv = ["compare", "--data", "d.csv", "--target", "label", "--methods"]
    argv += ["logreg_balanced", "--quiet", "--out", "run", *FAST]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "note: Dropped 3 of 33 rows of d.csv: their 'label' is missing." in (
        captured.err
    )
    assert "Dropped 3 of 33 rows of d.csv: their 'label' is missing." in captured.out
    assert "(30 rows, 2 columns, 3 classes" in captured.out
    report = json.loads((tmp_path / "run" / "results.json").read_text())["report"]
    assert "Dropped 3 of 33 rows" in report


# ------------------------------------------------------------------------ the plot
def synthetic_result():
    """A result from hand-made predictions: inv_freq near 100 %, so std > 100 - mean."""
    classes, minority = np.arange(3), [2]
    task = Task(
        "t", None, None, classes, {}, minority, None, "synthetic task, 3 classes"
    )
    y = np.repeat(classes, 20)
    records = []
    errors = {"inv_freq": (0, 2), "uniform": (5, 9), "vitalroute": (0, 1)}
    for method, per_fold in errors.items():
        for fold, e in enumerate(per_fold):
            y_pred = y.copy()
            y_pred[40 : 40 + e] = 0  # e minority rows predicted as class 0
            scores = score_predictions(y, y_pred, classes, minority)
            records.append(
                {
                    "method": method,
                    "seed": 0,
                    "fold": fold,
                    "n_train": 30,
                    **scores,
                    "fit_time": 0.1,
                    "vitality": {},
                }
            )
    return assemble(task, records, NetConfig(epochs=7), how="2 synthetic splits")


@pytest.fixture(scope="module")
def figure():
    """The comparison figure of the synthetic result, drawn."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = synthetic_result()
    fig = comparison_figure(result)
    fig.canvas.draw()
    yield fig, result
    plt.close(fig)


def test_plot_bars_start_at_zero(figure):
    """Check the score axis covers the whole 0-100 % scale."""
    fig, _ = figure
    assert fig.axes[0].get_xlim() == (0, 100)


def test_plot_error_bars_stay_within_100(figure):
    """Check mean ± std whiskers are clipped to [0, 100] although std is larger."""
    from matplotlib.container import ErrorbarContainer

    fig, result = figure
    mean, std = result["summary"]["inv_freq"]["minority_recall"]
    assert 100 * (mean + std) > 100  # the case the clipping is for
    ends = []
    for container in fig.axes[0].containers:
        if isinstance(container, ErrorbarContainer):
            for segment in container.lines[2][0].get_segments():
                ends += list(segment[:, 0])
    assert len(ends) == 2 * 2 * 3 and 0 <= min(ends) and max(ends) <= 100
    assert max(ends) == pytest.approx(100)


def test_plot_legend_covers_no_panel(figure):
    """Check the legend sits outside every panel, so it covers no bar."""
    fig, _ = figure
    renderer = fig.canvas.get_renderer()
    assert not any(ax.get_legend() for ax in fig.axes)
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer))
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == [
        "inv_freq (baseline), balanced acc %",
        "balanced acc %",
        "minority recall %",
    ]


def test_plot_marks_the_baseline(figure):
    """Check a dashed line at inv_freq's mean and a bold, named tick."""
    fig, result = figure
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.lines if "baseline" in ln.get_label()]
    expected = 100 * result["summary"]["inv_freq"]["balanced_accuracy"][0]
    assert line.get_xdata()[0] == pytest.approx(expected)
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["inv_freq (baseline)"]


def test_plot_shows_differences_to_the_baseline(figure):
    """Check the middle panel plots each method's paired difference in pp."""
    fig, result = figure
    ax = fig.axes[1]
    points = sorted(
        float(x) for ln in ax.lines if ln.get_marker() == "o" for x in ln.get_xdata()
    )
    expected = sorted(
        100 * result["paired"][m][k]["mean"]
        for m in ("uniform", "vitalroute")
        for k in result["paired_metrics"]
    )
    assert points == pytest.approx(expected)


def test_plot_title_shows_data_and_settings(figure):
    """Check the figure names the data set and the settings of the run."""
    import skvitalroute

    fig, _ = figure
    title = fig.get_suptitle()
    assert "synthetic task, 3 classes" in title
    assert "2 synthetic splits" in title and "7 epochs" in title
    assert f"skvitalroute {skvitalroute.__version__}" in title


# ------------------------------------------------------- probabilities and peers
def test_report_shows_probability_metrics(tiny_run):
    """Check the table and results.csv carry log-loss, Brier and ROC-AUC."""
    _, text, out = tiny_run
    header = next(line for line in text.splitlines() if line.startswith("method "))
    assert "log-loss" in header and "Brier" in header and "ROC-AUC %" in header
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        assert float(row["log_loss_mean"]) > 0
        assert 0 <= float(row["brier_mean"]) <= 2
        assert 0.5 < float(row["roc_auc_mean"]) <= 1  # digits: far above chance


def test_fit_one_scores_the_predicted_probabilities():
    """Check a fit's log-loss, Brier and ROC-AUC are those of its pipeline's
    ``predict_proba`` on the test rows, columns in the task's class order."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    from skvitalroute.compare._methods import build_method

    task = digits_task()
    split = make_splits(task, folds=2, seeds=[0])[0]
    record = fit_one(task, "brf", split, NetConfig(epochs=2))
    pipe = build_method("brf", task.preprocessor, NetConfig(epochs=2),
                        random_state=split.random_state)
    pipe.fit(task.X[split.train], task.y[split.train])
    proba = pipe.predict_proba(task.X[split.test])
    y = task.y[split.test]
    assert list(pipe.classes_) == list(task.classes)
    assert record["log_loss"] == pytest.approx(log_loss(y, proba))
    assert record["brier"] == pytest.approx(brier_score_loss(y, proba))
    assert record["roc_auc"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr")
    )


def test_task_proba_puts_a_missing_class_at_zero():
    """Check a class the training rows lacked gets a zero column, the others
    the pipeline's probabilities in the task's order."""
    from sklearn.linear_model import LogisticRegression

    from skvitalroute.compare._run import _task_proba

    X = np.array([[0.0], [1.0], [5.0], [6.0]])
    model = LogisticRegression().fit(X, ["c", "c", "a", "a"])
    out = _task_proba(model, X, ["a", "b", "c"])
    assert np.all(out[:, 1] == 0)
    assert np.allclose(out[:, [0, 2]], model.predict_proba(X))


def _holdout_result():
    classes, minority = np.arange(2), [1]
    task = Task("t", None, None, classes, {}, minority, None, "synthetic, 2 classes")
    y = np.repeat(classes, 10)
    records = []
    for method in ("uniform", "inv_freq", "vitalroute", "vitalroute_seed"):
        for seed in range(2):
            scores = score_predictions(y, y, classes, minority)
            records.append({"method": method, "seed": seed, "fold": 0, "n_train": 20,
                            **scores, "fit_time": 0.1, "vitality": {}})
    return assemble(task, records, NetConfig(epochs=3), how="h", protocol="holdout")


def test_holdout_prints_the_original_figures_beside_the_seed_table():
    """Check the original study's figures stand beside ``vitalroute_seed``
    (the rules that study measured), not beside the default router."""
    from skvitalroute.compare._report import metrics_table

    lines = metrics_table(_holdout_result()).splitlines()
    row = {line.split()[0]: line for line in lines[2:]}
    assert "95.1" in row["vitalroute_seed"] and "90.8" in row["vitalroute_seed"]
    assert "95.1" not in row["vitalroute"] and "90.8" not in row["vitalroute"]
    assert "93.7" in row["uniform"] and "94.4" in row["inv_freq"]
