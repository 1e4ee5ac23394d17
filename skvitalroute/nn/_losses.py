"""Baseline losses on logits: focal loss, logit-adjusted loss, class weights.

Both losses subclass :class:`torch.nn.CrossEntropyLoss`: they take logits
and integer targets like it, honour its ``weight``, ``ignore_index`` and
``reduction`` conventions, and let skorch infer that ``predict_proba`` is
a softmax of the network's output. :func:`weighted_mean` reduces any of
them (or any torch loss with a ``reduction``) with per-row sample weights.
"""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch import nn
from torch.nn import functional as F

LOSSES = ("cross_entropy", "focal", "logit_adjusted")


class FocalLoss(nn.CrossEntropyLoss):
    """Focal loss on logits (Lin et al., 2017).

    For a row with true class ``t`` and softmax probability ``p_t``, the
    loss is ``-w_t * (1 - p_t) ** gamma * log(p_t)``. ``gamma=0`` gives the
    (weighted) cross-entropy. With ``reduction="mean"`` the sum is divided
    by the sum of the rows' weights, as :class:`torch.nn.CrossEntropyLoss`
    does, so the two losses are on the same scale.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter: how much well-classified rows are down-weighted.
    weight : torch.Tensor of shape (n_classes,), default=None
        Per-class weights ``w`` (the ``alpha`` of the paper).
    ignore_index : int, default=-100
        Target value that is ignored.
    reduction : {"mean", "sum", "none"}, default="mean"
        How the per-row losses are reduced.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár, "Focal Loss
       for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute.nn._losses import FocalLoss
    >>> logits, target = torch.tensor([[2.0, 0.0]]), torch.tensor([0])
    >>> p = torch.softmax(logits, 1)[0, 0]
    >>> bool(torch.isclose(FocalLoss(gamma=2.0)(logits, target),
    ...                    -(1 - p) ** 2 * torch.log(p)))
    True
    """

    def __init__(self, gamma=2.0, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction)
        self.gamma = gamma

    def forward(self, input, target):
        keep = target != self.ignore_index
        safe_target = torch.where(keep, target, torch.zeros_like(target))
        log_p = F.log_softmax(input, dim=1).gather(1, safe_target[:, None])[:, 0]
        loss = -((1.0 - log_p.exp()) ** self.gamma) * log_p
        w = keep.to(loss.dtype)
        if self.weight is not None:
            w = w * self.weight[safe_target]
        loss = loss * w
        if self.reduction == "none":
            return loss
        if self.reduction == "sum":
            return loss.sum()
        return loss.sum() / w.sum()


class LogitAdjustedLoss(nn.CrossEntropyLoss):
    """Logit-adjusted cross-entropy (Menon et al., 2021).

    The training loss is the cross-entropy of ``logits + tau * log(prior)
    + class_offset`` (``class_offset`` is a zero buffer that a tactic may
    set); predictions use the raw logits, so a network trained with it is pushed
    to give rare classes a larger margin ("logit adjustment" loss, eq. 10 of
    the paper).

    Parameters
    ----------
    prior : array-like of shape (n_classes,)
        Class prior of the training labels (class frequencies); normalised
        to sum to one.
    tau : float, default=1.0
        Scale of the adjustment; ``tau=0`` is the plain cross-entropy.
    weight : torch.Tensor of shape (n_classes,), default=None
        Per-class weights, as in :class:`torch.nn.CrossEntropyLoss`.
    ignore_index : int, default=-100
        Target value that is ignored, as in :class:`torch.nn.CrossEntropyLoss`.
    reduction : {"mean", "sum", "none"}, default="mean"
        How the per-row losses are reduced, as in
        :class:`torch.nn.CrossEntropyLoss`.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit,
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute.nn._losses import LogitAdjustedLoss
    >>> loss = LogitAdjustedLoss([0.8, 0.2], tau=1.0)
    >>> logits, target = torch.zeros(1, 2), torch.tensor([1])
    >>> round(float(loss(logits, target)), 4)  # -log(0.2)
    1.6094
    """

    def __init__(
        self, prior, tau=1.0, weight=None, ignore_index=-100, reduction="mean"
    ):
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction)
        prior = torch.as_tensor(np.asarray(prior, dtype=np.float64))
        self.tau = tau
        # A class absent from training (prior 0: no rows yet, or all its
        # rows weigh 0) is adjusted as the rarest present class: log(0)
        # would freeze its logit at -inf, and no adjustment would treat it
        # as the most frequent, so later partial_fit calls could hardly
        # learn it (as inverse-frequency weights give it the rarest weight).
        prior = prior / prior.sum()
        present = prior > 0
        rarest = torch.log(prior[present]).min() if present.any() else 0.0
        log_prior = torch.where(present, torch.log(prior), torch.full_like(prior, rarest))
        self.register_buffer("log_prior", log_prior.float())
        # Extra per-class offsets set during training by a tactic (the class
        # tilt of skvitalroute.callbacks.ClassOverlapTilt); zero by default.
        self.register_buffer("class_offset", torch.zeros_like(log_prior).float())

    def forward(self, input, target):
        return F.cross_entropy(
            input + self._offset(input),
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )

    def _offset(self, input):
        """``tau * log_prior + class_offset`` in ``input``'s dtype and device.

        Computed once and kept until ``tau``, a buffer's values (any in-place
        change, such as the class tilt's, bumps its version), a buffer itself
        (a move to another device or dtype replaces it) or the input's dtype
        or device change, so a batch pays one addition.
        """
        buffers = self._buffers
        log_prior, class_offset = buffers["log_prior"], buffers["class_offset"]
        key = (
            self.tau, log_prior, class_offset, log_prior._version,
            class_offset._version, input.dtype, input.device,
        )
        cache = self.__dict__.get("_offset_cache")
        if cache is not None and _same_key(cache[0], key):
            return cache[1]
        if log_prior.requires_grad or class_offset.requires_grad:
            offset = self.tau * log_prior + class_offset  # trained offsets
            return offset.to(device=input.device, dtype=input.dtype)
        with torch.no_grad():
            offset = self.tau * log_prior + class_offset
            offset = offset.to(device=input.device, dtype=input.dtype)
        self.__dict__["_offset_cache"] = (key, offset)
        return offset

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_offset_cache", None)  # rebuilt at the next forward
        return state


