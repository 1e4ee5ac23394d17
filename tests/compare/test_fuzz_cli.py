"""``skvitalroute compare`` under bad input and Ctrl-C: refused by name, nothing left.

Every case of :data:`CASES` runs in-process (``main([...])``) in an empty
folder and must exit with its documented status, print a message naming
the problem on stderr, start no fit, and leave no file. The SIGINT tests
run the command in a subprocess (the only way to send a real signal) on a
pseudo-terminal, so the progress bar is drawn and tells when fitting runs.

docs/reliability.md's CLI table is printed from actual runs of the cases by::

    .venv/bin/python tests/compare/test_fuzz_cli.py
"""

import contextlib
import io
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from skvitalroute.compare import _compare
from skvitalroute.compare._cli import main
from skvitalroute.compare.scenarios import _common as _scenarios

ROWS = [f"{i % 7},{i % 5},{'abc'[i % 3]}" for i in range(30)]
#: Feature values no fit can use, as written in the CSV (row 5 of column a).
VALUES = {"inf": "inf", "minus_inf": "-inf", "1e300": "1e300", "1e39": "1e39"}
FILES = {
    "ok.csv": "a,b,label\n" + "\n".join(ROWS) + "\n",
    "dup.csv": "a,label,label\n" + "\n".join(ROWS) + "\n",
    "cont.csv": "a,y\n" + "\n".join(f"{i},{i * 1.37 + 0.11:.2f}" for i in range(30)),
    "one.csv": "a,label\n" + "\n".join(f"{i},x" for i in range(30)) + "\n",
    "few.csv": "a,label\n" + "\n".join(f"{i},{'x' if i else 'y'}" for i in range(30)),
    "nofeat.csv": "label\n" + "\n".join("abc"[i % 3] for i in range(30)) + "\n",
    "nolabel.csv": "a,label\n" + "\n".join(f"{i}," for i in range(30)) + "\n",
    "tail.csv": "a,label\n"
    + "\n".join(f"{i},{'x' if i < 20 else 'y'}" for i in range(24)),
    "allnan.csv": "a,b,label\n" + "\n".join(f",,{'abc'[i % 3]}" for i in range(30)),
    **{
        f"value_{name}.csv": "a,b,label\n"
        + "\n".join(
            f"{value if i == 4 else i},{i % 5},{'abc'[i % 3]}" for i in range(30)
        )
        for name, value in VALUES.items()
    },
    "many.csv": "a,b,label\n" + "\n".join(f"{i},{i % 5},{i % 10}" for i in range(60)),
    "dangling": "symlink",  # a symbolic link to a missing folder
    "empty.csv": "",
    "binary.csv": b"\xff\xfe\x00\x01\x80\x81\n",
    "file.txt": "not a folder",
    "blocked/results.json/": None,  # a directory where a results file goes
    "folder/": None,
    "locked/": "locked",  # a folder this process cannot write in
}


def _case(name, argv, match, code=2, files=(), fits=False):
    return pytest.param(argv, match, code, files, fits, id=name)


def _csv_case(name, csv, match, target="label"):
    """A row on the CSV file ``csv`` of :data:`FILES` (``--data csv --target ...``)."""
    return _case(name, ["--data", csv, "--target", target], match, files=[csv])


