"""Command line: ``skvitalroute compare`` (also ``python -m skvitalroute compare``)."""

import argparse
import sys
import time
from pathlib import Path

from skvitalroute import __version__
from skvitalroute._classifier._params import PARAMETER_CONSTRAINTS
from skvitalroute._utils._validation import check_params
from skvitalroute.compare._compare import compare
from skvitalroute.compare._data import CompareError, csv_task, digits_task
from skvitalroute.compare._files import check_out_dir
from skvitalroute.compare._methods import METHODS, NetConfig, check_methods, describe
from skvitalroute.compare._report import render, write_outputs
from skvitalroute.compare._run import FitError
from skvitalroute.compare.scenarios import SCENARIOS, run_scenario

#: Defaults of the plain comparison (measured to fit ~3 minutes on 2 cores).
DEFAULT_FOLDS = 5
DEFAULT_SEEDS = 3
DEFAULT_EPOCHS = 30
DEFAULT_HOLDOUT_SEEDS = 10
HOLDOUT_METHODS = (
    "uniform",
    "inv_freq",
    "vitalroute",
    "vitalroute_seed",
    "vitalroute_seed_blind",
)
#: Parent of the default output folder, ``results/compare-<date>-<time>/``.
DEFAULT_OUT_ROOT = "results"
#: Exit status after Ctrl-C (128 + SIGINT, what shells report).
EXIT_INTERRUPTED = 130

_EPILOG = """\
examples:
  skvitalroute compare                                  # digits 5:1, every method
  skvitalroute compare --methods inv_freq vitalroute --seeds 5 --out my-run/
  skvitalroute compare --protocol holdout               # the original study's format
  skvitalroute compare --data my.csv --target label --imbalance 10
  skvitalroute compare --scenario transfer
  skvitalroute compare --list-methods
"""


