"""torch's intra-op thread count for the library's own fits and predictions.

torch starts one intra-op thread per core. On the small networks this
library trains by default (a few tens of thousands of parameters, batches
of 64 rows) each operation is too short to share between threads, and on a
machine whose cores are busy the threads wait for each other: on the
project's shared 2-core machine a 2 000-row fit ran tens of times slower
with 2 threads than with 1 (docs/performance.md, "Threads"). So the library
runs its
small fits on one thread, and only for their duration: the user's setting
(``torch.get_num_threads()``) is restored afterwards.
"""

from contextlib import contextmanager

import torch
from joblib import effective_n_jobs

# Below this many floating-point operations per optimizer step (about
# 6 x batch rows x parameters for a forward and backward pass), one thread
# was as fast as two or faster on every network measured, idle or loaded
# (docs/performance.md); above it the library leaves torch's setting alone.
SMALL_STEP_FLOPS = 5e8


def fit_threads(n_jobs, module, batch_size, device="cpu"):
    """The torch thread count to use for a fit or prediction, or None.

    Parameters
    ----------
    n_jobs : int or None
        The estimator's ``n_jobs``: ``None`` for the library's choice, a
        positive int for that many threads, a negative int for scikit-learn's
        ``n_cpus + 1 + n_jobs``.
    module : torch.nn.Module, int or None
        The network, or its number of parameters, to size its work per
        step.
    batch_size : int
        Rows per training batch (``-1``: the whole set; counted as large).
    device : str, torch.device or None, default="cpu"
        The device; the choice applies to CPU work only. None (skorch: no
        device casting) means the device of the module's parameters.

    Returns
    -------
    threads : int or None
        The count to set; None leaves torch's setting as it is.

    Examples
    --------
    >>> from skvitalroute.nn import MLPModule
    >>> from skvitalroute._utils._threads import fit_threads
    >>> fit_threads(None, MLPModule(64, 10), 64)
    1
    >>> fit_threads(None, MLPModule(64, 10, (4096, 4096)), 512) is None
    True
    >>> fit_threads(3, None, 64)
    3
    """
    if n_jobs is not None:
        return int(effective_n_jobs(n_jobs))
    if module is None or _device_type(device, module) != "cpu":
        return None
    rows = batch_size if batch_size > 0 else None
    if isinstance(module, torch.nn.Module):
        params = sum(p.numel() for p in module.parameters())
    else:
        params = int(module)
    if rows is None or 6 * rows * params >= SMALL_STEP_FLOPS:
        return None
    return 1


def _device_type(device, module):
    """The device type the work runs on; None: where the module's tensors are."""
    if device is not None:
        return torch.device(device).type
    if isinstance(module, torch.nn.Module):
        param = next(module.parameters(), None)
        return "cpu" if param is None else param.device.type
    return "cpu"


@contextmanager
def torch_threads(threads):
    """Run a block with ``threads`` torch intra-op threads, then restore.

    Parameters
    ----------
    threads : int or None
        Threads for the block; None changes nothing.

    Yields
    ------
    None

    Examples
    --------
    >>> import torch
    >>> from skvitalroute._utils._threads import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
