"""Per-layer learning-rate scaling by stasis.

The rule is in ``docs/tactics.md``, "Per-layer learning rates".
"""

import warnings
import weakref
from numbers import Real

from skvitalroute._utils._validation import POSITIVE_INT, StrictInterval
from skvitalroute.callbacks._base import VitalityCallback
from skvitalroute.probe._probe import VitalityProbe

_MIN_SCALE = 0.1
# The step hooks each optimizer carries for a LayerLRScaler; a fit that
# stopped before on_train_end leaves them, and the next fit removes them.
_STEP_HOOKS = weakref.WeakKeyDictionary()


def layer_param_groups(module, probe=None):
    """Build optimizer parameter groups: one per hidden layer, one for the rest.

    Parameters
    ----------
    module : torch.nn.Module
        The network (e.g. a skorch net's ``module_``).
    probe : VitalityProbe, default=None
        A probe of ``module``, to reuse its layer names; built when None.

    Returns
    -------
    groups : list of dict
        Each has ``params`` and ``name``: a hidden layer's name (as in
        ``VitalityProbe.layer_names()``) holding that layer's own
        parameters, then ``"rest"`` with every other parameter of the
        module (the output layer included). Pass them to any
        ``torch.optim`` optimizer; :class:`LayerLRScaler` finds the hidden
        groups by name.

    Raises
    ------
    ValueError
        When ``probe`` reads another module, or the module has no
        ``Linear``/``ConvNd`` layer.

    See Also
    --------
    LayerLRScaler : Sets each hidden group's learning rate every epoch.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute.callbacks import layer_param_groups
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                           torch.nn.Linear(8, 8), torch.nn.ReLU(),
    ...                           torch.nn.Linear(8, 2))
    >>> [g["name"] for g in layer_param_groups(net)]
    ['0', '2', 'rest']
    >>> opt = torch.optim.Adam(layer_param_groups(net), lr=0.01)
    """
    if probe is None:
        probe = VitalityProbe(module)
    elif probe.module_ is not module:
        raise ValueError("layer_param_groups: `probe` reads a different module.")
    groups, seen = [], set()
    for name, layer in probe.hidden_layers():
        params = [p for p in layer.parameters() if id(p) not in seen]
        seen.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "name": name})
    rest = [p for p in module.parameters() if id(p) not in seen]
    if rest:
        groups.append({"params": rest, "name": "rest"})
    return groups


def lr_scale(stasis, alpha):
    """``max(0.1, 1 / (1 + alpha * stasis))``.

    The rule of ``docs/tactics.md``, "Per-layer learning rates".
    """
    return max(_MIN_SCALE, 1.0 / (1.0 + alpha * stasis))


