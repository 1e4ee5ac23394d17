"""Datasets of the comparison and the long tail induced on training folds."""

from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

#: Imbalance factor of the embedded default task (classes 5-9 keep 1/5).
DEFAULT_IMBALANCE = 5.0
#: The largest feature value accepted from a CSV file (the networks' float32).
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class CompareError(ValueError):
    """A user-facing problem with the comparison's input (data, options)."""


@dataclass
class Task:
    """A dataset and how its training folds are made imbalanced.

    Attributes
    ----------
    name : str
        Short name shown in reports.
    X : ndarray or pandas.DataFrame of shape (n_samples, n_features)
        Input rows.
    y : ndarray of shape (n_samples,)
        Labels.
    classes : ndarray
        Sorted distinct labels.
    keep_fraction : dict
        Label -> share of its rows kept in each training fold (1.0 = all).
    minority : list
        Labels scored by the minority-class metrics.
    preprocessor : transformer
        Unfitted transformer put first in every pipeline (cloned per fit).
    description : str
        One line for the report.
    notes : list of str
        Lines added to the end of the report.
    n_dropped : int
        Rows of the source left out (a missing label).
    """

    name: str
    X: object
    y: np.ndarray
    classes: np.ndarray
    keep_fraction: dict
    minority: list
    preprocessor: object
    description: str = ""
    notes: list = field(default_factory=list)
    n_dropped: int = 0


def tail_fractions(classes, factor, *, tail="step"):
    """Share of rows each class keeps under an induced long tail.

    Classes are taken in sorted label order; the last ``K // 2`` of them,
    ``classes[(K + 1) // 2:]``, form the tail (classes 5-9 of digits).

    Parameters
    ----------
    classes : array-like
        Sorted labels.
    factor : float
        Imbalance factor (>= 1): the most reduced class keeps ``1 / factor``.
    tail : {"step", "exponential"}, default="step"
        ``"step"``: every tail class keeps ``1 / factor`` (the digits study).
        ``"exponential"``: class of rank ``i`` keeps ``factor ** (-i / (K - 1))``.

    Returns
    -------
    fractions : dict
        Label -> kept share.
    minority : list
        The tail labels.

    Examples
    --------
    >>> fr, tail = tail_fractions([0, 1, 2, 3], 4.0)
    >>> [float(fr[c]) for c in range(4)], tail
    ([1.0, 1.0, 0.25, 0.25], [2, 3])
    >>> fr, _ = tail_fractions(["a", "b", "c"], 4.0, tail="exponential")
    >>> [round(float(fr[c]), 3) for c in "abc"]
    [1.0, 0.5, 0.25]
    """
    classes = list(classes)
    if factor < 1:
        raise CompareError(f"--imbalance must be >= 1; got {factor}.")
    if tail not in ("step", "exponential"):
        raise CompareError(f"tail must be 'step' or 'exponential'; got {tail!r}.")
    k = len(classes)
    cut = (k + 1) // 2
    fractions = {}
    for i, label in enumerate(classes):
        if tail == "step":
            fractions[label] = 1.0 / factor if i >= cut else 1.0
        else:
            fractions[label] = float(factor ** (-i / max(k - 1, 1)))
    return fractions, classes[cut:]


def induce_imbalance(y, keep_fraction, random_state):
    """Indices of the rows of ``y`` kept under ``keep_fraction``.

    Each class keeps ``round(n_c * fraction)`` of its rows (at least one),
    drawn without replacement; the returned indices are sorted.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels of a training fold.
    keep_fraction : dict
        Label -> kept share; labels absent from the dict keep every row.
    random_state : int, sequence of int or numpy Generator
        Seeds the draw.

    Returns
    -------
    kept : ndarray of int
        Sorted positions into ``y``.

    Examples
    --------
    >>> y = [0] * 10 + [1] * 10
    >>> kept = induce_imbalance(y, {1: 0.2}, random_state=0)
    >>> len(kept), int((kept < 10).sum())
    (12, 10)
    """
    y = np.asarray(y)
    rng = np.random.default_rng(random_state)
    kept = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        frac = keep_fraction.get(label, 1.0)
        n_keep = (
            len(rows) if frac >= 1 else max(1, int(np.floor(len(rows) * frac + 0.5)))
        )
        kept.append(
            rows if n_keep == len(rows) else rng.choice(rows, n_keep, replace=False)
        )
    return np.sort(np.concatenate(kept))