#: (case, arguments after ``compare``, message, exit status, files, fits allowed)
CASES = [
    _case("empty --methods", ["--methods", ""], r"--methods got no method name"),
    _case("only commas in --methods", ["--methods", ","], r"got no method name"),
    _case(
        "unknown method",
        ["--methods", "unifrom"],
        r"unknown method 'unifrom'. Did you mean 'uniform'",
    ),
    _case("--epochs 0", ["--epochs", "0"], r"--epochs: .*expected an integer >= 1"),
    _case("--epochs not a number", ["--epochs", "ten"], r"expected an integer; got"),
    _case("--folds 1", ["--folds", "1"], r"--folds must be >= 2; got 1"),
    _case("--seeds 0", ["--seeds", "0"], r"--seeds: .*>= 1; got 0"),
    _case("--imbalance below 1", ["--imbalance", "0.5"], r"a factor >= 1; got 0.5"),
    _case("--imbalance nan", ["--imbalance", "nan"], r"a factor >= 1; got nan"),
    _case("--test-size 1", ["--test-size", "1"], r"a share in \(0, 1\); got 1"),
    _case("--hidden-units with 0", ["--hidden-units", "64,0"], r"widths >= 1"),
    _case("--hidden-units not numbers", ["--hidden-units", "a,b"], r"comma-separ"),
    _case("--lr 0", ["--lr", "0"], r"--lr: .*finite number > 0; got 0"),
    _case("--lr inf", ["--lr", "inf"], r"finite number > 0; got inf"),
    _case("--batch-size 0", ["--batch-size", "0"], r"--batch-size: .*>= 1"),
    _case("--n-jobs 0", ["--n-jobs", "0"], r"--n-jobs: .*or -1 for every core"),
    _case(
        "--folds with holdout",
        ["--protocol", "holdout", "--folds", "3"],
        r"--folds has no meaning with --protocol holdout",
    ),
    _case("unknown --scenario", ["--scenario", "nope"], r"invalid choice: 'nope'"),
    _case(
        "--scenario with --protocol",
        ["--scenario", "shift", "--protocol", "holdout"],
        r"--scenario has its own protocol",
    ),
    _case("--out with --no-out", ["--out", "x", "--no-out"], r"contradict"),
    _case("--out empty", ["--out", ""], r"--out got an empty folder name"),
    _case("--target without --data", ["--target", "label"], r"--target needs --data"),
    _case("--data without --target", ["--data", "ok.csv"], r"--data needs --target"),
    _case(
        "--data missing",
        ["--data", "missing.csv", "--target", "label"],
        r"--data: file not found: missing.csv",
    ),
    _csv_case("--data empty", "empty.csv", r"cannot read empty.csv as CSV"),
    _csv_case(
        "--data not text",
        "binary.csv",
        r"cannot read binary.csv as CSV: 'utf-8' codec",
    ),
    _case(
        "--data a folder",
        ["--data", "folder", "--target", "label"],
        r"cannot read folder as CSV",
        files=["folder/"],
    ),
    _csv_case(
        "--target not a column",
        "ok.csv",
        r"'lable' is not a column of ok.csv; columns: a, b, label",
        target="lable",
    ),
    _csv_case(
        "duplicated target header",
        "dup.csv",
        r"--target 'label' names 2 columns of dup.csv \(columns 2, 3\)",
    ),
    _csv_case(
        "target of a pandas-renamed duplicate",
        "dup.csv",
        r"'label.1' is not in the header of dup.csv: it is pandas' name",
        target="label.1",
    ),
    _csv_case(
        "continuous target",
        "cont.csv",
        r"--target 'y' looks continuous \(30 distinct values in 30 rows",
        target="y",
    ),
    _csv_case("one class", "one.csv", r"needs at least 2 classes; got 1"),
    _csv_case(
        "class smaller than --folds",
        "few.csv",
        r"class 'y' of 'label' has 1 rows; at least 2 are needed \(one per fold\)",
    ),
    _csv_case(
        "no feature column",
        "nofeat.csv",
        r"nofeat.csv has no feature column besides 'label'",
    ),
    _csv_case(
        "every label missing",
        "nolabel.csv",
        r"at least 2 classes after dropping 30 rows without one; got 0",
    ),
    _csv_case(
        "every feature column empty",
        "allnan.csv",
        r"every feature column of allnan.csv is empty \(no value in any row\): "
        r"'a', 'b'",
    ),
    *[
        _csv_case(
            f"a feature value of {value}",
            f"value_{name}.csv",
            rf"column 'a' of value_{name}.csv holds {re.escape(f'{float(value):g}')} "
            r"\(data row 5\): compare needs finite values within float32",
        )
        for name, value in VALUES.items()
    ],
    _case(
        "--lr beyond the classifier's bound",
        ["--lr", "1e7"],
        r"argument --lr: The 'lr' parameter of VitalRouteClassifier must be a float "
        r"in the range \(0.0, 1000000.0\]. Got 10000000.0 instead",
    ),
    *[
        _case(
            f"holdout --test-size {share} with 10 small classes",
            ["--data", "many.csv", "--target", "label", "--folds", "5"]
            + ["--protocol", "holdout", "--test-size", share],
            rf"--test-size {share} cannot split 60 rows of 10 classes stratified "
            rf"\(The {side}_size = {n} should be greater or equal to the number of "
            r"classes = 10\)",
            files=["many.csv"],
        )
        for share, side, n in (("0.05", "test", 3), ("0.97", "train", 1))
    ],
    *[
        _case(
            f"--out {where} a dangling symlink",
            argv,
            r"dangling is a symbolic link to missing-target, which does not exist",
            files=files,
        )
        for where, argv, files in (
            ("is", ["--out", "dangling"], ["dangling"]),
            ("under", ["--out", "dangling/run"], ["dangling"]),
            (
                "is, with --data,",
                ["--data", "ok.csv", "--target", "label", "--out", "dangling"],
                ["ok.csv", "dangling"],
            ),
        )
    ],
    _case(
        "--out an existing file",
        ["--out", "file.txt"],
        r"--out file.txt is an existing file, not a folder",
        files=["file.txt"],
    ),
    _case(
        "--out under a file",
        ["--out", "file.txt/run"],
        r"--out file.txt/run: .*file.txt is a file, so no folder can be made",
        files=["file.txt"],
    ),
    _case(
        "--out not writable",
        ["--out", "locked/run"],
        r"--out .*: cannot write in ",
        files=["locked/"],
    ),
    _case(
        "results file blocked by a folder",
        ["--out", "blocked"],
        r"blocked/results.json is a directory, so results.json cannot be written",
        files=["blocked/results.json/"],
    ),
    _case(
        "--out not writable, with --data",
        ["--data", "ok.csv", "--target", "label", "--out", "locked/run"],
        r"cannot write in ",
        files=["ok.csv", "locked/"],
    ),
    _case(
        "a method that cannot fit",
        ["--data", "tail.csv", "--target", "label", "--imbalance", "10"]
        + ["--methods", "smote"],
        r"error: method 'smote' failed on seed 0, fold 0",
        code=1,
        files=["tail.csv"],
        fits=True,
    ),
]

