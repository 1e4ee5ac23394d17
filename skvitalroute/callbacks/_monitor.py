"""Record the net's vitality every epoch and revive dead units (SPEC §3)."""

from skvitalroute._reset import reset_units
from skvitalroute.callbacks._base import VitalityCallback, check_real


class VitalityMonitor(VitalityCallback):
    """Record vitality readings every epoch; reset dead hidden units.

    At the end of every epoch one probe forward pass over the training rows
    (at most ``probe_size``, stratified by class) reads each hidden layer's
    stasis, the composite stress, the mean stasis and the per-class stress.
    When ``reset`` is on and the mean stasis reaches ``reset_threshold``,
    the hidden units flagged by stasis or weak weights are re-initialised
    and the optimizer state of their entries is zeroed.

    Parameters
    ----------
    reset : bool, default=True
        Whether to re-initialise dead units.
    reset_threshold : float, default=0.12
        Mean stasis at or above which units are reset, in [0, 1].
    probe_size : int, default=1024
        Maximum number of probe rows.

    Attributes
    ----------
    layer_stasis_ : dict of str to float
        Last stasis rate of each hidden layer.
    stress_ : float
        Last composite stress.
    mean_stasis_ : float
        Last mean stasis over the hidden layers.
    class_stress_ : ndarray of shape (n_classes,) or None
        Last per-class stress (None when the training set has no labels).
    n_resets_ : int
        Units reset during the current fit.

    Notes
    -----
    Composite stress ``= (1.0 stasis + 0.6 weak_weights + 0.6 weak_input
    + 0.5 saturation) / 2.7`` (SPEC §2). A reset draws a unit's incoming
    weights He-normal (``sqrt(2 / fan_in)``) for relu-like activations,
    else with ``std = sqrt(1 / fan_in)``, sets its bias to 0 and, when the
    next layer is hidden, its outgoing weights from
    ``N(0, sqrt(0.5 / fan_out))``. The output layer is never modified, and
    frozen layers (e.g. a trunk frozen by ``TransferWarmStart(freeze=True)``)
    are never reset.

    History keys, every epoch: ``vitality_mean_stasis``, ``vitality_stress``,
    ``vitality_layer_stasis`` (dict), ``vitality_resets`` (int) and
    ``vitality_class_stress`` (list) unless a :class:`ClassStressSampler`
    already recorded the stress that drew this epoch's rows.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import VitalityMonitor
    >>> X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                              torch.nn.Linear(8, 2))
    >>> net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=2, train_split=None, verbose=0,
    ...                           callbacks=[VitalityMonitor()]).fit(X, y)
    >>> sorted(net.history[-1]["vitality_layer_stasis"])
    ['0']
    """

    def __init__(self, *, reset=True, reset_threshold=0.12, probe_size=1024):
        self.reset = reset
        self.reset_threshold = reset_threshold
        self.probe_size = probe_size

    def _check_params(self):
        super()._check_params()
        if not isinstance(self.reset, bool):
            raise ValueError(f"reset must be True or False; got {self.reset!r}.")
        check_real("reset_threshold", self.reset_threshold, low=0.0, high=1.0)

    def _new_fit(self):
        super()._new_fit()
        self.layer_stasis_ = None
        self.stress_ = None
        self.mean_stasis_ = None
        self.class_stress_ = None
        self.n_resets_ = 0

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        """Read the net once, record the reading, reset dead units if due."""
        X, y = self._probe_batch(dataset_train)
        probe = self._probe(net)
        if y is None:
            probe.observe(X)
        else:
            self.class_stress_ = probe.per_class_stress(X, y)  # also the whole reading
        self.layer_stasis_ = probe.stasis_rates()
        self.stress_ = probe.composite_stress()
        self.mean_stasis_ = probe.mean_stasis()
        n_reset = 0
        if self.reset and self.mean_stasis_ >= self.reset_threshold:
            n_reset = self._reset(net, probe.unit_flags())
        self.n_resets_ += n_reset
        self._record(net, n_reset)
        self.epochs_ += 1

    def _reset(self, net, unit_flags):
        flags = {
            name: f["stasis"] | f["weak_weights"] for name, f in unit_flags.items()
        }
        return reset_units(net.module_, flags, optimizers=_optimizers(net))

    def _record(self, net, n_reset):
        history = net.history
        history.record("vitality_mean_stasis", self.mean_stasis_)
        history.record("vitality_stress", self.stress_)
        history.record("vitality_layer_stasis", dict(self.layer_stasis_))
        history.record("vitality_resets", int(n_reset))
        recorded = "vitality_class_stress" in history[-1]  # by ClassStressSampler
        if self.class_stress_ is not None and not recorded:
            history.record("vitality_class_stress", self.class_stress_.tolist())


def _optimizers(net):
    """Every optimizer of a skorch net (``optimizer_`` and any custom ones)."""
    names = getattr(net, "_optimizers", None) or ["optimizer"]
    found = [getattr(net, name + "_", None) for name in names]
    return [opt for opt in found if opt is not None]