def _fallback_minority(y, classes):
    """Classes with fewer than half the rows of the largest, else the smallest."""
    counts = np.array([np.sum(y == c) for c in classes])
    small = [c for c, n in zip(classes, counts, strict=True) if n < 0.5 * counts.max()]
    return small or [
        c for c, n in zip(classes, counts, strict=True) if n == counts.min()
    ]


def digits_task(imbalance=DEFAULT_IMBALANCE, *, tail="step"):
    """The embedded default: sklearn's digits, tail classes 5-9 reduced.

    Parameters
    ----------
    imbalance : float, default=5.0
        Imbalance factor applied to the training folds.
    tail : {"step", "exponential"}, default="step"
        Shape of the tail, see :func:`tail_fractions`.

    Returns
    -------
    task : Task
    """
    X, y = load_digits(return_X_y=True)
    classes = np.unique(y)
    fractions, minority = tail_fractions(classes, imbalance, tail=tail)
    desc = (
        f"sklearn digits ({len(y)} rows, 64 features, 10 classes); training rows "
        f"made {imbalance:g}:1 imbalanced ({tail} tail: classes "
        f"{', '.join(map(str, minority))} reduced); test rows untouched"
    )
    return Task("digits", X, y, classes, fractions, minority, StandardScaler(), desc)


def _read_csv(path):
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - pandas is a dev/benchmarks extra
        raise CompareError("--data needs pandas: pip install pandas") from exc
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise CompareError(f"--data: file not found: {path}") from None
    except Exception as exc:  # parser errors, empty files, ...
        raise CompareError(f"--data: cannot read {path} as CSV: {exc}") from None


def column_preprocessor(frame):
    """Standardize numeric columns and one-hot encode the others.

    Parameters
    ----------
    frame : pandas.DataFrame
        The feature columns.

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer
        Median-imputed, standardized numeric columns; most-frequent-imputed,
        one-hot encoded other columns (unknown categories ignored).
    """
    import pandas as pd

    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]
    other = [c for c in frame.columns if c not in numeric]
    parts = []
    if numeric:
        parts.append(
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            )
        )
    if other:
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        imputer = SimpleImputer(strategy="most_frequent")
        parts.append(("cat", make_pipeline(imputer, onehot), other))
    return ColumnTransformer(parts, sparse_threshold=0.0)


def csv_task(path, target, *, imbalance=None, tail="step", min_rows=2):
    """A task read from a CSV file.

    Parameters
    ----------
    path : str
        CSV file with a header row.
    target : str
        Name of the label column; rows with a missing label are dropped.
    imbalance : float or None, default=None
        Induce a long tail of this factor on the training folds; ``None``
        leaves the data as they are.
    tail : {"step", "exponential"}, default="step"
        Shape of the induced tail.
    min_rows : int, default=2
        Rows each class needs (the number of folds).

    Returns
    -------
    task : Task
    """
    frame = _read_csv(path)
    _check_target_column(path, frame, target)
    missing = frame[target].isna()
    n_dropped = int(missing.sum())
    frame = frame[~missing]
    y, label_note = _labels_as_written(path, frame[target], target, missing)
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CompareError(f"{path} has no feature column besides {target!r}.")
    classes, counts = _check_labels(y, target, n_dropped, min_rows)
    X, column_note = _check_features(path, X)
    if imbalance is None:
        fractions, minority = {c: 1.0 for c in classes}, _fallback_minority(y, classes)
        how = "as given"
    else:
        fractions, minority = tail_fractions(classes, imbalance, tail=tail)
        how = f"training folds made {imbalance:g}:1 imbalanced ({tail} tail)"
    desc = (
        f"{path} ({len(y)} rows, {X.shape[1]} columns, {len(classes)} classes of "
        f"{target!r}); {how}; minority classes: {', '.join(map(str, minority))}"
    )
    task = Task("csv", X, y, classes, fractions, minority, column_preprocessor(X), desc)
    task.notes += [note for note in (label_note, column_note) if note]
    if n_dropped:
        task.n_dropped = n_dropped
        task.notes.append(
            f"Dropped {n_dropped} of {n_dropped + len(y)} rows of {path}: their "
            f"{target!r} is missing."
        )
    return task


