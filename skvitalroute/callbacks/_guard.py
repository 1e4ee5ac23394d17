"""Stop a diverging fit with a clear error and the last finite parameters."""

import copy

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import Subset

from skvitalroute.callbacks._base import check_positive_int


class DivergenceGuard(Callback):
    """Stop training as soon as the loss or the parameters stop being finite.

    At the start of every epoch the guard keeps an in-memory copy of the
    net's modules and optimizers (their ``state_dict``). When a training
    batch's loss is NaN or infinite, or at the end of an epoch a parameter
    or buffer, or the network's output on (at most ``probe_size`` of) the
    training rows, is no longer finite, the copy is loaded back and a
    ``ValueError`` names the epoch and suggests a lower learning rate. The
    net is left as it was at the start of the diverging epoch, so it still
    predicts and ``partial_fit`` can continue from there (e.g. after
    ``set_params(lr=...)``). If the network's output already overflows on
    those rows with that copy, the state the fit started from is restored
    instead.

    Parameters
    ----------
    probe_size : int, default=1024
        Training rows (evenly spaced) whose output is checked at the end of
        every epoch and when a copy is restored.

    Attributes
    ----------
    good_epoch_ : int or None
        Epochs completed when the latest copy was taken (0: before the net's
        first epoch); None outside ``fit``.

    Notes
    -----
    A non-finite loss makes the optimizer step write NaN into the
    parameters, and the vitality tactics cannot read a network whose
    outputs are NaN, so training stops rather than skipping the batch: a
    run that overflows once usually keeps doing so at that learning rate,
    and a grid search then scores the candidate with ``error_score``
    instead of ranking a broken network. The copies (the latest one and
    the fit's starting state) cost two extra sets of parameters and
    optimizer state in memory during ``fit``; they are dropped at
    ``on_train_end``, so a pickled net does not carry them.
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

    def __init__(self, *, probe_size=1024):
        self.probe_size = probe_size

    def initialize(self):
        """Check the parameters and forget any copy left by a previous fit.

        Returns
        -------
        self : DivergenceGuard
        """
        check_positive_int("probe_size", self.probe_size)
        self.good_, self.good_epoch_ = None, None
        self.start_, self.start_epoch_ = None, None
        self.rows_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        """Start the fit without a copy."""
        self.initialize()

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Keep a copy of the (finite) state the epoch starts from."""
        epoch = len(net.history)
        self.rows_ = _spaced_rows(dataset_train, self.probe_size)
        if not _all_finite(net):
            self._fail(net, epoch, "the parameters are not finite when it starts")
        self.good_, self.good_epoch_ = _state(net), epoch - 1
        if self.start_ is None:
            self.start_, self.start_epoch_ = self.good_, self.good_epoch_

    def on_batch_end(self, net, training=False, loss=None, **kwargs):
        """Stop at the first training batch whose loss is not finite."""
        if not training or loss is None:
            return
        loss = torch.as_tensor(loss).detach()
        if not bool(torch.isfinite(loss).all()):
            batch = len(net.history[-1]["batches"])
            value = float(loss.float().mean())
            self._fail(net, len(net.history), f"the loss of batch {batch} is {value}")

    def on_epoch_end(self, net, **kwargs):
        """Stop when the epoch left a parameter or the output non-finite."""
        if not _all_finite(net):
            self._fail(net, len(net.history), "a parameter is not finite at its end")
        if not _finite_output(net, self.rows_):
            what = "the output on the training rows is not finite at its end"
            self._fail(net, len(net.history), what)

    def on_train_end(self, net, **kwargs):
        """Drop the copy so that a pickled net does not carry it."""
        self.initialize()

    def _fail(self, net, epoch, what):
        restored = self._restore(net)
        self.initialize()
        lr = getattr(net, "lr", None)
        raise ValueError(
            f"Training diverged in epoch {epoch}: {what}. {restored} Lower the "
            f"learning rate (lr={lr!r}) or scale the inputs (e.g. StandardScaler)."
        )

    def _restore(self, net):
        """Load the latest copy whose output is finite; say which one."""
        if self.good_ is None:
            return "No finite state was recorded in this fit to restore."
        tried = [(self.good_, self.good_epoch_), (self.start_, self.start_epoch_)]
        for state, done in tried:
            _load_state(net, state)
            if _finite_output(net, self.rows_):
                when = f"the end of epoch {done}" if done else "before epoch 1"
                return f"The parameters from {when} were restored."
        _load_state(net, self.good_)
        return (
            f"The last finite parameters (end of epoch {self.good_epoch_}) were "
            "restored, but the network's output overflows on the training rows."
        )


def _spaced_rows(dataset, size):
    """At most ``size`` evenly spaced rows of ``dataset`` (a view, no copy)."""
    if dataset is None:
        return None
    n = len(dataset)
    if n <= size:
        return dataset
    return Subset(dataset, np.linspace(0, n - 1, size).astype(int).tolist())


def _finite_output(net, rows):
    if rows is None:
        return True
    # A DataLoader draws a seed from torch's global RNG; keep the training
    # stream as it would be without the guard.
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        out = net.forward(rows, training=False)
    return not torch.is_tensor(out) or bool(torch.isfinite(out).all())


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


def _state(net):
    modules = {
        name: {k: v.detach().clone() for k, v in module.state_dict().items()}
        for name, module in _named(net, "modules")
    }
    optimizers = {
        name: copy.deepcopy(opt.state_dict()) for name, opt in _named(net, "optimizers")
    }
    return modules, optimizers


def _load_state(net, state):
    modules, optimizers = state
    for name, module in _named(net, "modules"):
        if name in modules:
            module.load_state_dict(modules[name])
    for name, opt in _named(net, "optimizers"):
        if name in optimizers:
            opt.load_state_dict(optimizers[name])
