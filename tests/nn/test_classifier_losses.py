"""Tests of the baseline losses, class weights and the default module."""

import numpy as np
import pytest
import torch
from torch import nn

from skvitalroute.nn import MLPModule
from skvitalroute.nn._losses import (
    FocalLoss,
    LogitAdjustedLoss,
    build_loss,
    class_weight_vector,
)

LOGITS = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0]])
TARGET = torch.tensor([0, 2, 1])
WEIGHT = torch.tensor([1.0, 2.0, 0.5])


def _by_hand_ce(logits, target, weight=None):
    """Weighted cross-entropy written out row by row."""
    num, den = 0.0, 0.0
    for row, t in zip(logits.tolist(), target.tolist(), strict=True):
        log_p = row[t] - np.log(np.sum(np.exp(row)))
        w = 1.0 if weight is None else float(weight[t])
        num += -w * log_p
        den += w
    return num / den


def test_focal_loss_matches_formula():
    """Check that the focal loss is -w_t (1 - p_t)^gamma log p_t, weight-averaged."""
    p = torch.softmax(LOGITS, dim=1)[torch.arange(3), TARGET]
    w = WEIGHT[TARGET]
    expected = (-w * (1 - p) ** 2 * torch.log(p)).sum() / w.sum()
    got = FocalLoss(gamma=2.0, weight=WEIGHT)(LOGITS, TARGET)
    assert torch.isclose(got, expected)
    none = FocalLoss(gamma=2.0, reduction="none")(LOGITS, TARGET)
    assert torch.allclose(none, -((1 - p) ** 2) * torch.log(p))


def test_focal_loss_gamma_zero_is_cross_entropy():
    """Check that focal loss with gamma=0 equals the weighted cross-entropy."""
    got = FocalLoss(gamma=0.0, weight=WEIGHT)(LOGITS, TARGET)
    assert got.item() == pytest.approx(_by_hand_ce(LOGITS, TARGET, WEIGHT), rel=1e-6)


def test_focal_loss_ignore_index():
    """Check that rows with the ignore_index target do not count."""
    target = torch.tensor([0, -100, 1])
    got = FocalLoss(gamma=1.0)(LOGITS, target)
    expected = FocalLoss(gamma=1.0)(LOGITS[[0, 2]], target[[0, 2]])
    assert torch.isclose(got, expected)


def test_logit_adjusted_loss_adds_tau_log_prior():
    """Check that the loss is CE(logits + tau * log(prior)) (Menon et al. 2021)."""
    counts = np.array([6.0, 3.0, 1.0])
    adjusted = LOGITS + 0.5 * torch.log(torch.tensor(counts / counts.sum()))
    got = LogitAdjustedLoss(counts, tau=0.5, weight=WEIGHT)(LOGITS, TARGET)
    assert got.item() == pytest.approx(_by_hand_ce(adjusted, TARGET, WEIGHT), rel=1e-6)
    plain = LogitAdjustedLoss(counts, tau=0.0)(LOGITS, TARGET)
    assert plain.item() == pytest.approx(_by_hand_ce(LOGITS, TARGET), rel=1e-6)


def test_class_weight_vector_balanced_and_dict():
    """Check that 'balanced' is n / (k * count) and a dict maps labels."""
    y = np.array(["a"] * 6 + ["b"] * 3 + ["c"] * 1)
    classes = np.array(["a", "b", "c"])
    assert class_weight_vector(None, classes, y) is None
    np.testing.assert_allclose(
        class_weight_vector("balanced", classes, y), 10 / (3 * np.array([6, 3, 1]))
    )
    np.testing.assert_allclose(
        class_weight_vector({"c": 4.0}, classes, y), [1.0, 1.0, 4.0]
    )


@pytest.mark.parametrize(
    "name, cls", [("cross_entropy", nn.CrossEntropyLoss), ("focal", FocalLoss)]
)
def test_build_loss_types(name, cls):
    """Check that build_loss returns the named loss, a CrossEntropyLoss subclass."""
    loss = build_loss(name, weight=np.ones(3))
    assert type(loss) is cls
    assert isinstance(loss, nn.CrossEntropyLoss)
    assert loss.weight.dtype == torch.float32


def test_mlp_module_shape_and_layers():
    """Check that the default MLP has Linear+ReLU(+Dropout) blocks and logits out."""
    net = MLPModule(5, 4, hidden_units=(8, 6), dropout=0.2)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert net(torch.zeros(3, 5)).shape == (3, 4)
    assert len(MLPModule(5, 2, hidden_units=())) == 1


def test_mlp_module_public_path_and_former_private_path():
    """Check that MLPModule is public in skvitalroute.nn and the old path works."""
    import skvitalroute.nn
    from skvitalroute._module import MLPModule as FormerPath

    assert skvitalroute.nn.__all__ == ["MLPModule"]
    assert MLPModule is FormerPath is skvitalroute.nn.MLPModule
    assert MLPModule.__module__ == "skvitalroute.nn"