def _labels_as_written(path, parsed, target, missing):
    """The labels, and a note when reading them as numbers would merge some.

    pandas reads a label column of ``1``, ``01`` and ``2`` as the integers
    1, 1 and 2: two labels of the file become one class. The column is read
    again as text; when two texts (stripped of spaces) read as the same
    value, the labels are kept apart as text, and the note says so.
    """
    import pandas as pd

    y = parsed.to_numpy()
    if not (
        pd.api.types.is_numeric_dtype(parsed) or pd.api.types.is_bool_dtype(parsed)
    ):
        return y, None
    text = pd.read_csv(path, usecols=[target], dtype=str)[target][~missing.to_numpy()]
    text = text.str.strip().to_numpy()
    merged = []
    for value in pd.unique(y):
        written = sorted(set(text[y == value]))
        if len(written) > 1:
            merged.append(" and ".join(map(repr, written)))
    if not merged:
        return y, None
    note = (
        f"{target!r} holds labels that read as the same number ("
        f"{'; '.join(merged[:3])}{'; ...' if len(merged) > 3 else ''}); they are "
        "kept apart: the labels are read as text."
    )
    return text.astype(object), note


def _check_features(path, X):
    """Refuse feature values no fit can use; drop the columns with no value.

    Every numeric value must be finite and within float32 (the networks
    compute in float32, and standardizing a value near 1e155 overflows
    float64). A column missing in every row carries nothing (the
    preprocessor's imputer would drop it unannounced): it is dropped with
    a note, and refused when no column is left.
    """
    import pandas as pd

    empty = [c for c in X.columns if X[c].isna().all()]
    if len(empty) == X.shape[1]:
        raise CompareError(
            f"every feature column of {path} is empty (no value in any row): "
            f"{_columns(empty)}; compare needs at least one column with values."
        )
    for column in X.columns:
        if column in empty or not pd.api.types.is_numeric_dtype(X[column]):
            continue
        values = X[column].to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~(np.abs(values) <= _FLOAT32_MAX) & ~np.isnan(values))
        if bad.size:
            row = int(bad[0])
            more = f" and {bad.size - 1} more" if bad.size > 1 else ""
            raise CompareError(
                f"column {column!r} of {path} holds {values[row]:g} (data row "
                f"{X.index[row] + 1}{more}): compare needs finite values within "
                f"float32 (|x| <= {_FLOAT32_MAX:.3g}), the networks' precision; "
                "fix those rows, "
                "rescale the column or drop it."
            )
    if not empty:
        return X, None
    note = (
        f"Dropped {len(empty)} feature column(s) of {path} with no value in any "
        f"row: {_columns(empty)}."
    )
    return X.drop(columns=empty), note


def _columns(names):
    shown = ", ".join(map(repr, names[:10]))
    return shown + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _header(path):
    """The header row as written in the file (pandas renames duplicates)."""
    import pandas as pd

    try:
        row = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    except Exception:  # already read once by _read_csv; be safe anyway
        return None
    return [str(v) for v in row.iloc[0].tolist()]


def _check_target_column(path, frame, target):
    header = _header(path)
    if header is not None and header.count(target) > 1:
        where = [i + 1 for i, name in enumerate(header) if name == target]
        raise CompareError(
            f"--target {target!r} names {len(where)} columns of {path} (columns "
            f"{', '.join(map(str, where))}); rename the duplicates so the label "
            "column is unique."
        )
    if header is not None and target in frame.columns and target not in header:
        original = target.rsplit(".", 1)[0]
        raise CompareError(
            f"--target {target!r} is not in the header of {path}: it is pandas' "
            f"name for a repeated column {original!r}; rename the duplicates."
        )
    if target not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:20]))
        raise CompareError(
            f"--target {target!r} is not a column of {path}; columns: {cols}"
        )


def _check_labels(y, target, n_dropped, min_rows):
    """Classes and counts of ``y``, refusing what cannot be compared."""
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y) if len(y) else "empty"
    if kind == "continuous":
        values = ", ".join(f"{v:g}" for v in np.unique(y)[:3])
        raise CompareError(
            f"--target {target!r} looks continuous ({len(np.unique(y))} distinct "
            f"values in {len(y)} rows, such as {values}); compare needs class "
            "labels: choose a label column or bin this one first (e.g. pandas.cut)."
        )
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        dropped = f" after dropping {n_dropped} rows without one" if n_dropped else ""
        raise CompareError(
            f"--target {target!r} needs at least 2 classes{dropped}; "
            f"got {len(classes)}."
        )
    if counts.min() < min_rows:
        bad = classes[counts.argmin()]
        raise CompareError(
            f"class {_plain(bad)!r} of {target!r} has {counts.min()} rows; at least "
            f"{min_rows} are needed (one per fold); drop it or use fewer --folds."
        )
    return classes, counts


def _plain(value):
    """A numpy scalar as the Python value it holds (``5``, not ``np.int64(5)``)."""
    return value.item() if isinstance(value, np.generic) else value
