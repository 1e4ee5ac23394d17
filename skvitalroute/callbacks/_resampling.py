"""The class-stress and hard-sample resampling tactics.

Their formulas are in ``docs/tactics.md``, "Class-stress sampling" and
"Hard-sample sampling".
"""

from numbers import Real

import numpy as np
import torch
from torch.utils.data import Sampler

from skvitalroute._utils._rng import SEED_MAX, draw_seed
from skvitalroute._utils._validation import (
    POSITIVE_INT,
    RANDOM_STATE,
    StrictInterval,
)
from skvitalroute.callbacks._base import VitalityCallback
from skvitalroute.callbacks._sampling import class_probabilities, sample_probabilities

_ITERATOR_KEYS = ("iterator_train__sampler", "iterator_train__shuffle")
_UNSET = object()


class RowSampler(Sampler):
    """Draw training-row indices with replacement from given probabilities.

    The callbacks own one per fit and change its probabilities between
    epochs; the batch iterator asks for a fresh draw at every epoch (one
    index tensor from :meth:`draw_indices`, or one int at a time from a
    ``DataLoader``).

    Parameters
    ----------
    seed : int
        Seed of the private :class:`torch.Generator`.

    Attributes
    ----------
    weights : torch.Tensor or None
        Current row probabilities (None before the first epoch).
    generator : torch.Generator
        The seeded generator of the draws.
    """

    def __init__(self, seed):
        self.weights = None
        self.generator = torch.Generator().manual_seed(int(seed))

    def set_probabilities(self, p):
        """Use the row probabilities ``p``; an epoch draws ``len(p)`` rows."""
        self.weights = torch.as_tensor(np.asarray(p, dtype=np.float64))

    def __len__(self):
        return 0 if self.weights is None else len(self.weights)

    def draw_indices(self):
        """Draw one epoch's rows at once.

        Returns
        -------
        indices : torch.Tensor of shape (len(self),) of int64
            Row indices drawn with replacement from the probabilities; the
            rows :meth:`__iter__` would yield from the same generator state.
            :class:`~skvitalroute._data._iterator.ArrayBatches` takes them as one
            tensor instead of one Python int per row.
        """
        if self.weights is None:
            raise RuntimeError("RowSampler has no probabilities yet.")
        return torch.multinomial(
            self.weights, len(self.weights), replacement=True, generator=self.generator
        )

    def __iter__(self):
        return iter(self.draw_indices().tolist())


def install_sampler(net, sampler):
    """Make ``net`` draw its training rows with ``sampler`` during this fit.

    A net with ``_set_train_sampler`` (``VitalRouteClassifier``) takes it as
    a fitted attribute. On a plain skorch net ``iterator_train__sampler``
    and ``iterator_train__shuffle=False`` are set as attributes, as
    ``set_params`` would (``set_params`` itself refuses iterator keys on an
    initialised net in skorch 1.4); the previous values are returned so that
    :func:`restore_iterator` can put them back after training.
    """
    if hasattr(net, "_set_train_sampler"):
        net._set_train_sampler(sampler)
        return None
    saved = {key: net.__dict__.get(key, _UNSET) for key in _ITERATOR_KEYS}
    if isinstance(saved["iterator_train__sampler"], RowSampler):
        # left over by a fit that stopped before on_train_end
        saved = dict.fromkeys(_ITERATOR_KEYS, _UNSET)
    net.iterator_train__sampler = sampler
    net.iterator_train__shuffle = False
    return saved


def restore_iterator(net, saved):
    """Undo :func:`install_sampler` on a plain skorch net."""
    for key, value in (saved or {}).items():
        if value is _UNSET:
            net.__dict__.pop(key, None)
        else:
            setattr(net, key, value)