FAST = ["--folds", "2", "--seeds", "1", "--epochs", "1", "--n-jobs", "1", "--quiet"]


def _locked(path):
    """A folder nobody but root can write; root gets a read-only system folder."""
    if os.geteuid() == 0:
        return Path("/sys/fs") if Path("/sys/fs").is_dir() else None
    path.mkdir()
    path.chmod(0o500)
    return path


def _make_files(folder, names, argv):
    """Create the files a case needs; return its argv (a locked folder may move)."""
    for name in names:
        content = FILES[name]
        path = folder / name.rstrip("/")
        if content == "symlink":
            path.symlink_to("missing-target")
        elif content == "locked":
            locked = _locked(path)
            if locked is None:
                pytest.skip("no folder this process cannot write in")
            argv = [str(locked / "run") if a == "locked/run" else a for a in argv]
        elif name.endswith("/"):
            path.mkdir(parents=True)
        else:
            data = content if isinstance(content, bytes) else content.encode()
            path.write_bytes(data)
    return argv


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _run(argv):
    """``main(["compare", *argv])``: the exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(["compare", *argv])
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


def _no_fit(*args, **kwargs):
    raise AssertionError("a fit started before the input was checked")


@pytest.mark.parametrize("argv, match, code, files, fits", CASES)
def test_bad_cli_input(argv, match, code, files, fits, tmp_path, monkeypatch):
    """Check each bad input exits with its status and a message, before any fit.

    Also check that the run leaves no file behind (no default results
    folder, no temporary file).
    """
    monkeypatch.chdir(tmp_path)
    argv = _make_files(tmp_path, files, argv)
    if not fits:
        monkeypatch.setattr(_compare, "run_fits", _no_fit)
        monkeypatch.setattr(_scenarios, "run_fits", _no_fit)
    before = _tree(tmp_path)
    status, err = _run(FAST + argv)
    assert status == code, err
    assert re.search(match, err), err
    assert "Traceback" not in err
    assert _tree(tmp_path) == before


def test_matrix_is_large_enough():
    """Check the matrix holds at least 20 distinct cases."""
    assert len({c.id for c in CASES}) == len(CASES) >= 20


# ---------------------------------------------------------------------- Ctrl-C
def _read(fd, seconds):
    """What the terminal ``fd`` shows within ``seconds`` ("" once it closed)."""
    ready, _, _ = select.select([fd], [], [], seconds)
    if not ready:
        return ""
    try:
        return os.read(fd, 65536).decode(errors="replace")
    except OSError:  # the child closed its end
        return ""


def _run_until_fitting(folder, n_jobs, wait_for):
    """Start a long comparison on a pseudo-terminal; return once it is fitting."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    # a terminal of 24 x 160 characters (a new one has no size: no bar drawn)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 160, 0, 0))
    argv = [sys.executable, "-m", "skvitalroute", "compare", "--methods"]
    argv += ["uniform", "inv_freq", "--epochs", "300", "--folds", "2", "--seeds"]
    argv += ["1", "--n-jobs", str(n_jobs)]
    proc = subprocess.Popen(
        argv,
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        start_new_session=True,  # its own process group, as a shell job has
    )
    os.close(slave)
    shown, deadline = "", time.monotonic() + 120
    while wait_for not in shown and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        shown += _read(master, 1.0)
    assert wait_for in shown, shown
    time.sleep(1.0)  # well inside skorch's training loop (a fit takes seconds)
    return proc, master, shown


