"""The training epoch without skorch's per-batch machinery nobody listens to.

skorch's ``run_single_epoch`` does, for every batch: three callback
notifications (``on_batch_begin``, ``on_grad_computed``, ``on_batch_end``),
each a call to every callback (most of them the base class's no-op), the
modules' ``train()``, an optimizer closure, a ``TeeGenerator`` of the
parameters and two history records. On the small networks this library
trains by default that is a quarter of a batch's time.

:func:`fast_epoch` runs the same epoch when nothing but the library itself
listens per batch: the same batches, optimizer steps, losses and history
(one record per batch with ``train_loss`` and ``train_batch_size``, written
before ``on_epoch_end`` reads them), the modules put in training mode once
per epoch. When anything else listens (a user's callback that overrides
``on_batch_begin``, ``on_batch_end`` or ``on_grad_computed``, a subclass
that overrides a step method, an optimizer that evaluates its closure more
than once) the epoch is skorch's own, unchanged.

When the batch is a pair of tensors already on the net's device, no fit
parameters are given and ``infer`` / ``get_loss`` are the library's, the
batch goes straight to ``module_`` and ``criterion_``: what skorch's
``infer`` and ``get_loss`` would call after their conversions, which are
no-ops on such a batch (the criterion is not an ``NLLLoss``, whose
classifier ``get_loss`` takes the log first).

The divergence guard's per-batch loss check is kept: on the CPU after each
batch, as before; on another device the losses stay on it during the epoch
(no per-batch copy to the host) and are read in one copy at its end, the
guard then stopping at the first non-finite one (the parameters it restores
are the epoch's start either way).
"""

import math

import torch
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import get_len, unpack_data

from skvitalroute.callbacks._guard import DivergenceGuard

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")
# Optimizers whose step() evaluates the closure exactly once, so that
# ``closure(); step()`` is ``step(closure)``.
_ONE_EVALUATION = tuple(
    getattr(torch.optim, name)
    for name in (
        "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad",
        "Adadelta", "ASGD", "Rprop",
    )
    if hasattr(torch.optim, name)
)
# The step methods fast_epoch stands in for, as the library defines them.
_STEP_METHODS = ("train_step", "train_step_single", "on_batch_begin", "on_batch_end",
                 "on_grad_computed", "_zero_grad_optimizer", "_step_optimizer",
                 "get_train_step_accumulator", "notify")


def fast_epoch_applies(net, training, step_fn):
    """Whether :func:`fast_epoch` can run this epoch in skorch's place.

    Parameters
    ----------
    net : VitalRouteClassifier
        The net.
    training : bool
        A training epoch (validation epochs are skorch's).
    step_fn : callable
        The step skorch would call per batch.

    Returns
    -------
    applies : bool
        True for a training epoch with ``net.train_step`` whose only
        per-batch listener is the divergence guard, whose step methods are
        the library's and whose optimizers evaluate a closure once.
    """
    if not training or getattr(step_fn, "__func__", None) is not _library(
        net, "train_step"
    ):
        return False
    cls = type(net)
    if any(getattr(cls, name) is not _library(net, name) for name in _STEP_METHODS):
        return False
    if not isinstance(getattr(net, "history", None), list):
        return False  # e.g. skorch's DistributedHistory
    for _, cb in getattr(net, "callbacks_", ()):
        if type(cb) is DivergenceGuard or _validation_only(cb):
            continue
        if any(_overrides(cb, hook) for hook in _BATCH_HOOKS):
            return False
    optimizers = [getattr(net, name + "_") for name in net._optimizers]
    return all(type(opt) in _ONE_EVALUATION for opt in optimizers)


def _library(net, name):
    """``name`` as the library's classifier defines it (its first base that
    is not a user's subclass)."""
    from skvitalroute._classifier._estimator import VitalRouteClassifier

    return getattr(VitalRouteClassifier, name)


