"""How long one ``VitalRouteClassifier()`` fit takes for N rows x F features.

Each cell of the grid is one fit of the default classifier, as it comes
(the default router's budget: at least 2000 optimizer steps within 30 to
500 epochs), on an imbalanced ``make_classification`` task (2 classes,
weights 0.8/0.2, a third of the features informative), timed with
``time.perf_counter`` around ``fit``, on **one core**: torch on one
intra-op thread (the library's default for this network size, set again
here) and BLAS on one thread (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``OPENBLAS_NUM_THREADS`` are set to 1 before NumPy and torch load). The
table gives the fits a ``fit`` made (three up to 5000 rows: the race's two
candidates and the refit; one above), the epochs of the final fit, the
optimizer steps of all of them, the fit time and the time per step;
docs/performance.md, "Fit time by rows and features", shows a run.

Run::

    python benchmarks/bench_fit_time.py                       # the default grid
    python benchmarks/bench_fit_time.py --rows 1000 10000 --features 20
    python benchmarks/bench_fit_time.py --quick               # smoke test
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402

from skvitalroute import VitalRouteClassifier  # noqa: E402

DEFAULT_ROWS = (1_000, 5_000, 20_000, 100_000)
DEFAULT_FEATURES = (20, 100)


def time_fit(n_rows, n_features, *, random_state=0, **params):
    """Fit the default classifier once on an ``n_rows x n_features`` task.

    Parameters
    ----------
    n_rows, n_features : int
        Size of the generated task.
    random_state : int, default=0
        Seed of the data and of the classifier.
    **params : dict
        Extra classifier parameters (e.g. ``max_epochs`` for a smoke test).

    Returns
    -------
    row : dict
        ``rows``, ``features``, ``fits``, ``epochs`` (of the final fit),
        ``steps`` (of every fit: the race's candidates and the final fit),
        ``fit_s`` and ``ms_per_step``.
    """
    X, y = make_classification(
        n_samples=n_rows,
        n_features=n_features,
        n_informative=max(2, n_features // 3),
        weights=[0.8],
        random_state=random_state,
    )
    clf = VitalRouteClassifier(random_state=random_state, n_jobs=1, **params)
    start = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - start
    steps = clf.max_epochs_ * int(np.ceil(n_rows / clf.batch_size))
    race = clf.route_.race or {}
    table_rows = race.get("table", [])
    # a candidate's last checkpoint is its whole fit
    raced = {}
    for row in table_rows:
        raced[row["candidate"]] = max(raced.get(row["candidate"], 0), row["steps"])
    steps += sum(raced.values())
    return {
        "rows": n_rows,
        "features": n_features,
        "fits": 1 + len(raced),
        "epochs": clf.max_epochs_,
        "steps": steps,
        "fit_s": fit_s,
        "ms_per_step": 1000 * fit_s / steps,
    }


def table(rows):
    """The results as a Markdown table."""
    lines = [
        "| rows | features | fits | epochs | optimizer steps | fit s | ms a step |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rows']} | {r['features']} | {r['fits']} | {r['epochs']} | {r['steps']} "
            f"| {r['fit_s']:.1f} | {r['ms_per_step']:.2f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    """Run the grid and print the machine, the settings and the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    parser.add_argument(
        "--features", type=int, nargs="+", default=list(DEFAULT_FEATURES)
    )
    parser.add_argument(
        "--quick", action="store_true", help="two tiny cells of 2 epochs"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    grid = [(n, f) for n in args.rows for f in args.features]
    params = {}
    if args.quick:
        grid, params = [(200, 5), (400, 5)], {"max_epochs": 2}
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; torch {torch.__version__} on "
        f"{torch.get_num_threads()} thread, BLAS threads 1; one fit a cell"
    )
    time_fit(100, 5, max_epochs=1)  # first-fit costs (imports, kernels) untimed
    rows = []
    for n, f in grid:
        rows.append(time_fit(n, f, **params))
    print(table(rows))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return rows


if __name__ == "__main__":
    main()
