"""Stop a diverging fit with a clear error and the last finite parameters."""

import copy
import math

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import Subset

from skvitalroute._data._dataset import stored_arrays, take_rows
from skvitalroute._utils._validation import POSITIVE_INT
from skvitalroute.callbacks._base import CheckedOnce
from skvitalroute.probe._rows import probe_rows


class DivergenceGuard(CheckedOnce, Callback):
    """Stop training as soon as the loss, parameters or output stop being finite.

    When an epoch starts, the guard checks that the network's parameters,
    buffers and output on (at most ``probe_size`` of) the training rows are
    finite, then keeps an in-memory copy of the net's modules and optimizers
    (the tensors of their ``state_dict``, copied in place into the previous
    epoch's copy, and the optimizers' hyper-parameters). When a training
    batch's loss is NaN or infinite, a parameter is not finite at the end of
    an epoch, or the next check (at the next epoch's start, or when training
    ends) fails, the copy is loaded back and a ``ValueError`` names the
    epoch and suggests a lower learning rate. The net is then as it was at
    the start of the diverging epoch, with a finite output on the checked
    rows: it still predicts, and ``partial_fit`` can continue from there
    (e.g. after ``set_params(lr=...)``).

    Parameters
    ----------
    probe_size : int, default=1024
        The most training rows whose output is checked: every row when
        there are at most ``probe_size``, else ``probe_size`` rows drawn
        with seed 0 (:func:`skvitalroute.probe._rows.probe_rows` without
        labels: the guard serves any skorch net, regressors included), the
        same rows every epoch.

    Attributes
    ----------
    good_epoch_ : int or None
        Epochs completed when the copy was taken (0: before the net's first
        epoch); None outside ``fit``.

    Notes
    -----
    A non-finite loss makes the optimizer step write NaN into the
    parameters, and the vitality tactics cannot read a network whose output
    is NaN, so training stops rather than skipping the batch: a run that
    overflows once usually keeps doing so at that learning rate, and a grid
    search then scores the candidate with ``error_score`` instead of ranking
    a broken network. The check costs one forward pass over at most
    ``probe_size`` rows per epoch; the copy costs one extra set of
    parameters and optimizer state in memory during ``fit``. It is dropped
    at ``on_train_end``, so a pickled net does not carry it.
    ``VitalRouteClassifier`` installs the guard as ``"divergence_guard"``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import DivergenceGuard
    >>> X = np.random.default_rng(0).normal(size=(64, 4)).astype("float32") * 1e4
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                              torch.nn.Linear(8, 2))
    >>> net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
    ...                           optimizer=torch.optim.SGD, lr=10.0,
    ...                           max_epochs=20, train_split=None, verbose=0,
    ...                           callbacks=[DivergenceGuard()])
    >>> try:
    ...     net.fit(X, y)
    ... except ValueError as exc:
    ...     print(str(exc)[:26])
    Training diverged in epoch
    >>> bool(np.isfinite(net.predict_proba(X)).all())
    True
    """

    _parameter_constraints: dict = {"probe_size": [POSITIVE_INT]}

    def __init__(self, *, probe_size=1024):
        self.probe_size = probe_size

    def initialize(self):
        """Check the parameters and forget any copy left by a previous fit.

        Returns
        -------
        self : DivergenceGuard
        """
        self._check_params_now()
        return self._forget()

    def _forget(self):
        self.good_, self.good_epoch_ = None, None
        self.rows_, self.rows_X_ = None, None
        self.checked_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        """Start the fit without a copy."""
        self._check_params_if_set()
        self._forget()

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Check the state the epoch starts from, then keep a copy of it."""
        if self.checked_ is None or self.checked_[0] is not dataset_train:
            # the same training set every epoch of a fit: take its rows once
            rows = _probe_subset(dataset_train, self.probe_size)
            self.checked_ = (dataset_train, rows, _one_array(rows))
        _, self.rows_, self.rows_X_ = self.checked_
        self._check_state(net, len(net.history) - 1)
        self.good_ = _snapshot(net, self.good_)
        self.good_epoch_ = len(net.history) - 1

    def on_batch_end(self, net, training=False, loss=None, **kwargs):
        """Stop at the first training batch whose loss is not finite."""
        if not training or loss is None:
            return
        if not _finite_loss(loss):
            loss = torch.as_tensor(loss).detach()
            batch = len(net.history[-1]["batches"])
            value = float(loss.float().mean())
            self._fail(net, len(net.history), f"the loss of batch {batch} is {value}")

    def on_epoch_end(self, net, **kwargs):
        """Stop before the tactics read parameters the last step broke."""
        if not _all_finite(net):
            self._fail(net, len(net.history), "a parameter is not finite at its end")

    def on_train_end(self, net, **kwargs):
        """Check the final state, then drop the copy (not to be pickled)."""
        if self.good_ is not None:
            self._check_state(net, len(net.history))
        self._forget()

    def _check_state(self, net, epoch):
        """Fail unless the parameters and the output after ``epoch`` are finite."""
        finite_params = _all_finite(net)
        if finite_params and _finite_output(net, self.rows_, self.rows_X_):
            return
        if self.good_ is not None:
            what = "the output on the training rows is not finite at its end"
            if not finite_params:
                what = "a parameter is not finite at its end"
            self._fail(net, epoch, what)
        self._forget()  # nothing of this fit ran yet: the start is broken
        if not finite_params:
            raise ValueError(
                f"The network's parameters are not finite before training epoch "
                f"{epoch + 1}. Re-initialise it (fit without warm_start) or load "
                "finite parameters."
            )
        raise ValueError(
            "The network's output on the training rows is not finite before "
            f"training epoch {epoch + 1}, although its parameters are: the inputs "
            "or weights are too large for its float32 arithmetic. Scale the "
            "inputs (e.g. StandardScaler)."
        )

    def _fail(self, net, epoch, what):
        _restore(net, self.good_)
        done = self.good_epoch_
        when = f"the end of epoch {done}" if done else "before epoch 1"
        self._forget()
        raise ValueError(
            f"Training diverged in epoch {epoch}: {what}. The parameters from "
            f"{when} were restored. Lower the learning rate "
            f"(lr={getattr(net, 'lr', None)!r}) or scale the inputs "
            "(e.g. StandardScaler)."
        )


def _finite_loss(loss):
    """Whether a batch's loss is finite.

    skorch's loss is a scalar tensor: reading it as a Python float costs
    about 0.2 us per batch, ``torch.isfinite(loss).all()`` about 5 us.
    """
    if torch.is_tensor(loss) and loss.numel() == 1:
        return math.isfinite(loss.item())
    return bool(torch.isfinite(torch.as_tensor(loss).detach()).all())


def _probe_subset(dataset, size):
    """The rows of ``dataset`` that :func:`probe_rows` chooses without labels
    (a view, no copy; ``dataset`` itself when it has at most ``size`` rows)."""
    if dataset is None:
        return None
    n = len(dataset)
    if n <= size:
        return dataset
    return Subset(dataset, probe_rows(n, None, size).tolist())


def _finite_output(net, rows, X=None):
    """Whether the output on ``rows`` (held as the array ``X``, if one) is finite."""
    if rows is None:
        return True
    # A DataLoader draws a seed from torch's global RNG; keep the training
    # stream as it would be without the guard.
    X = _one_array(rows) if X is None else X
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        out = net.forward(rows, training=False) if X is None else _infer(net, X)
    return not torch.is_tensor(out) or bool(torch.isfinite(out).all())


def _one_array(dataset):
    """The rows of a skorch ``Dataset`` holding one array (or of a ``Subset``
    of one), else None (also for None).

    Taken as one array, they go through the module in a single pass instead
    of a DataLoader fetching them one by one, which cost several
    milliseconds per check (benchmarks/bench_scale.py).
    """
    stored = stored_arrays(dataset)
    X, _, rows = (None, None, None) if stored is None else stored
    if not (isinstance(X, np.ndarray) or torch.is_tensor(X)):
        return None
    return X if rows is None else take_rows(X, rows)


def _infer(net, X):
    """The module's eval-mode output on ``X``, as ``net.forward`` computes it."""
    module = net.module_
    was_training = module.training
    module.eval()
    try:
        return net.infer(X)
    finally:
        module.train(was_training)


