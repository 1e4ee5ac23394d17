"""Read the training rows out of the dataset skorch trains on.

skorch hands callbacks ``dataset_train`` in ``on_epoch_begin`` /
``on_epoch_end``: a :class:`skorch.dataset.Dataset`, or a
:class:`torch.utils.data.Subset` of one after the validation split. The
tactics probe the network on those rows, so they need them as one array
(not row by row); the callbacks call :func:`training_arrays` once per fit.
A weighted fit's ``X`` is skorch's dict ``{"X": X, "sample_weight": w}``;
the probe reads the input array out of it.
"""

from collections.abc import Mapping

import numpy as np
import torch
from scipy import sparse
from skorch.dataset import Dataset
from torch.utils.data import Subset


def training_arrays(dataset):
    """Return the inputs and labels held by a training dataset.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A :class:`skorch.dataset.Dataset`, a ``Subset`` of one (nested
        subsets are followed), or any dataset whose items are ``(X_i, y_i)``
        pairs of tensors or arrays. An ``X`` that is a dict of one input
        and ``"sample_weight"`` gives that input.

    Returns
    -------
    X : ndarray or torch.Tensor
        The input rows, in dataset order.
    y : ndarray or None
        The labels, or None when the dataset holds none.

    Raises
    ------
    TypeError
        When the inputs are not one array (a dict or list of inputs, or a
        pandas frame turned into one column per input by skorch): the probe
        reads a single input tensor.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skvitalroute._data._dataset import training_arrays
    >>> X, y = np.zeros((4, 2), "float32"), np.array([0, 1, 0, 1])
    >>> data = Dataset({"X": X, "sample_weight": np.ones(4, "float32")}, y)
    >>> training_arrays(data)[0].shape
    (4, 2)
    """
    stored = stored_arrays(dataset)
    if stored is None:
        return _stack_items(dataset)
    X, y, rows = stored
    X, y = _as_input(_without_weights(X)), _as_labels(y)
    if rows is None:
        return X, y
    return take_rows(X, rows), None if y is None else y[rows]


def stored_arrays(dataset, *, exact_items=False):
    """The arrays a training dataset's rows are read from, as skorch stores them.

    The one place the training rows are dug out of skorch's ``Dataset``:
    :func:`training_arrays` (the tactic callbacks), ``DivergenceGuard`` and
    the batch iterator (``skvitalroute._data._iterator``) read them through
    it.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset or None
        A dataset, possibly a (nested) ``Subset``.
    exact_items : bool, default=False
        Also require that the dataset's items are exactly its rows of ``X``
        and ``y`` (see :func:`is_plain_dataset`), as the batch iterator
        needs to slice them instead of fetching items.

    Returns
    -------
    arrays : tuple or None
        ``(X, y, rows)``: the ``X`` and ``y`` attributes of the skorch
        ``Dataset`` that ``dataset`` selects from, unconverted (``X`` may be
        a dict, a sparse matrix, ...), and the rows of them ``dataset``
        holds (None: all, in order). None when that dataset is not a plain
        skorch ``Dataset`` (see :func:`is_plain_dataset`) or is None.
    """
    if dataset is None:
        return None
    base, rows = unwrap_subsets(dataset)
    if not is_plain_dataset(base, exact_items=exact_items):
        return None
    return base.X, base.y, rows


def unwrap_subsets(dataset):
    """Follow nested ``Subset``s down to the dataset they select from.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        A dataset, possibly a (nested) ``Subset``.

    Returns
    -------
    base : torch.utils.data.Dataset
        The innermost dataset.
    rows : ndarray of int or None
        The rows of ``base`` that ``dataset`` holds, in order; None when
        ``dataset`` is not a ``Subset``.
    """
    rows = None
    while isinstance(dataset, Subset):
        index = np.asarray(dataset.indices, dtype=np.intp)
        rows = index if rows is None else index[rows]
        dataset = dataset.dataset
    return dataset, rows


def is_plain_dataset(dataset, *, exact_items=False):
    """Whether ``dataset`` is a skorch ``Dataset`` whose items are its rows
    of ``X`` and ``y`` as they are.

    Always: no custom ``transform``. With ``exact_items``, also skorch's own
    ``__getitem__`` and an ``X`` that is not a pandas frame (whose items
    skorch splits into one column per input).
    """
    kind = type(dataset)
    plain = isinstance(dataset, Dataset) and kind.transform is Dataset.transform
    if not (plain and exact_items):
        return plain
    return kind.__getitem__ is Dataset.__getitem__ and not dataset.X_is_ndframe


def take_rows(X, rows):
    """Rows ``rows`` of an array or tensor."""
    if torch.is_tensor(X):
        return X[torch.as_tensor(rows, device=X.device)]
    return X[rows]


def _without_weights(X):
    """The one input array of an ``X`` dict that also holds sample weights."""
    if isinstance(X, Mapping) and "sample_weight" in X:
        rest = [value for key, value in X.items() if key != "sample_weight"]
        if len(rest) == 1:
            return rest[0]
    return X


def _as_input(X):
    if sparse.issparse(X):
        return X.toarray()
    if torch.is_tensor(X):
        return X
    if isinstance(X, np.ndarray):
        return X
    raise TypeError(
        "The vitality callbacks read a training set whose X is one array or "
        f"tensor; got {type(X).__name__}. Pass X as a numpy array or tensor."
    )


def _as_labels(y):
    if y is None:
        return None
    if torch.is_tensor(y):
        return y.detach().cpu().numpy()
    return np.asarray(y)


def _stack_items(dataset):
    """Fallback for other datasets: read every item once and stack them."""
    xs, ys = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, tuple | list):
            item = (item,)
        xi, yi = item[0], (item[1] if len(item) > 1 else None)
        xs.append(torch.as_tensor(np.asarray(xi) if not torch.is_tensor(xi) else xi))
        ys.append(None if yi is None else _as_labels(yi).reshape(-1)[0])
    if not xs:
        raise ValueError("The training dataset is empty.")
    y = None if any(v is None for v in ys) else np.asarray(ys)
    return torch.stack(xs), y