def _number(text, kind, what):
    """``kind(text)``, or an argparse error naming ``what`` was expected."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None


def _positive_int(text):
    value = _number(text, int, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; got {value}")
    return value


def _factor(text):
    value = _number(text, float, "a number")
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"expected a factor >= 1; got {text}")
    return value


def _share(text):
    value = _number(text, float, "a number")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1); got {text}")
    return value


def _positive_float(text):
    value = _number(text, float, "a number")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text}")
    return value


def _n_jobs(text):
    value = _number(text, int, "an integer")
    if value == 0:
        raise argparse.ArgumentTypeError(
            "expected a number of workers >= 1, or -1 for every core (-2 all but "
            "one, ...); got 0"
        )
    return value


def _units(text):
    try:
        units = tuple(int(u) for u in text.split(",") if u.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated widths such as 128,64; got {text!r}"
        ) from None
    if not units or min(units) < 1:
        raise argparse.ArgumentTypeError(f"expected widths >= 1; got {text!r}")
    return units


def _add_compare_arguments(p):
    g = p.add_argument_group("what to compare")
    g.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="methods to run, space or comma separated, or 'all' "
        "(default: all; holdout: " + ", ".join(HOLDOUT_METHODS) + ")",
    )
    g.add_argument(
        "--list-methods", action="store_true", help="list the methods and exit"
    )
    g.add_argument(
        "--scenario",
        choices=tuple(SCENARIOS),
        help="run one of the claim-testing scenarios instead",
    )
    d = p.add_argument_group("data")
    d.add_argument(
        "--data",
        metavar="FILE.csv",
        help="your own CSV file (default: embedded digits)",
    )
    d.add_argument("--target", metavar="COLUMN", help="label column of --data")
    d.add_argument(
        "--imbalance",
        type=_factor,
        metavar="FACTOR",
        help="induce a long tail on the training folds only: the tail "
        "classes keep 1/FACTOR of their rows (default: 5 on digits, "
        "none on --data)",
    )
    d.add_argument(
        "--tail",
        choices=("step", "exponential"),
        default="step",
        help="shape of the induced tail (default: step; the tail is the "
        "second half of the sorted labels)",
    )
    r = p.add_argument_group("protocol")
    r.add_argument(
        "--protocol",
        choices=("cv", "holdout"),
        default="cv",
        help="repeated stratified k-fold (default) or the original "
        "study's holdout split",
    )
    r.add_argument(
        "--folds",
        type=_positive_int,
        default=DEFAULT_FOLDS,
        help=f"folds per repeat (default: {DEFAULT_FOLDS})",
    )
    r.add_argument(
        "--seeds",
        type=_positive_int,
        metavar="N",
        help=f"repeats, seeds 0..N-1 (default: {DEFAULT_SEEDS}; holdout: "
        f"{DEFAULT_HOLDOUT_SEEDS})",
    )
    r.add_argument(
        "--test-size",
        type=_share,
        default=0.25,
        help="test share of the holdout protocol (default: 0.25)",
    )
    n = p.add_argument_group("network (the same for every neural method)")
    n.add_argument(
        "--epochs",
        type=_positive_int,
        help=f"training epochs of every neural method (default: {DEFAULT_EPOCHS} for "
        "the fixed-budget methods, the router's budget for vitalroute and "
        "vitalroute_inv_freq; scenarios have their own)",
    )
    n.add_argument(
        "--hidden-units",
        type=_units,
        default=(128, 64),
        metavar="W1,W2",
        help="hidden-layer widths (default: 128,64)",
    )
    n.add_argument(
        "--lr", type=_positive_float, default=1e-3, help="Adam learning rate"
    )
    n.add_argument("--batch-size", type=_positive_int, default=64)
    o = p.add_argument_group("output")
    o.add_argument(
        "--out",
        metavar="DIR",
        help="write results.csv, folds.csv, results.json, comparison.png there "
        f"(default: a new {DEFAULT_OUT_ROOT}/compare-DATE-TIME/)",
    )
    o.add_argument(
        "--no-out", action="store_true", help="print the report only, write no file"
    )
    o.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        help="parallel fits through joblib (default: -1, every core)",
    )
    o.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (it is off anyway when stderr is not a terminal)",
    )
    p.add_argument("--version", action="version", version=_version())


def _version():
    return f"skvitalroute {__version__}"


def build_parser():
    """The argument parser of the ``skvitalroute`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="skvitalroute",
        description="Vitality-routed neural training for imbalanced data.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser(
        "compare",
        help="compare vitality routing with inv_freq and other baselines",
        description=(
            "Cross-validated comparison of vitality routing against inverse-"
            "frequency weighting and other fixes for imbalance. Every neural "
            "method is the same network trained the same way; only the tactic "
            "differs."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_compare_arguments(p)
    p.set_defaults(subparser_=p)
    return parser


def _split_methods(values):
    return [v for item in values for v in item.split(",") if v.strip()]


def _check_combinations(parser, args):
    if args.target and not args.data:
        parser.error("--target needs --data FILE.csv")
    if args.data and not args.target:
        parser.error("--data needs --target COLUMN (the label column)")
    if args.scenario and args.data:
        parser.error("--scenario runs on its own embedded/generated data; drop --data")
    if args.scenario and args.protocol != "cv":
        parser.error("--scenario has its own protocol; drop --protocol")
    if args.protocol == "holdout" and args.folds != DEFAULT_FOLDS:
        parser.error("--folds has no meaning with --protocol holdout (use --seeds)")
    if args.folds < 2:
        parser.error(f"--folds must be >= 2; got {args.folds}")
    if args.methods is not None and not _split_methods(args.methods):
        parser.error(
            f"--methods got no method name ({' '.join(map(repr, args.methods))}); "
            "give names such as inv_freq vitalroute, or all (see --list-methods)"
        )
    if args.out is not None and args.no_out:
        parser.error("--out and --no-out contradict each other; give one")
    if args.out is not None and not args.out.strip():
        parser.error("--out got an empty folder name")


#: Network options and the VitalRouteClassifier parameter each one sets.
_NET_OPTIONS = (
    ("--lr", "lr"),
    ("--batch-size", "batch_size"),
    ("--hidden-units", "hidden_units"),
)


def _check_network(parser, args):
    """Refuse a network option every neural fit would refuse, before any fit:
    the classifier's own constraints (``--lr 1e7`` is beyond its 1e6)."""
    for option, name in _NET_OPTIONS:
        try:
            check_params(
                {name: PARAMETER_CONSTRAINTS[name]},
                {name: getattr(args, name)},
                "VitalRouteClassifier",
            )
        except ValueError as exc:
            parser.error(f"argument {option}: {exc}")


def _list_methods():
    width = max(map(len, METHODS))
    return "\n".join(f"{m.ljust(width)}  {describe(m)}" for m in METHODS) + "\n"


def _run(args):
    holdout = args.protocol == "holdout"
    default = HOLDOUT_METHODS if holdout else METHODS
    methods = check_methods(_split_methods(args.methods) if args.methods else default)
    seeds = range(args.seeds or (DEFAULT_HOLDOUT_SEEDS if holdout else DEFAULT_SEEDS))
    config = NetConfig(
        epochs=args.epochs,
        hidden_units=args.hidden_units,
        lr=args.lr,
        batch_size=args.batch_size,
    )
    if args.data:
        min_rows = 2 if holdout else args.folds
        task = csv_task(
            args.data,
            args.target,
            imbalance=args.imbalance,
            tail=args.tail,
            min_rows=min_rows,
        )
        for note in task.notes:  # what was dropped or read otherwise
            _say(f"note: {note}")
    else:
        task = digits_task(
            5.0 if args.imbalance is None else args.imbalance, tail=args.tail
        )
    title = "skvitalroute compare" + (" --protocol holdout" if holdout else "")
    return compare(
        task,
        methods,
        config,
        protocol=args.protocol,
        folds=args.folds,
        seeds=seeds,
        test_size=args.test_size,
        n_jobs=args.n_jobs,
        quiet=args.quiet,
        title=title,
    )


def _run_scenario(args):
    methods = check_methods(_split_methods(args.methods)) if args.methods else None
    return run_scenario(
        args.scenario,
        methods=methods,
        epochs=args.epochs,
        seeds=args.seeds,
        folds=args.folds,
        config=NetConfig(
            hidden_units=args.hidden_units, lr=args.lr, batch_size=args.batch_size
        ),
        n_jobs=args.n_jobs,
        quiet=args.quiet,
    )


def default_out_dir(args, *, root=DEFAULT_OUT_ROOT, now=None):
    """A new folder for this run: ``results/compare[-SCENARIO]-DATE-TIME/``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (``scenario``, ``protocol``).
    root : str, default="results"
        Parent folder.
    now : time.struct_time, default=None
        The time in the name (default: now, local time).

    Returns
    -------
    path : Path
        A path that does not exist yet (``-2``, ``-3``, ... appended when
        a run of the same second took the name).
    """
    kind = args.scenario or ("holdout" if args.protocol == "holdout" else "")
    stamp = time.strftime("%Y%m%d-%H%M%S", now or time.localtime())
    base = Path(root) / "-".join(filter(None, ["compare", kind, stamp]))
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _say(text):
    sys.stderr.write(f"skvitalroute compare: {text}\n")


def _wrote(out, paths):
    names = ", ".join(p.name for p in paths)
    text = f"results in {out}{'' if str(out).endswith('/') else '/'}: {names}\n"
    if not any(p.suffix == ".png" for p in paths):
        text += "comparison.png skipped: pip install matplotlib\n"
    return text


def main(argv=None):
    """Entry point of the ``skvitalroute`` console script.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success; 1 when a method fails to fit (the message names the
        method and split) or the results cannot be written; 130 after
        Ctrl-C (SIGINT). Bad input, including an unusable ``--out``, exits
        through argparse with status 2 and a message naming the option,
        before any fit. Only a finished run writes files, all of them or
        none.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_methods:
        sys.stdout.write(_list_methods())
        return 0
    parser = args.subparser_  # errors show the usage of ``compare``
    _check_combinations(parser, args)
    _check_network(parser, args)
    out = None if args.no_out else Path(args.out or default_out_dir(args))
    start = time.perf_counter()
    try:
        if out is not None:
            check_out_dir(out)
        result = _run_scenario(args) if args.scenario else _run(args)
        sys.stdout.write(render(result))
        if out is not None:
            try:
                paths = write_outputs(result, out)
            except OSError as exc:
                _say(
                    f"error: cannot write the results to {out} ({exc}); no file written"
                )
                return 1
            sys.stdout.write(_wrote(out, paths))
    except CompareError as exc:
        parser.error(str(exc))
    except FitError as exc:
        _say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted (Ctrl-C); stopped, no results written")
        return EXIT_INTERRUPTED
    sys.stdout.write(f"total time {time.perf_counter() - start:.0f} s\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