def _named(net, kind):
    """The net's initialised modules or optimizers, by skorch's registry."""
    names = getattr(net, "_" + kind, None) or [kind[:-1]]
    found = ((name, getattr(net, name + "_", None)) for name in names)
    return [(name, obj) for name, obj in found if obj is not None]


def _all_finite(net):
    for _, module in _named(net, "modules"):
        for tensor in module.state_dict().values():
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                return False
    return True


def _snapshot(net, previous=None):
    """Copy what a restore needs: every module's and optimizer's tensors.

    The modules' ``state_dict`` tensors and the optimizers' per-parameter
    state are copied into the tensors of ``previous`` (the last epoch's
    snapshot) when it has the same layout, so that an epoch costs one
    in-place copy per tensor instead of new allocations and a deep copy;
    the optimizers' hyper-parameters (``param_groups``, a few numbers) are
    copied as they are.
    """
    old_modules, old_optimizers = previous or ({}, {})
    modules = {
        name: _copy_into(old_modules.get(name), module.state_dict())
        for name, module in _named(net, "modules")
    }
    optimizers = {}
    for name, opt in _named(net, "optimizers"):
        packed = opt.state_dict()
        old = old_optimizers.get(name, {}).get("state")
        optimizers[name] = {
            "state": _copy_into(old, packed["state"]),
            "param_groups": copy.deepcopy(packed["param_groups"]),
        }
    return modules, optimizers


def _copy_into(old, new):
    """``new`` copied, into ``old``'s tensors where the layouts match."""
    if isinstance(new, dict):
        old = old if isinstance(old, dict) and old.keys() == new.keys() else {}
        return {key: _copy_into(old.get(key), value) for key, value in new.items()}
    if not torch.is_tensor(new):
        return copy.deepcopy(new)
    same = (
        torch.is_tensor(old)
        and old.shape == new.shape
        and old.dtype == new.dtype
        and old.device == new.device
    )
    if not same:
        return new.detach().clone()
    return old.copy_(new.detach())


def _restore(net, state):
    """Load a snapshot back (fresh copies: the net must not share its tensors)."""
    modules, optimizers = state
    for name, module in _named(net, "modules"):
        if name in modules:
            module.load_state_dict(modules[name])
    for name, opt in _named(net, "optimizers"):
        if name in optimizers:
            opt.load_state_dict(_copy_into(None, optimizers[name]))
