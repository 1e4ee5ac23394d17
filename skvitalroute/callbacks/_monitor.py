"""Record the net's vitality and revive dead units.

See docs/tactics.md, "Monitor and dead-unit reset".
"""

import math
from numbers import Real

import numpy as np

from skvitalroute._utils._validation import POSITIVE_INT, Choices, StrictInterval
from skvitalroute.callbacks._base import VitalityCallback
from skvitalroute.callbacks._reset import reset_units

# Under refresh_every="auto" without resets, the training rows of the epochs
# between two readings are at least this many times the reading's weight.
_READING_SHARE = 10


class VitalityMonitor(VitalityCallback):
    """Record vitality readings on a schedule; reset dead hidden units.

    At the end of a reading epoch one probe forward pass over the training
    rows (at most ``probe_size``, stratified by class) reads each hidden
    layer's stasis, the composite stress, the mean stasis and the
    per-class stress. When ``reset`` is on and the mean stasis reaches
    ``reset_threshold``, the hidden units flagged by stasis or weak weights
    are re-initialised and the optimizer state of their entries is zeroed.

    The first epoch of a fit is a reading epoch, then every
    ``refresh_every``-th; the last epoch of a fit always has a reading,
    also when training stopped early (skorch's ``EarlyStopping``, a
    Ctrl-C): it is then taken when training ends, and only recorded (no
    reset: no epoch is left to train the new units).

    Parameters
    ----------
    reset : bool, default=True
        Whether to re-initialise dead units.
    reset_threshold : float, default=0.12
        Mean stasis at or above which units are reset, in [0, 1].
    probe_size : int, default=1024
        Maximum number of probe rows.
    refresh_every : int or "auto", default="auto"
        Read every this many epochs. ``"auto"`` reads every epoch when
        ``reset`` is on (the reset decides after every epoch: docs/tactics.md,
        "Monitor and dead-unit reset");
        otherwise it keeps the readings to a few percent of the training
        time: a reading of ``p`` probe rows and ``K`` classes weighs
        ``w = p * (1 + K / 100)`` training rows (per-class stress grows
        with ``K``) and is taken every ``ceil(10 * w / n)`` epochs of ``n``
        training rows, e.g. every epoch from about 11 300 rows at 10
        classes, every 6th epoch at 2 000 rows (docs/performance.md).

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
    refresh_every_ : int or None
        Epochs between readings in the current fit (None before its first
        reading).

    Notes
    -----
    Composite stress ``= (1.0 stasis + 0.6 weak_weights + 0.6 weak_input
    + 0.5 saturation) / 2.7`` (docs/probe.md, "The signals"). A reset
    (docs/tactics.md, "Monitor and dead-unit reset") draws a unit's incoming
    weights He-normal (``sqrt(2 / fan_in)``) for relu-like activations,
    else with ``std = sqrt(1 / fan_in)``, sets its bias to 0 and, when the
    next layer is hidden, its outgoing weights from
    ``N(0, sqrt(0.5 / fan_out))``. The output layer is never modified, and
    frozen layers (e.g. a trunk frozen by ``TransferWarmStart(freeze=True)``)
    are never reset.

    History keys, at every reading: ``vitality_mean_stasis``,
    ``vitality_stress``, ``vitality_layer_stasis`` (dict),
    ``vitality_resets`` (int) and ``vitality_class_stress`` (list) unless
    a :class:`ClassStressSampler` already recorded the stress that drew
    this epoch's rows. ``net.history[:, "vitality_stress"]`` lists the
    readings; ``net.history[:, "epoch"]`` of the same rows their epochs.
    On a plain skorch net, list the monitor before an
    ``EarlyStopping(load_best=True)``, whose ``on_train_end`` loads other
    weights; :class:`~skvitalroute.VitalRouteClassifier` takes the last
    reading before any callback's ``on_train_end``.

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
    ...                           max_epochs=5, train_split=None, verbose=0,
    ...                           callbacks=[VitalityMonitor(refresh_every=3)])
    >>> sorted(net.fit(X, y).history[-1]["vitality_layer_stasis"])
    ['0']
    >>> [row["epoch"] for row in net.history if "vitality_stress" in row]
    [1, 4, 5]
    """

    _parameter_constraints: dict = {
        **VitalityCallback._parameter_constraints,
        "reset": [bool],
        "reset_threshold": [StrictInterval(Real, 0, 1, closed="both")],
        "refresh_every": [Choices(["auto"]), POSITIVE_INT],
    }

    def __init__(
        self, *, reset=True, reset_threshold=0.12, probe_size=1024, refresh_every="auto"
    ):
        self.reset = reset
        self.reset_threshold = reset_threshold
        self.probe_size = probe_size
        self.refresh_every = refresh_every

    def _new_fit(self):
        super()._new_fit()
        self.layer_stasis_ = None
        self.stress_ = None
        self.mean_stasis_ = None
        self.class_stress_ = None
        self.n_resets_ = 0
        self.refresh_every_ = None
        self.dataset_train_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Keep the training set, for a reading when training ends."""
        self.dataset_train_ = dataset_train

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        """Read the net when due, record the reading, reset dead units."""
        X, y = self._probe_batch(dataset_train)
        if self.refresh_every_ is None:
            self.refresh_every_ = self._schedule(X, y)
        if self.epochs_ % self.refresh_every_ == 0:
            self._read(net, X, y, reset=self.reset)
        self.epochs_ += 1

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Read the last epoch if it has no reading; drop the training rows."""
        self.read_last_epoch(net)
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.dataset_train_ = None

    def read_last_epoch(self, net):
        """Record a reading of the net in the last epoch if it has none.

        Training that stops inside an epoch, or a callback that stops it in
        ``on_epoch_end`` before this one runs (skorch's ``EarlyStopping``),
        leaves the last epoch without a reading; this takes it (record
        only, no reset). It does nothing when the last epoch has one or
        this fit ran no epoch.

        Parameters
        ----------
        net : skorch.NeuralNet
            The net being trained.
        """
        if self.dataset_train_ is None or not len(net.history):
            return
        if "vitality_mean_stasis" in net.history[-1]:
            return
        X, y = self._probe_batch(self.dataset_train_)
        self._read(net, X, y, reset=False)

    def _schedule(self, X, y):
        """Epochs between readings for this fit (``refresh_every="auto"``)."""
        if self.refresh_every != "auto":
            return int(self.refresh_every)
        if self.reset:
            return 1
        n_train = max(1, len(self.train_X_))
        n_classes = 1 if y is None else len(np.unique(y))
        cost = len(X) * (1.0 + n_classes / 100.0)
        return max(1, math.ceil(_READING_SHARE * cost / n_train))

    def _read(self, net, X, y, *, reset):
        probe = self._probe(net)
        if y is None:
            probe.observe(X)
        else:
            self.class_stress_ = probe.per_class_stress(X, y)  # also the whole reading
        self.layer_stasis_ = probe.stasis_rates()
        self.stress_ = probe.composite_stress()
        self.mean_stasis_ = probe.mean_stasis()
        n_reset = 0
        if reset and self.mean_stasis_ >= self.reset_threshold:
            n_reset = self._reset(net, probe.unit_flags())
        self.n_resets_ += n_reset
        self._record(net, n_reset)

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