class LayerLRScaler(VitalityCallback):
    """Slow down the hidden layers with many dead or silent units.

    At the start of every ``refresh_every``-th epoch one probe forward pass
    reads each hidden layer's stasis rate. Every optimizer step then runs
    each hidden layer's parameter group at ``scale`` times the group's
    current rate: the factor is applied just before ``optimizer.step()``
    and taken off right after it (torch's optimizer step hooks). So the
    group's ``lr`` outside the step stays the rate that skorch
    (``net.lr``, ``set_params(lr=...)``) or a learning-rate scheduler
    sets: a scheduler decays every layer alike, the factor multiplies the
    scheduler's current rate, and it never compounds from epoch to epoch.
    The other groups (output layer, everything else) run at their rate.

    The optimizer must hold one parameter group per hidden layer, named by
    :func:`layer_param_groups` (``VitalRouteClassifier`` builds it so). On
    a plain skorch net override ``initialize_optimizer`` (see
    ``docs/tactics.md``); without such groups the callback warns and does
    nothing.

    Parameters
    ----------
    alpha : float, default=4.0
        How strongly stasis slows a layer, >= 0.
    refresh_every : int, default=1
        Read the stasis every this many epochs.
    probe_size : int, default=1024
        Maximum number of probe rows (stratified by class).

    Attributes
    ----------
    scales_ : dict of str to float
        Current scale of each hidden layer.
    layer_stasis_ : dict of str to float
        Stasis rates behind ``scales_``.
    groups_ : list of str
        Names of the hidden-layer groups found in the optimizer.
    lrs_ : dict of str to float
        Learning rate each hidden-layer group ran at in the last optimizer
        step (its rate times its scale).

    Notes
    -----
    ``lr_layer = base_lr * max(0.1, 1 / (1 + alpha * stasis_layer))``
    (``docs/tactics.md``, "Per-layer learning rates"), where ``base_lr`` is
    the group's rate at that step (``lr``, or what a scheduler such as
    skorch's ``LRScheduler`` made of it).
    History key, every epoch: ``vitality_lr_scales`` (dict layer name to
    scale). The scaling needs ``optimizer.step()`` to run its step hooks,
    as every ``torch.optim`` optimizer does.

    Examples
    --------
    Without a subclass, name skorch's parameter groups after the layers:

    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import LayerLRScaler
    >>> X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> _ = torch.manual_seed(0)
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                              torch.nn.Linear(8, 2))
    >>> with torch.no_grad():
    ...     _ = module[0].bias[:4].fill_(-100.0)  # half of the units are dead
    >>> scaler = LayerLRScaler(alpha=4.0)
    >>> net = NeuralNetClassifier(
    ...     module, criterion=torch.nn.CrossEntropyLoss, lr=0.1, max_epochs=1,
    ...     train_split=None, verbose=0, callbacks=[scaler],
    ...     optimizer__param_groups=[("0.*", {"name": "0"})],
    ... ).partial_fit(X, y)
    >>> scaler.scales_, {name: round(lr, 4) for name, lr in scaler.lrs_.items()}
    ({'0': 0.3333333333333333}, {'0': 0.0333})
    >>> [g["lr"] for g in net.optimizer_.param_groups]  # the rates skorch set
    [0.1, 0.1]
    """

    _parameter_constraints: dict = {
        **VitalityCallback._parameter_constraints,
        "alpha": [StrictInterval(Real, 0, None, closed="left")],
        "refresh_every": [POSITIVE_INT],
    }

    def __init__(self, *, alpha=4.0, refresh_every=1, probe_size=1024):
        self.alpha = alpha
        self.refresh_every = refresh_every
        self.probe_size = probe_size

    def _new_fit(self):
        super()._new_fit()
        self.scales_ = None
        self.layer_stasis_ = None
        self.groups_ = []
        self.lrs_ = {}

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Find the hidden-layer groups of the net's optimizer; hook its step."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        names = set(self._probe(net).layer_names())
        groups = net.optimizer_.param_groups
        self.groups_ = [g["name"] for g in groups if g.get("name") in names]
        if self.groups_:
            self._hook_step(net.optimizer_)
        if names and not self.groups_:
            warnings.warn(
                "LayerLRScaler found no optimizer parameter group named after a "
                f"hidden layer ({sorted(names)}); build the optimizer from "
                "skvitalroute.callbacks.layer_param_groups(net.module_). "
                "Learning rates are left unchanged.",
                UserWarning,
                stacklevel=2,
            )

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Refresh the scales when due and record them."""
        if not self.groups_:
            return
        if self.scales_ is None or self._due():
            X, y = self._probe_batch(dataset_train)
            stasis = self._probe(net).observe(X, y).stasis_rates()
            self.layer_stasis_ = stasis
            self.scales_ = {name: lr_scale(s, self.alpha) for name, s in stasis.items()}
        net.history.record("vitality_lr_scales", dict(self.scales_))
        self.epochs_ += 1

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Take the step hooks off the optimizer."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        _unhook_step(net.optimizer_)

    def _hook_step(self, optimizer):
        """Scale the hidden groups' rates for the duration of each step."""
        _unhook_step(optimizer)  # left by a fit that stopped early
        saved = {}

        def restore(opt, args, kwargs):
            for index, lr in saved.items():
                opt.param_groups[index]["lr"] = lr
            saved.clear()

        def scale(opt, args, kwargs):
            restore(opt, args, kwargs)  # a step that raised never restored
            for index, group in enumerate(opt.param_groups):
                factor = (self.scales_ or {}).get(group.get("name"))
                if factor is not None:
                    saved[index] = group["lr"]
                    group["lr"] = group["lr"] * factor
                    self.lrs_[group["name"]] = group["lr"]

        _STEP_HOOKS[optimizer] = [
            optimizer.register_step_pre_hook(scale),
            optimizer.register_step_post_hook(restore),
        ]


def _unhook_step(optimizer):
    for handle in _STEP_HOOKS.pop(optimizer, []):
        handle.remove()