def _check_finite_probabilities(callback, p):
    """Name the problem instead of letting ``torch.multinomial`` fail on NaN.

    The stress reads the network's outputs; they are NaN when the inputs
    overflow its float32 arithmetic (before any loss exists to flag it).
    """
    if not np.isfinite(p).all():
        raise ValueError(
            f"{type(callback).__name__} cannot read the stress of the training "
            "rows: the network's outputs on them are not finite (NaN or inf), "
            "because the inputs overflow its float32 arithmetic or its "
            "parameters are not finite. Scale the inputs (e.g. StandardScaler)."
        )


class _ResamplingCallback(VitalityCallback):
    """Owns a :class:`RowSampler`, refreshes its probabilities by epoch.

    The subclasses name the parameters and their defaults in their own
    ``__init__`` signature (what ``get_params`` reads) and pass them here.
    """

    _parameter_constraints: dict = {
        **VitalityCallback._parameter_constraints,
        "strength": [StrictInterval(Real, 0, 1, closed="both")],
        "beta": [StrictInterval(Real, 0, None, closed="left")],
        "refresh_every": [POSITIVE_INT],
        "random_state": RANDOM_STATE,
    }

    def __init__(self, strength, beta, refresh_every, probe_size, random_state):
        self.strength = strength
        self.beta = beta
        self.refresh_every = refresh_every
        self.probe_size = probe_size
        self.random_state = random_state

    def _new_fit(self):
        super()._new_fit()
        self.sampler_ = None
        self.probabilities_ = None
        self.saved_iterator_ = None

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Create this fit's sampler and hand it to the net."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.sampler_ = RowSampler(self._seed())
        self.saved_iterator_ = install_sampler(net, self.sampler_)

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Refresh the probabilities when due; record them into history."""
        X, y = self._rows(dataset_train)
        y = self._labels(y)
        if self.probabilities_ is None or self._due():
            self.probabilities_ = self._row_probabilities(net, X, y)
            _check_finite_probabilities(self, self.probabilities_)
        self.sampler_.set_probabilities(self.probabilities_)
        self._record(net)
        self.epochs_ += 1

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Give the plain skorch net its own iterator settings back."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        restore_iterator(net, self.saved_iterator_)
        self.saved_iterator_ = None

    def _seed(self):
        if self.random_state is None:
            # the global torch RNG, which VitalRouteClassifier seeds per fit
            return int(torch.randint(SEED_MAX, ()).item())
        return draw_seed(self.random_state)

    def _record(self, net):
        pass


class ClassStressSampler(_ResamplingCallback):
    """Draw each epoch's training rows by class, favouring stressed classes.

    Every ``refresh_every`` epochs one probe forward pass reads the
    composite stress of each class on the training rows; the class
    probabilities follow and a row is drawn uniformly within its class.
    An epoch draws as many rows as the training split holds, with
    replacement. Only the training split is resampled (skorch splits off
    the validation rows first), so duplicates never reach validation.

    Parameters
    ----------
    strength : float, default=0.7
        Weight of the stress-driven part, in [0, 1].
    beta : float, default=4.0
        Softmax temperature; 0 gives class-balanced sampling (the "signal
        off" control).
    refresh_every : int, default=2
        Read the class stress every this many epochs (the first epoch
        always reads it).
    probe_size : int, default=1024
        Maximum number of probe rows (at most 256 per class).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; None draws a seed from torch's global RNG.

    Attributes
    ----------
    sampler_ : RowSampler
        The sampler the net's training iterator uses in this fit.
    classes_ : ndarray of shape (n_classes,)
        Training labels, sorted.
    class_stress_ : ndarray of shape (n_classes,)
        Last per-class stress read.
    class_probs_ : ndarray of shape (n_classes,)
        Class probabilities in use.
    probabilities_ : ndarray of shape (n_train,)
        Row probabilities in use.

    Notes
    -----
    With class stress ``s`` (``docs/tactics.md``, "Class-stress sampling")::

        p_class = (1 - strength) / K + strength * softmax(beta * s)
        p_row   = p_class[y_row] / count[y_row]

    and uniform class probabilities when every stress is 0. Each class
    keeps a positive probability, so no class is ever dropped. History
    keys, every epoch: ``vitality_class_stress`` and
    ``vitality_class_probs`` (the values that drew that epoch's rows).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import ClassStressSampler
    >>> X = np.random.default_rng(0).normal(size=(60, 4)).astype("float32")
    >>> y = np.r_[np.zeros(50), np.ones(10)].astype("int64")
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                              torch.nn.Linear(8, 2))
    >>> net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=2, train_split=None, verbose=0,
    ...                           callbacks=[ClassStressSampler(random_state=0)])
    >>> len(net.fit(X, y).history[-1]["vitality_class_probs"])
    2
    """

    def __init__(
        self,
        *,
        strength=0.7,
        beta=4.0,
        refresh_every=2,
        probe_size=1024,
        random_state=None,
    ):
        super().__init__(strength, beta, refresh_every, probe_size, random_state)

    def _row_probabilities(self, net, X, y):
        classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
        self.classes_ = classes
        # The probe batch holds every class, so the stress has one per class.
        X_probe, y_probe = self._probe_batch(None)
        self.class_stress_ = self._probe(net).per_class_stress(X_probe, y_probe)
        self.class_probs_ = class_probabilities(
            self.class_stress_, strength=self.strength, beta=self.beta
        )
        return self.class_probs_[codes] / counts[codes]

    def _record(self, net):
        net.history.record("vitality_class_stress", self.class_stress_.tolist())
        net.history.record("vitality_class_probs", self.class_probs_.tolist())


class HardSampleSampler(_ResamplingCallback):
    """Draw each epoch's training rows favouring hard, stressed samples.

    Every ``refresh_every`` epochs one probe forward pass scores each
    training row (the per-sample stress of ``docs/probe.md``, "The
    signals": silent units, weak weights, weak input, saturation and
    ``1 - p(y|x)``); rows are drawn with replacement, as many as the
    training split holds.

    Parameters
    ----------
    strength : float, default=0.6
        Weight of the stress-driven part, in [0, 1].
    beta : float, default=3.0
        Softmax temperature; 0 gives uniform sampling.
    refresh_every : int, default=1
        Score the rows every this many epochs.
    probe_size : int, default=1024
        Passed to the probe (per-sample scoring reads up to 4096 rows).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; None draws a seed from torch's global RNG.

    Attributes
    ----------
    sampler_ : RowSampler
        The sampler the net's training iterator uses in this fit.
    sample_stress_ : ndarray of shape (n_train,)
        Last per-row stress read.
    probabilities_ : ndarray of shape (n_train,)
        Row probabilities in use.

    Notes
    -----
    ``p_i = (1 - strength) / n + strength * softmax(beta * stress)_i``
    (``docs/tactics.md``, "Hard-sample sampling"). Labels must be the
    module's output-column indices, as in any skorch classifier. Every row
    keeps a positive probability.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import HardSampleSampler
    >>> X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                              torch.nn.Linear(8, 2))
    >>> hard = HardSampleSampler(random_state=0)
    >>> net = NeuralNetClassifier(module, criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=1, train_split=None, verbose=0,
    ...                           callbacks=[hard]).fit(X, y)
    >>> hard.probabilities_.shape, bool(hard.probabilities_.min() > 0)
    ((40,), True)
    """

    def __init__(
        self,
        *,
        strength=0.6,
        beta=3.0,
        refresh_every=1,
        probe_size=1024,
        random_state=None,
    ):
        super().__init__(strength, beta, refresh_every, probe_size, random_state)

    def _row_probabilities(self, net, X, y):
        self.sample_stress_ = self._probe(net).per_sample_stress(X, y)
        return sample_probabilities(
            self.sample_stress_, strength=self.strength, beta=self.beta
        )
