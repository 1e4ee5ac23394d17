"""Per-layer learning-rate scaling by stasis (SPEC §3, lr_scale row)."""

import warnings

from skvitalroute._probe import VitalityProbe
from skvitalroute.callbacks._base import (
    VitalityCallback,
    check_positive_int,
    check_real,
)

_MIN_SCALE = 0.1


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
    """``max(0.1, 1 / (1 + alpha * stasis))`` (SPEC §3)."""
    return max(_MIN_SCALE, 1.0 / (1.0 + alpha * stasis))


class LayerLRScaler(VitalityCallback):
    """Slow down the hidden layers with many dead or silent units.

    At the start of every ``refresh_every``-th epoch one probe forward pass
    reads each hidden layer's stasis rate; at the start of every epoch each
    hidden layer's parameter group gets ``net.lr * scale``. The other
    groups (output layer, everything else) are left at the rate skorch
    gives them, ``net.lr``. Because the base is read from ``net.lr`` each
    epoch, ``net.set_params(lr=...)`` keeps meaning the base rate.

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

    Notes
    -----
    ``lr_layer = base_lr * max(0.1, 1 / (1 + alpha * stasis_layer))``
    (SPEC §3). History key, every epoch: ``vitality_lr_scales`` (dict
    layer name to scale). A skorch ``LRScheduler`` on the same optimizer
    would be overwritten at each epoch start; do not combine them.

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
    >>> net = NeuralNetClassifier(
    ...     module, criterion=torch.nn.CrossEntropyLoss, lr=0.1, max_epochs=1,
    ...     train_split=None, verbose=0, callbacks=[LayerLRScaler(alpha=4.0)],
    ...     optimizer__param_groups=[("0.*", {"name": "0"})],
    ... ).partial_fit(X, y)
    >>> [round(g["lr"], 4) for g in net.optimizer_.param_groups]
    [0.0333, 0.1]
    """

    def __init__(self, *, alpha=4.0, refresh_every=1, probe_size=1024):
        self.alpha = alpha
        self.refresh_every = refresh_every
        self.probe_size = probe_size

    def _check_params(self):
        super()._check_params()
        check_real("alpha", self.alpha, low=0.0)
        check_positive_int("refresh_every", self.refresh_every)

    def _new_fit(self):
        super()._new_fit()
        self.scales_ = None
        self.layer_stasis_ = None
        self.groups_ = []

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Find the hidden-layer groups of the net's optimizer."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        names = set(self._probe(net).layer_names())
        groups = net.optimizer_.param_groups
        self.groups_ = [g["name"] for g in groups if g.get("name") in names]
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
        """Refresh the scales when due; set and record each group's rate."""
        if not self.groups_:
            return
        if self.scales_ is None or self._due():
            X, y = self._probe_batch(dataset_train)
            stasis = self._probe(net).observe(X, y).stasis_rates()
            self.layer_stasis_ = stasis
            self.scales_ = {name: lr_scale(s, self.alpha) for name, s in stasis.items()}
        for group in net.optimizer_.param_groups:
            if group.get("name") in self.scales_:
                group["lr"] = net.lr * self.scales_[group["name"]]
        net.history.record("vitality_lr_scales", dict(self.scales_))
        self.epochs_ += 1
