"""A batch iterator for in-memory arrays: slices instead of per-row fetches.

skorch's default iterator is a :class:`torch.utils.data.DataLoader`: every
batch calls ``Dataset.__getitem__`` once per row and collates the rows. On
arrays already in memory that is about a third of a small network's fit.
:class:`ArrayBatches` yields the same batches as that ``DataLoader`` (the
same rows, in the same order, with the same dtypes and shapes, and the same
draws from torch's random streams) by drawing one index tensor per epoch
and gathering the rows in a few large blocks. :func:`batch_iterator` picks
it when the dataset holds plain arrays and the iterator's settings are ones
it reproduces, and builds the usual ``DataLoader`` otherwise.
"""

import numbers
from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler
from torch.utils.data._utils.collate import default_collate

from skvitalroute._data._dataset import stored_arrays
from skvitalroute.nn import MLPModule

# DataLoader settings the fast path reproduces, and the value each other
# setting must keep (its DataLoader default) for the fast path to apply.
_HANDLED = frozenset({"batch_size", "shuffle", "sampler", "drop_last", "generator"})
_NEUTRAL = {
    "num_workers": 0,
    "collate_fn": None,
    "pin_memory": False,
    "timeout": 0,
    "worker_init_fn": None,
    "persistent_workers": False,
}
# Rows of a validation or prediction batch of the default module (at least
# the training batch size): a batch of this size stays in the CPU's caches
# and is about twice as fast per row as batches of 64 (docs/performance.md).
_EVAL_ROWS = 1024
# Rows are gathered in blocks of about this many bytes: a few large copies
# per epoch, without a second copy of the whole training set in memory.
_BLOCK_BYTES = 4 * 2**20
# Whether ArrayBatches matches the DataLoader, per signature of the arrays.
_SAME_BATCH = {}


def batch_iterator(iterator, dataset, **kwargs):
    """Return the iterator ``iterator(dataset, **kwargs)`` or its fast twin.

    Parameters
    ----------
    iterator : type
        The net's iterator class (``iterator_train`` or ``iterator_valid``).
    dataset : torch.utils.data.Dataset
        The data to iterate over.
    **kwargs : dict
        The iterator's arguments (``batch_size``, ``shuffle``, ``sampler``,
        ...), as skorch passes them.

    Returns
    -------
    iterator : ArrayBatches or object
        An :class:`ArrayBatches` when ``iterator`` is torch's ``DataLoader``,
        the dataset is a skorch ``Dataset`` over arrays or tensors (or a
        ``Subset`` of one) and every argument is one it reproduces; else
        ``iterator(dataset, **kwargs)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from torch.utils.data import DataLoader
    >>> from skvitalroute._data._iterator import batch_iterator
    >>> data = Dataset(np.arange(10, dtype="float32").reshape(5, 2), np.arange(5))
    >>> batches = batch_iterator(DataLoader, data, batch_size=2)
    >>> type(batches).__name__, len(batches)
    ('ArrayBatches', 3)
    >>> [yb.tolist() for _, yb in batches]
    [[0, 1], [2, 3], [4]]
    """
    fast = _fast_iterator(iterator, dataset, kwargs)
    return iterator(dataset, **kwargs) if fast is None else fast


def eval_batch_size(module, batch_size):
    """Rows per validation or prediction batch for ``module``.

    Parameters
    ----------
    module : torch.nn.Module or None
        The net's module.
    batch_size : int
        The net's training batch size.

    Returns
    -------
    batch_size : int
        At least 1024 for the default :class:`~skvitalroute.nn.MLPModule`
        (whose activations per row are small and known); ``batch_size`` for
        any other module, whose memory per row this library cannot know.

    Examples
    --------
    >>> from skvitalroute._data._iterator import eval_batch_size
    >>> from skvitalroute.nn import MLPModule
    >>> eval_batch_size(MLPModule(4, 2), 64), eval_batch_size(None, 64)
    (1024, 64)
    """
    if isinstance(module, MLPModule):
        return max(int(batch_size), _EVAL_ROWS)
    return batch_size


