"""What bench_scale.py and bench_speed.py share: the command line, the report.

Each script builds its tables its own way; this module holds the parts
around them: the common options, the memory child process, the machine
line, the Markdown tables and the run that prints and writes the report.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def parse_args(argv, doc, sections, add_arguments):
    """Parse a benchmark's command line.

    The options are ``--quick``, ``--out`` and ``--sections`` (``sections``:
    the default), the script's own (``add_arguments(parser)`` adds them),
    then ``--threads`` and the hidden ``--memory-child``.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--out", help="also write the Markdown report to this file")
    parser.add_argument(
        "--sections",
        default=",".join(sections),
        help="comma-separated subset of " + ",".join(sections),
    )
    add_arguments(parser)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_child(script, spec):
    """Run ``script --memory-child spec`` in a fresh process; its result."""
    cmd = [sys.executable, os.path.abspath(script), "--memory-child", json.dumps(spec)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def vm_hwm_mib():
    """Peak resident set size of this process (VmHWM), MiB.

    The kernel reports VmHWM as the larger of its recorded peak and the
    current RSS, and records the peak only on some events (an unmap, the
    exit), so a later reading can be lower than an earlier one: take the
    largest of the readings as the peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def cpu_name(default):
    """The CPU's model name from /proc/cpuinfo, else ``default``."""
    try:
        with open("/proc/cpuinfo") as f:
            names = [
                ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")
            ]
        return names[0] if names else default
    except OSError:
        return default


def load_average():
    """The load averages over 1, 5 and 15 minutes, as ``"0.50, 0.40, 0.30"``."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def log_to(log, message):
    """Pass ``message`` to ``log`` unless it is None."""
    if log is not None:
        log(message)


def markdown_table(rows, columns):
    """A Markdown table of ``rows`` (dicts) with ``columns`` in that order."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def report(tables, titles, header=""):
    """The Markdown report of ``tables``; ``titles``: section -> (title, columns)."""
    parts = [header] if header else []
    for section, rows in tables.items():
        title, columns = titles[section]
        parts.append(f"### {title}\n\n{markdown_table(rows, columns)}")
    return "\n\n".join(parts) + "\n"


def run_and_report(
    script, argv, args, memory_child, run, machine_info, settings, titles
):
    """Run the sections asked for, print the report, write it to ``--out``.

    ``run(sections=, threads=, log=)`` makes the tables (progress goes to
    stderr), ``machine_info(threads)`` the machine line and ``settings`` the
    training settings named in the report's header. With ``--memory-child``,
    print the JSON result of ``memory_child`` on its spec instead.
    """
    if args.memory_child:
        print(json.dumps(memory_child(json.loads(args.memory_child))))
        return 0
    command = f"python benchmarks/{script} " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    start = time.perf_counter()
    header_before = machine_info(args.threads)
    tables = run(
        sections=tuple(args.sections.split(",")),
        threads=args.threads,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    header = (
        f"`{command.strip()}`\n\n{header_before} (at start); load at end "
        f"{load_average()}; {settings}; wall time "
        f"{time.perf_counter() - start:.0f} s"
    )
    text = report(tables, titles, header)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


def emit(script, argv, text, out=None):
    """Print ``text`` under the command that made it; also write it to ``out``.

    Parameters
    ----------
    script : str
        The script's path as run from the repository root.
    argv : list of str or None
        Its arguments (None: ``sys.argv[1:]``).
    text : str
        The report.
    out : str or None
        A file to write the report to as well.

    Returns
    -------
    rc : int
        0, the script's exit status.
    """
    command = f"python {script} " + " ".join(argv or sys.argv[1:])
    text = f"Command: `{command.strip()}`\n\n" + text
    print(text)
    if out:
        from pathlib import Path

        Path(out).write_text(text + "\n")
    return 0
