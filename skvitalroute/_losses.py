"""Baseline losses on logits: focal loss, logit-adjusted loss, class weights.

Both losses subclass :class:`torch.nn.CrossEntropyLoss`: they take logits
and integer targets like it, honour its ``weight``, ``ignore_index`` and
``reduction`` conventions, and let skorch infer that ``predict_proba`` is
a softmax of the network's output.
"""

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
    >>> from skvitalroute._losses import FocalLoss
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

    The training loss is the cross-entropy of ``logits + tau * log(prior)``;
    predictions use the raw logits, so a network trained with it is pushed
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
        Target value that is ignored.
    reduction : {"mean", "sum", "none"}, default="mean"
        How the per-row losses are reduced.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit,
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute._losses import LogitAdjustedLoss
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
        self.register_buffer("log_prior", torch.log(prior / prior.sum()).float())

    def forward(self, input, target):
        adjusted = input + self.tau * self.log_prior.to(input.dtype)
        return super().forward(adjusted, target)


def class_weight_vector(class_weight, classes, y):
    """Return per-class loss weights in the order of ``classes``.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        ``None`` gives ``None`` (unweighted); ``"balanced"`` gives
        ``n_samples / (n_classes * count_c)`` (inverse class frequency);
        a dict maps original labels to weights (missing labels get 1).
    classes : ndarray of shape (n_classes,)
        The sorted original labels (the network's output order).
    y : ndarray of shape (n_samples,)
        Training labels (original values).

    Returns
    -------
    weight : ndarray of shape (n_classes,) or None
    """
    if class_weight is None:
        return None
    return compute_class_weight(class_weight, classes=classes, y=y)


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