def net_iterator(net, dataset, training=False):
    """The batch iterator of a classifier's training or validation split.

    Training batches are reshuffled every epoch unless
    ``iterator_train__shuffle=False``; when a resampling tactic set the
    net's ``train_sampler_`` for this fit, it draws the rows instead.
    Without ``iterator_valid__batch_size``, validation and prediction with
    the default module run on batches of at least 1024 rows
    (:func:`eval_batch_size`). ``batch_size=-1`` is the whole split.

    Parameters
    ----------
    net : VitalRouteClassifier
        Holds the ``iterator_train``/``iterator_valid`` settings,
        ``batch_size`` and, during a fit, ``train_sampler_``.
    dataset, training
        As in :meth:`~skvitalroute.VitalRouteClassifier.get_iterator`, which
        returns this iterator.

    Returns
    -------
    iterator : ArrayBatches or object
        As :func:`batch_iterator` returns it.
    """
    if training:
        kwargs = net.get_params_for("iterator_train")
        iterator = net.iterator_train
        sampler = getattr(net, "train_sampler_", None)
        if sampler is not None:
            kwargs.update(sampler=sampler, shuffle=False)
        elif "sampler" not in kwargs and "batch_sampler" not in kwargs:
            kwargs.setdefault("shuffle", True)
    else:
        kwargs = net.get_params_for("iterator_valid")
        iterator = net.iterator_valid
        if "batch_size" not in kwargs and net.batch_size != -1:
            module = getattr(net, "module_", None)
            kwargs["batch_size"] = eval_batch_size(module, net.batch_size)
    kwargs.setdefault("batch_size", net.batch_size)
    if kwargs["batch_size"] == -1:
        kwargs["batch_size"] = len(dataset)
    batches = batch_iterator(iterator, dataset, **kwargs)
    if isinstance(batches, ArrayBatches):
        batches.device = getattr(net, "device", None)
    return batches