def _same_key(a, b):
    """Whether two offset keys agree: the same buffer objects (a move to
    another device or dtype replaces them), versions, tau, dtype, device."""
    return (
        a[1] is b[1] and a[2] is b[2] and a[0] == b[0] and a[3:] == b[3:]
    )


def class_weight_vector(class_weight, classes, y, sample_weight=None):
    """Return per-class loss weights in the order of ``classes``.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        ``None`` gives ``None`` (unweighted); ``"balanced"`` gives
        ``n_samples / (n_classes * count_c)`` (inverse class frequency);
        a dict maps original labels to weights (missing labels get 1).
    classes : ndarray of shape (n_classes,)
        The sorted original labels (the network's output order); may hold
        labels without rows in ``y`` (``partial_fit(classes=...)``).
    y : ndarray of shape (n_samples,)
        Training labels (original values).
    sample_weight : ndarray of shape (n_samples,), default=None
        Row weights: ``"balanced"`` then counts each class by the sum of
        its rows' weights, as scikit-learn's ``compute_class_weight`` does.

    Returns
    -------
    weight : ndarray of shape (n_classes,) or None
        Under ``"balanced"``, a class without weight in ``y`` (no rows, or
        rows that all weigh 0) gets the largest weight of the others: it
        is rarer than the rarest class with rows. Its weight does not enter
        this fit's loss (it has no weighted row) but does enter later
        ``partial_fit`` calls, which keep the first call's weights, so
        that its rows are then learned as those of a rare class.

    Examples
    --------
    >>> import numpy as np
    >>> from skvitalroute.nn._losses import class_weight_vector
    >>> y = np.array([0, 0, 0, 1])
    >>> class_weight_vector("balanced", np.array([0, 1]), y).tolist()
    [0.6666666666666666, 2.0]
    >>> w = np.array([1.0, 1.0, 1.0, 3.0])
    >>> class_weight_vector("balanced", np.array([0, 1]), y, w).tolist()
    [1.0, 1.0]
    >>> class_weight_vector("balanced", np.array([0, 1, 2]), y).round(4).tolist()
    [0.4444, 1.3333, 1.3333]
    """
    if class_weight is None:
        return None
    if not isinstance(class_weight, str):  # a dict: no class counts needed
        return compute_class_weight(class_weight, classes=classes, y=y)
    y = np.asarray(y)
    weights = np.ones(len(y)) if sample_weight is None else sample_weight
    mass = np.array([weights[y == c].sum() for c in classes])
    present = mass > 0
    rows = np.isin(y, classes[present])
    weight = np.empty(len(classes))
    weight[present] = compute_class_weight(
        "balanced",
        classes=classes[present],
        y=y[rows],
        sample_weight=None if sample_weight is None else sample_weight[rows],
    )
    # scikit-learn's n_samples / (n_classes * count_c) counts every class
    weight[present] *= present.sum() / len(classes)
    weight[~present] = weight[present].max()
    return weight