def _validation_only(cb):
    """skorch's ``EpochScoring`` of validation batches (``valid_acc``): its
    ``on_batch_end`` returns at once on a training batch."""
    return (
        isinstance(cb, EpochScoring)
        and not cb.on_train
        and type(cb).on_batch_end is EpochScoring.on_batch_end
        and not _overrides(cb, "on_batch_begin")
        and not _overrides(cb, "on_grad_computed")
    )


def _overrides(cb, hook):
    return getattr(type(cb), hook, None) is not getattr(Callback, hook)


def fast_epoch(net, iterator, prefix, **fit_params):
    """Train one epoch over ``iterator`` as skorch's ``run_single_epoch`` does.

    Parameters
    ----------
    net : VitalRouteClassifier
        The net; :func:`fast_epoch_applies` holds.
    iterator : iterable
        The training batches, ``[X, y]`` pairs.
    prefix : str
        History prefix (``"train"``).
    **fit_params : dict
        Passed to the module's ``forward``.
    """
    if iterator is None:
        return
    guards = [cb for _, cb in net.callbacks_ if type(cb) is DivergenceGuard]
    on_host = _on_host(net)
    device = _direct_device(net, fit_params)
    optimizers = [getattr(net, name + "_") for name in net._optimizers]
    records = net.history[-1]["batches"]
    loss_key, size_key = prefix + "_loss", prefix + "_batch_size"
    losses, sizes = [], []
    count = 0
    net._set_training(True)
    try:
        for batch in iterator:
            Xi, yi = unpack_data(batch)
            for opt in optimizers:
                opt.zero_grad()
            if device is not None and _on(Xi, device) and _on(yi, device):
                y_pred = net.module_(Xi)
                loss = net.criterion_(y_pred, yi)
            else:
                y_pred = net.infer(Xi, **fit_params)
                loss = net.get_loss(y_pred, yi, X=Xi, training=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            sizes.append(len(Xi) if torch.is_tensor(Xi) else get_len(Xi))
            count += 1
            if on_host:
                value = loss.item()
                losses.append(value)
                if guards and not math.isfinite(value):
                    _flush(records, losses, sizes, loss_key, size_key)
                    for guard in guards:
                        guard.on_batch_end(net, training=True, loss=loss)
            else:
                losses.append(loss.detach())
    finally:
        # the batches that ran are recorded, also when a batch raised
        losses = _host_values(losses)
        if guards:
            bad = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
            if bad is not None:
                _flush(records, losses[: bad + 1], sizes[: bad + 1], loss_key, size_key)
                for guard in guards:
                    guard.on_batch_end(
                        net, training=True, loss=torch.tensor(losses[bad])
                    )
        _flush(records, losses, sizes, loss_key, size_key)
    net.history.record(prefix + "_batch_count", count)


def _direct_device(net, fit_params):
    """The device a batch must be on to skip ``infer`` and ``get_loss``, or
    None when they must run (fit parameters, a subclass's own methods, an
    ``NLLLoss``)."""
    if fit_params or isinstance(getattr(net, "criterion_", None), torch.nn.NLLLoss):
        return None
    for name in ("infer", "get_loss"):  # a subclass's or an instance's own
        if name in vars(net) or getattr(type(net), name) is not _library(net, name):
            return None
    device = torch.device(getattr(net, "device", None) or "cpu")
    if device.type == "cuda" and device.index is None:  # where .to("cuda") moves
        device = torch.device("cuda", torch.cuda.current_device())
    return device


def _on(tensor, device):
    """Whether ``tensor`` is a tensor on ``device``."""
    return torch.is_tensor(tensor) and tensor.device == device


def _on_host(net):
    device = getattr(net, "device", "cpu")
    return device is None or torch.device(device).type == "cpu"


def _host_values(losses):
    """The batches' losses as floats, in one copy for device tensors."""
    if not losses or not torch.is_tensor(losses[0]):
        return losses
    return torch.stack(losses).float().cpu().tolist()


def _flush(records, losses, sizes, loss_key, size_key):
    """Append one history record per batch (what skorch records per batch)
    and empty ``losses`` and ``sizes``."""
    records.extend(
        {loss_key: loss, size_key: size} for loss, size in zip(losses, sizes)
    )
    losses[:] = []
    sizes[:] = []