class ArrayBatches:
    """Batches of in-memory arrays, as torch's ``DataLoader`` would yield them.

    Each pass (epoch) draws the order of the rows once, from the same
    sampler a ``DataLoader`` would use, then gathers the rows in large
    blocks and yields contiguous slices of them. The batches are those of
    ``DataLoader(dataset, batch_size, shuffle, sampler, drop_last,
    generator)``: the same rows in the same order, the same types, dtypes
    and shapes; torch's global random stream advances as it would.

    Parameters
    ----------
    X : torch.Tensor or dict of str to torch.Tensor
        All input rows (a dict's values are sliced together).
    y : torch.Tensor or None
        All targets; None yields the zeros a skorch ``Dataset`` gives
        without targets.
    rows : torch.Tensor or None
        The rows of ``X`` and ``y`` the dataset holds (a ``Subset``), in
        order; None for all of them.
    batch_size : int
        Rows per batch.
    sampler : torch.utils.data.Sampler or None
        Order of the rows of each pass (positions in the dataset); None
        keeps their order.
    drop_last : bool
        Drop the last, incomplete batch.
    generator : torch.Generator or None
        The generator a ``DataLoader`` draws its per-pass seed from.

    Attributes
    ----------
    device : str, torch.device or None
        Where the batches are made: the arrays are moved there once, at the
        first pass (the net's ``device``; None or a CPU keeps them where
        they are), so a GPU fit copies no batch from the host. Arrays
        larger than half the GPU's free memory stay on the host.
    """

    device = None

    def __init__(self, X, y, rows, *, batch_size, sampler, drop_last, generator):
        self.X = X
        self.y = y
        self.rows = rows
        self.batch_size = batch_size
        self.sampler = sampler
        self.drop_last = drop_last
        self.generator = generator
        self.n_rows = len(rows) if rows is not None else _length(X)

    def __len__(self):
        n = self._n_drawn()
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        index = self._epoch_index()
        n = len(index) if index is not None else self.n_rows
        if self.drop_last:
            n -= n % self.batch_size
        self._to_device()
        if index is not None:  # one copy of the epoch's order, not one a block
            index = index.to(_device_of(self.X))
        block = self._block_rows()
        for start in range(0, n, block):
            stop = min(start + block, n)
            if index is None:
                rows = torch.arange(start, stop, device=_device_of(self.X))
            else:
                rows = index[start:stop]
            if self.rows is not None:
                rows = self.rows[rows]
            X, y = _take(self.X, rows), self._targets(rows)
            for lo in range(0, stop - start, self.batch_size):
                hi = lo + self.batch_size
                yield [_slice(X, lo, hi), y[lo:hi]]

    def _to_device(self):
        """Move the arrays (and the subset's rows) to ``device``, once."""
        if self.device is None or torch.device(self.device).type == "cpu":
            return
        device = torch.device(self.device)
        if _device_of(self.X) == device or (
            device.index is None and _device_of(self.X).type == device.type
        ):
            return
        if not _fits_on(device, self.X, self.y):
            self.device = None  # batches are then copied one by one, by skorch
            return
        self.X = _to(self.X, device)
        self.y = None if self.y is None else self.y.to(device)
        self.rows = None if self.rows is None else self.rows.to(device)

    def _n_drawn(self):
        if self.sampler is None:
            return self.n_rows
        return len(self.sampler)

    def _epoch_index(self):
        """This pass's order, drawn as the DataLoader draws it."""
        # A DataLoader draws a base seed for its workers at each pass, even
        # without workers; drawing it too leaves torch's random stream (and
        # so dropout and the next pass's order) as the DataLoader leaves it.
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        sampler = self.sampler
        if sampler is None or type(sampler) is SequentialSampler:
            return None
        if _is_plain_permutation(sampler, self.n_rows):
            generator = sampler.generator
            if generator is None:  # as RandomSampler.__iter__ seeds itself
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                generator = torch.Generator()
                generator.manual_seed(seed)
            return torch.randperm(self.n_rows, generator=generator)
        draw = getattr(sampler, "draw_indices", None)
        if callable(draw):  # RowSampler: one index tensor per pass
            return torch.as_tensor(draw(), dtype=torch.int64)
        return torch.as_tensor(list(sampler), dtype=torch.int64)

    def _block_rows(self):
        tensors = _tensors(self.X)
        row_bytes = sum(t.element_size() * t[:1].numel() for t in tensors)
        per_block = max(1, _BLOCK_BYTES // max(1, row_bytes) // self.batch_size)
        return per_block * self.batch_size

    def _targets(self, rows):
        if self.y is None:
            # skorch's Dataset gives torch.Tensor([0]) per row without targets
            return torch.zeros((len(rows), 1))
        return self.y.index_select(0, rows.to(self.y.device))


def _fast_iterator(iterator, dataset, kwargs):
    """An ArrayBatches for these arguments, or None (use the DataLoader)."""
    if iterator is not DataLoader or not _reproducible(kwargs):
        return None
    stored = stored_arrays(dataset, exact_items=True)
    arrays = None if stored is None else _tensors_of(*stored[:2])
    if arrays is None:
        return None
    (X, y), rows = arrays, stored[2]
    batch_size = kwargs.get("batch_size", 1)
    if not _positive_int(batch_size):
        return None
    n = len(dataset)
    sampler = kwargs.get("sampler")
    if kwargs.get("shuffle", False):
        if sampler is not None:
            return None  # the DataLoader raises its own error
        sampler = RandomSampler(range(n), generator=kwargs.get("generator"))
    fast = ArrayBatches(
        X,
        y,
        None if rows is None else torch.as_tensor(rows, dtype=torch.int64),
        batch_size=int(batch_size),
        sampler=sampler,
        drop_last=bool(kwargs.get("drop_last", False)),
        generator=kwargs.get("generator"),
    )
    return fast if n and _same_batch(fast, dataset) else None


def _reproducible(kwargs):
    for key, value in kwargs.items():
        if key in _HANDLED:
            continue
        if key not in _NEUTRAL or value != _NEUTRAL[key]:
            return False
    return True


def _tensors_of(X, y):
    """``(X, y)`` of a plain skorch Dataset as tensors sharing their memory,
    or None when they are not numeric arrays of equal length."""
    if isinstance(X, Mapping):
        X = {key: _as_tensor(value) for key, value in X.items()}
        if not X or any(value is None for value in X.values()):
            return None
        if len({len(value) for value in X.values()}) != 1:
            return None
    else:
        X = _as_tensor(X)
        if X is None:
            return None
    if y is None:
        return X, None
    y = _as_tensor(y)
    if y is None or len(y) != _length(X):
        return None
    return X, y


def _as_tensor(value):
    """A tensor sharing ``value``'s memory, for a numeric array; else None."""
    if torch.is_tensor(value):
        return value if value.dim() > 0 else None
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return None
    if value.dtype.kind not in "biuf" or not value.flags.writeable:
        return None
    try:
        return torch.as_tensor(value)
    except (TypeError, RuntimeError):
        return None


def _same_batch(fast, dataset):
    """Whether the first rows come out as the DataLoader would give them.

    A guard against any array the fast path would slice differently from
    ``Dataset.__getitem__`` + ``default_collate`` (dtype, shape, type).
    That depends only on the arrays' kinds, dtypes and dimensions, so the
    answer is kept per such signature.
    """
    key = (_signature(fast.X), _signature(fast.y))
    if key not in _SAME_BATCH:
        _SAME_BATCH[key] = _compare_first_rows(fast, dataset)
    return _SAME_BATCH[key]


def _signature(X):
    if X is None:
        return None
    if isinstance(X, Mapping):
        return tuple((key, _signature(value)) for key, value in X.items())
    return (str(X.dtype), X.dim(), X.device.type)


def _compare_first_rows(fast, dataset):
    rows = list(range(min(2, len(dataset))))
    try:
        expected = default_collate([dataset[i] for i in rows])
    except Exception:  # noqa: BLE001 - the DataLoader path will say why
        return False
    index = torch.as_tensor(rows, dtype=torch.int64)
    if fast.rows is not None:
        index = fast.rows[index]
    got = [_take(fast.X, index), fast._targets(index)]
    return _equal(list(expected), got)


def _equal(a, b):
    if isinstance(a, Mapping):
        return (
            isinstance(b, Mapping)
            and list(a) == list(b)
            and all(_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(_equal(u, v) for u, v in zip(a, b, strict=True))
        )
    return (
        torch.is_tensor(a)
        and torch.is_tensor(b)
        and a.dtype == b.dtype
        and a.shape == b.shape
        and a.device == b.device
        and bool(torch.equal(a, b))
    )


def _positive_int(value):
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    return integral and value > 0


def _is_plain_permutation(sampler, n):
    return (
        type(sampler) is RandomSampler
        and not sampler.replacement
        and sampler.num_samples == n
        and len(sampler.data_source) == n
    )


def _tensors(X):
    return list(X.values()) if isinstance(X, Mapping) else [X]


def _length(X):
    return len(next(iter(X.values()))) if isinstance(X, Mapping) else len(X)


def _fits_on(device, X, y):
    """Whether the arrays take at most half of a CUDA device's free memory."""
    if device.type != "cuda":
        return True
    tensors = _tensors(X) + ([] if y is None else [y])
    size = sum(t.element_size() * t.numel() for t in tensors)
    try:
        free, _ = torch.cuda.mem_get_info(device)
    except (RuntimeError, AssertionError):
        return True
    return size <= free // 2


def _device_of(X):
    return next(iter(X.values())).device if isinstance(X, Mapping) else X.device


def _to(X, device):
    if isinstance(X, Mapping):
        return {key: value.to(device) for key, value in X.items()}
    return X.to(device)


def _take(X, rows):
    if isinstance(X, Mapping):
        return {key: _take(value, rows) for key, value in X.items()}
    return X.index_select(0, rows.to(X.device))


def _slice(X, lo, hi):
    if isinstance(X, Mapping):
        return {key: value[lo:hi] for key, value in X.items()}
    return X[lo:hi]
