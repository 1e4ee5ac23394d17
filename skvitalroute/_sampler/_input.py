"""VitalitySampler's input handling: the rows it returns and their memory.

imbalanced-learn's ``BaseSampler._check_X_y`` validates ``X`` with
scikit-learn's ``validate_data(dtype="numeric")``, which converts an object
array, a list or a DataFrame of mixed dtypes to one numeric dtype, float64
for most. That copy is what the probe network reads; it is not always what
the user passed (``2**60 + 1`` becomes ``2**60`` in float64). The sampler
promises every original row untouched, so its output rows are taken from
the input itself whenever the numeric copy might differ from it.
"""

import sys

import numpy as np
from scipy import sparse
from sklearn.utils import check_array

# Without psutil and /proc/meminfo, the largest output the sampler builds.
OUTPUT_CAP_BYTES = 64 * 2**30
_GIB = 2**30


def _is_pandas_df(X):
    # As scikit-learn checks: pandas is only imported if the user did.
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(X, pd.DataFrame)


def rows_source(X, X_valid):
    """The array the output rows are taken from.

    Parameters
    ----------
    X : array-like or sparse matrix
        The input as the user passed it.
    X_valid : ndarray or sparse matrix
        The same input validated by scikit-learn (numeric).

    Returns
    -------
    rows : ndarray, sparse matrix or DataFrame
        ``X_valid`` when it holds exactly the values of ``X`` (a numeric
        array, a sparse matrix, a DataFrame of one numpy dtype); else the
        input itself: the DataFrame, the object array, or a list as an
        object array of its own elements.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute._sampler._input import rows_source
    >>> X = np.array([[2**60 + 1]], dtype=object)
    >>> rows_source(X, X.astype(float))[0, 0] == 2**60 + 1
    True
    """
    if _is_pandas_df(X):
        dtypes = set(X.dtypes)
        exact = len(dtypes) == 1 and dtypes.pop() == X_valid.dtype
        return X_valid if exact else X
    if isinstance(X, np.ndarray) or sparse.issparse(X):
        return X_valid if X.dtype == X_valid.dtype else X
    if isinstance(X, list | tuple):
        return np.asarray(X, dtype=object)
    return X_valid


def numeric_copy(rows):
    """The numeric array the probe network reads, from :func:`rows_source`.

    Parameters
    ----------
    rows : ndarray, sparse matrix or DataFrame
        What :func:`rows_source` returned.

    Returns
    -------
    X : ndarray or sparse matrix
        ``rows`` itself when numeric, else its validated numeric copy.
    """
    if sparse.issparse(rows) or (isinstance(rows, np.ndarray) and rows.dtype != object):
        return rows
    return check_array(rows, accept_sparse=["csr", "csc"], dtype="numeric")


def take_rows(rows, indices):
    """``rows[indices]``, positionally, with a fresh index for a DataFrame.

    The new index ``0 .. len(indices) - 1`` is what imbalanced-learn's
    samplers return for a DataFrame.
    """
    if _is_pandas_df(rows):
        return rows.iloc[indices].reset_index(drop=True)
    return rows[indices]


