"""The class tilt: a bounded per-class margin from the hidden-layer overlap."""

from numbers import Real

import numpy as np
import torch

from skvitalroute._utils._validation import POSITIVE_INT, StrictInterval
from skvitalroute.callbacks._base import VitalityCallback
from skvitalroute.probe._overlap import bounded_tilt


class ClassOverlapTilt(VitalityCallback):
    """Tilt the logit adjustment towards the classes mixed with others.

    Every ``refresh_every`` epochs one probe forward pass reads, for each
    class, how mixed its rows are with other classes in the last hidden
    layer (:meth:`~skvitalroute.VitalityProbe.per_class_overlap`, every
    class on the same number of rows, so not a function of class size).
    The standardized overlap becomes per-class logit offsets
    ``-strength * tanh(z_c)``, added to the logits in the training loss
    only: a class more mixed than the others is asked for a larger margin,
    on top of the logit adjustment's ``tau * log(prior)``. The offsets are
    bounded by ``strength`` whatever the reading.

    It needs a criterion with a ``class_offset`` buffer, such as
    :class:`skvitalroute.nn._losses.LogitAdjustedLoss` (``loss="logit_adjusted"``
    in :class:`~skvitalroute.VitalRouteClassifier`).

    Parameters
    ----------
    strength : float, default=0.5
        Largest offset in nats, >= 0 (0 switches the tilt off).
    refresh_every : int, default=2
        Epochs between readings (the first epoch always reads).
    probe_size : int, default=1024
        Maximum number of probe rows.

    Attributes
    ----------
    overlap_ : ndarray of shape (n_classes,)
        Last per-class overlap read.
    offset_ : ndarray of shape (n_classes,)
        Offsets in use.

    Notes
    -----
    History keys, every epoch: ``vitality_class_overlap`` and
    ``vitality_class_offset``. docs/tactics.md ("Class tilt") gives the
    calibration result: the tilt is opt-in, not routed.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute import VitalRouteClassifier
    >>> X = np.random.default_rng(0).normal(size=(90, 4))
    >>> y = np.repeat([0, 1, 2], 30)
    >>> clf = VitalRouteClassifier(tactics=("tilt",), loss="logit_adjusted",
    ...                            hidden_units=(8,), max_epochs=2,
    ...                            random_state=0).fit(X, y)
    >>> len(clf.history[-1]["vitality_class_offset"])
    3
    """

    _parameter_constraints: dict = {
        **VitalityCallback._parameter_constraints,
        "strength": [StrictInterval(Real, 0, 10, closed="both")],
        "refresh_every": [POSITIVE_INT],
    }

    def __init__(self, *, strength=0.5, refresh_every=2, probe_size=1024):
        self.strength = strength
        self.refresh_every = refresh_every
        self.probe_size = probe_size

    def _new_fit(self):
        super()._new_fit()
        self.overlap_ = None
        self.offset_ = None

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Check that the criterion can take offsets."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if not isinstance(getattr(net.criterion_, "class_offset", None), torch.Tensor):
            raise ValueError(
                "ClassOverlapTilt adds per-class offsets to the logit-adjusted "
                "loss; the criterion has no class_offset buffer "
                f"({type(net.criterion_).__name__}). Use loss='logit_adjusted'."
            )

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Read the overlap when due and set the criterion's offsets."""
        X, y = self._probe_batch(dataset_train)
        y = self._labels(y)
        if self.offset_ is None or self._due():
            buffer = net.criterion_.class_offset
            # labels are output columns; a class absent from the rows keeps 0
            present = np.unique(np.asarray(y)).astype(np.intp)
            overlap = np.full(buffer.shape[0], np.nan)
            overlap[present] = self._probe(net).per_class_overlap(X, y)
            self.overlap_ = overlap
            self.offset_ = bounded_tilt(overlap, self.strength)
            buffer.copy_(torch.as_tensor(self.offset_, dtype=buffer.dtype))
        net.history.record(
            "vitality_class_overlap", np.nan_to_num(self.overlap_, nan=-1.0).tolist()
        )
        net.history.record("vitality_class_offset", self.offset_.tolist())
        self.epochs_ += 1

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Zero the offsets, so that nothing of the tilt outlives training."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        buffer = getattr(net.criterion_, "class_offset", None)
        if isinstance(buffer, torch.Tensor):
            buffer.zero_()