def _shell_status(returncode):
    """The status a shell reports (``$?``) for a child's ``returncode``.

    A process that died by signal N has returncode -N and shell status
    128 + N. ``python -m`` may end a run whose Ctrl-C was handled by death by
    SIGINT instead of exit(130): CPython marks an interrupt as unhandled once
    it passes through code run from a string (a dataclass's generated
    methods in a lazy torch import, say), even when a caller catches it, and
    the ``-m`` path honours that mark at exit. Both are status 130.
    """
    return 128 - returncode if returncode < 0 else returncode


def _finish(proc, master, shown):
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        shown += _read(master, 0.5)
    shown += _read(master, 0.5)
    os.close(master)
    stdout = proc.communicate(timeout=5)[0].decode()
    return proc.returncode, stdout, shown


@pytest.mark.parametrize(
    "n_jobs, group",
    [
        pytest.param(1, False, id="sequential, SIGINT to the process"),
        pytest.param(
            2, True, id="two workers, SIGINT to the group", marks=pytest.mark.slow
        ),
        pytest.param(
            2, False, id="two workers, SIGINT to the parent", marks=pytest.mark.slow
        ),
    ],
)
def test_ctrl_c_stops_the_run(n_jobs, group, tmp_path):
    """Check a SIGINT during a fit stops everything: status 130, nothing written.

    skorch catches the interrupt inside ``fit``; without the guard the run
    would score the cut-short fit, go on with the others, write the results
    and exit 0. The progress bar (drawn on the pseudo-terminal) names the
    running fit, with one or two workers.
    """
    first = "uniform seed 0 fold 0"
    proc, master, shown = _run_until_fitting(tmp_path, n_jobs, first)
    if n_jobs == 2:
        assert "uniform seed 0 fold 0, uniform seed 0 fold 1" in shown
    if group:  # what a terminal's Ctrl-C does
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    code, stdout, shown = _finish(proc, master, shown)
    assert _shell_status(code) == 130, shown
    assert "interrupted (Ctrl-C); stopped, no results written" in shown
    assert "Traceback" not in shown
    assert stdout == ""  # no report
    assert list(tmp_path.iterdir()) == []  # no results folder


# --------------------------------------------------------------- the doc table
def _first_line(err):
    lines = [line for line in err.splitlines() if "error:" in line] or err.splitlines()
    text = lines[-1].replace("skvitalroute compare: ", "") if lines else ""
    return text if len(text) <= 110 else text[:107] + "..."


def _print_table():
    """Print the CLI table of docs/reliability.md from actual runs of CASES."""
    print("| case | command | exit | message |")
    print("|---|---|---|---|")
    for param in CASES:
        argv, _, _, files, fits = param.values
        with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
            mp.chdir(tmp)
            try:
                argv = _make_files(Path(tmp), files, argv)
            except pytest.skip.Exception:
                continue
            if not fits:
                mp.setattr(_compare, "run_fits", _no_fit)
                mp.setattr(_scenarios, "run_fits", _no_fit)
            code, err = _run(FAST + argv)
            if Path(tmp, "locked").exists():
                Path(tmp, "locked").chmod(0o700)
        shown = " ".join(a if a and " " not in a else repr(a) for a in argv)
        message = _first_line(err).replace("|", "\\|")
        print(f"| {param.id} | `skvitalroute compare {shown}` | {code} | {message} |")


if __name__ == "__main__":
    _print_table()