@contextmanager
def per_row(criterion):
    """Make a torch loss return one loss per row inside the block.

    Parameters
    ----------
    criterion : torch.nn.Module
        A loss with a ``reduction`` attribute (every torch loss, and the
        losses of this module).

    Yields
    ------
    reduction : str
        The criterion's own reduction, restored on exit.

    Raises
    ------
    TypeError
        When the criterion has no ``reduction``: its per-row losses cannot
        be weighted.
    """
    reduction = getattr(criterion, "reduction", None)
    if reduction not in ("mean", "sum", "none"):
        raise TypeError(
            "sample_weight needs a criterion with reduction 'mean', 'sum' or "
            f"'none' (any torch loss); got {type(criterion).__name__} with "
            f"reduction={reduction!r}."
        )
    criterion.reduction = "none"
    try:
        yield reduction
    finally:
        criterion.reduction = reduction


def weighted_mean(rows, target, sample_weight, criterion, reduction="mean"):
    """Reduce per-row losses weighted by ``sample_weight``.

    With class weights ``w`` (the criterion's ``weight``), row weights
    ``s`` and per-row losses ``l_i`` (which a torch loss with
    ``reduction="none"`` already multiplies by ``w_{y_i}``), the mean is
    ``sum_i s_i w_{y_i} l_i / sum_i s_i w_{y_i}``: torch's weighted mean
    with each row's class weight multiplied by its sample weight. Rows of
    weight 0 contribute nothing (not even a NaN); a batch whose weights
    are all 0 has loss 0.

    Parameters
    ----------
    rows : torch.Tensor of shape (n_rows, ...)
        Per-row losses (``reduction="none"``).
    target : torch.Tensor of shape (n_rows,)
        Targets (class indices for the classification losses).
    sample_weight : torch.Tensor of shape (n_rows,)
        Non-negative row weights.
    criterion : torch.nn.Module
        The loss that computed ``rows``; its ``weight`` and
        ``ignore_index``, when it has them, enter the denominator.
    reduction : {"mean", "sum", "none"}, default="mean"
        The criterion's own reduction.

    Returns
    -------
    loss : torch.Tensor
        A scalar, or the weighted rows for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute.nn._losses import per_row, weighted_mean
    >>> ce = torch.nn.CrossEntropyLoss()
    >>> logits, target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    >>> with per_row(ce) as reduction:
    ...     rows = ce(logits, target)
    >>> s = torch.tensor([1.0, 0.0, 2.0, 1.0])
    >>> loss = weighted_mean(rows, target, s, ce, reduction)
    >>> bool(torch.isclose(loss, (rows * s).sum() / s.sum()))
    True
    """
    s = sample_weight.to(device=rows.device, dtype=rows.dtype)
    s = s.reshape(s.shape + (1,) * (rows.ndim - 1))
    loss = torch.where(s > 0, rows * s, torch.zeros_like(rows))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    norm = s * _row_norm(criterion, target, rows).reshape(s.shape)
    norm = norm.expand_as(rows)
    total = norm.sum()
    return loss.sum() / torch.where(total > 0, total, torch.ones_like(total))


def _row_norm(criterion, target, rows):
    """Each row's share of torch's mean: its class weight, 0 if ignored."""
    norm = torch.ones(rows.shape[0], dtype=rows.dtype, device=rows.device)
    if target.dtype.is_floating_point or target.ndim != 1:
        return norm
    safe = target
    ignore = getattr(criterion, "ignore_index", None)
    if ignore is not None:
        keep = target != ignore
        norm = keep.to(rows.dtype)
        safe = torch.where(keep, target, torch.zeros_like(target))
    weight = getattr(criterion, "weight", None)
    if weight is not None:
        norm = norm * weight.to(rows.dtype)[safe]
    return norm


def build_loss(loss, *, weight=None, prior=None, gamma=2.0, tau=1.0, **kwargs):
    """Build the criterion named by ``loss``.

    Parameters
    ----------
    loss : {"cross_entropy", "focal", "logit_adjusted"}
        Which loss.
    weight : ndarray of shape (n_classes,), default=None
        Per-class weights.
    prior : ndarray of shape (n_classes,), default=None
        Class counts or frequencies; needed by ``"logit_adjusted"``.
    gamma : float, default=2.0
        Focal-loss focusing parameter.
    tau : float, default=1.0
        Logit-adjustment scale.
    **kwargs : dict
        Passed to the loss (e.g. ``reduction``).

    Returns
    -------
    criterion : torch.nn.CrossEntropyLoss
    """
    if weight is not None:
        weight = torch.as_tensor(np.asarray(weight), dtype=torch.float32)
    if loss == "focal":
        return FocalLoss(gamma=gamma, weight=weight, **kwargs)
    if loss == "logit_adjusted":
        return LogitAdjustedLoss(prior, tau=tau, weight=weight, **kwargs)
    return nn.CrossEntropyLoss(weight=weight, **kwargs)