def output_bytes(rows, y, n_rows):
    """Estimated memory of an output of ``n_rows`` rows.

    It counts the output ``X`` (a DataFrame's columns, an object array's
    references, a sparse matrix's average stored entries per row), ``y``
    and ``sample_indices_``, plus the draws' index arrays (16 bytes a
    row).

    Parameters
    ----------
    rows : ndarray, sparse matrix or DataFrame
        What the output rows are taken from.
    y : ndarray of shape (n_samples,)
        The labels.
    n_rows : int
        Rows of the output.

    Returns
    -------
    n_bytes : int

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute._sampler._input import output_bytes
    >>> output_bytes(np.zeros((10, 4)), np.zeros(10, dtype=np.int64), 100)
    6400
    """
    n_in = max(rows.shape[0], 1)
    if sparse.issparse(rows):
        entry = rows.data.itemsize + rows.indices.itemsize
        row = rows.nnz * entry / n_in + rows.indptr.itemsize
    elif _is_pandas_df(rows):
        row = rows.memory_usage(index=False, deep=False).sum() / n_in
    else:
        row = rows.dtype.itemsize * rows.shape[1]
    y_row = y.dtype.itemsize * (y.size // max(y.shape[0], 1))
    return int(np.ceil(n_rows * (row + y_row + np.dtype(np.intp).itemsize + 16)))


def available_bytes():
    """Memory available for new allocations, and where the number came from.

    Returns
    -------
    n_bytes : int
        psutil's ``virtual_memory().available`` when psutil is installed,
        else ``MemAvailable`` of ``/proc/meminfo`` (Linux), else
        :data:`OUTPUT_CAP_BYTES`.
    source : str
        ``"available"`` for a measured figure, ``"cap"`` for the fixed cap.
    """
    try:
        import psutil

        return int(psutil.virtual_memory().available), "available"
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "available"
    except (OSError, ValueError, IndexError):
        pass
    return OUTPUT_CAP_BYTES, "cap"


def check_output_fits(sampler, rows, y, n_added, why=""):
    """Refuse an output that would not fit in memory, before building it.

    Parameters
    ----------
    sampler : VitalitySampler
        Named in the message, with its ``sampling_strategy``.
    rows : ndarray, sparse matrix or DataFrame
        What the output rows are taken from.
    y : ndarray of shape (n_samples,)
        The labels.
    n_added : int
        Rows the sampler would add.
    why : str, default=""
        How ``n_added`` follows from ``sampling_strategy`` (for the message).

    Raises
    ------
    ValueError
        Naming ``sampling_strategy`` when the estimated output exceeds the
        available memory (:func:`available_bytes`).
    """
    n_out = y.shape[0] + int(n_added)
    needed = output_bytes(rows, y, n_out)
    limit, source = available_bytes()
    if needed <= limit:
        return
    where = (
        "the memory available"
        if source == "available"
        else "the sampler's cap without psutil or /proc/meminfo"
    )
    raise ValueError(
        f"sampling_strategy={sampler.sampling_strategy!r} asks for {_rows(n_out)} "
        f"output rows ({_rows(n_added)} added{why}): about {needed / _GIB:.3g} GiB "
        "for X, y "
        f"and sample_indices_, more than {where} ({limit / _GIB:.1f} GiB). "
        "Ask for fewer rows (a smaller sampling_strategy)."
    )


def _rows(n):
    """A row count, exact unless it has more than 15 digits."""
    return f"{int(n)}" if n < 10**15 else f"{float(n):.3g}"


def one_hot_labels(y):
    """The labels of a one-hot ``y``, or None when ``y`` is not one-hot.

    imbalanced-learn takes a one-hot (indicator) ``y`` as one-vs-all input:
    each row's label is the column of its 1. Its own handling reads a row
    of zeros as class 0, fails on a DataFrame, and returns a binary one-hot
    ``y`` as one column; the sampler reads the labels here and returns the
    rows of ``y`` itself (same columns, dtype and container).

    Parameters
    ----------
    y : array-like or DataFrame
        The labels as passed to ``fit_resample``.

    Returns
    -------
    one_hot : None or (ndarray of shape (n_samples,), ndarray or DataFrame)
        None unless ``y`` is 2-D with several columns of 0 and 1 only; then
        each row's column index and ``y`` as an array (a DataFrame kept).

    Raises
    ------
    ValueError
        When such a ``y`` has a row with no 1 or with several.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute._sampler._input import one_hot_labels
    >>> one_hot_labels(np.array([[0, 1], [1, 0]]))[0].tolist()
    [1, 0]
    >>> one_hot_labels(np.array([0, 1])) is None
    True
    """
    rows = y if _is_pandas_df(y) else np.asarray(y)
    if rows.ndim != 2 or rows.shape[1] < 2 or rows.shape[0] == 0:
        return None
    values = np.asarray(rows)
    if values.dtype == object or values.dtype.kind not in "biuf":
        return None
    ones = values == 1
    if not np.all(ones | (values == 0)):
        return None  # not an indicator: imbalanced-learn names it (multi-output)
    per_row = ones.sum(axis=1)
    for bad, what in ((per_row == 0, "no 1 (no class)"), (per_row > 1, "several 1s")):
        if bad.any():
            first = np.flatnonzero(bad)[:3].tolist()
            raise ValueError(
                f"y is an indicator matrix of shape {values.shape}, read as "
                "one-hot (imbalanced-learn's one-vs-all encoding), but "
                f"{int(bad.sum())} of its rows have "
                f"{what}, e.g. rows {first}; each row needs exactly one 1. "
                "Multi-label y is not supported: give one label per row."
            )
    return ones.argmax(axis=1), rows
