"""The class-overlap signal and the class tilt tactic."""

import numpy as np
import pytest
import torch
from _modules import relu_mlp

from skvitalroute import VitalityProbe, VitalRouteClassifier
from skvitalroute.callbacks import ClassOverlapTilt
from skvitalroute.nn._losses import LogitAdjustedLoss
from skvitalroute.probe._overlap import bounded_tilt, class_overlap


def test_overlap_reads_mixing_not_class_size():
    """Check that two classes drawn from one distribution read alike whatever
    their sizes, and that a separated class reads near 0."""
    rng = np.random.default_rng(0)
    a = np.r_[
        rng.normal(0, 1, (200, 3)), rng.normal(0, 1, (20, 3)), rng.normal(8, 1, (20, 3))
    ]
    codes = np.repeat([0, 1, 2], [200, 20, 20])
    ov = class_overlap(a, codes, 3, repeats=20)
    assert ov[2] < 0.05
    assert abs(ov[0] - ov[1]) < 0.15 and min(ov[0], ov[1]) > 0.25
    # the plain leave-one-out 1-NN error, by contrast, follows size
    d = ((a[:, None] - a[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    wrong = codes[d.argmin(1)] != codes
    assert wrong[codes == 1].mean() - wrong[codes == 0].mean() > 0.3


def test_overlap_marks_classes_without_two_rows():
    """Check that a class with one row gets NaN and the others a reading."""
    a = np.arange(14, dtype=float).reshape(7, 2)
    ov = class_overlap(a, np.array([0, 0, 0, 1, 1, 1, 2]), 3)
    assert np.isnan(ov[2]) and np.isfinite(ov[:2]).all()


def test_bounded_tilt_bounds_and_signs():
    """Check that offsets stay within the strength, the most mixed class gets
    the most negative one, and flat or missing readings give zeros."""
    off = bounded_tilt(np.array([0.0, 0.2, 0.9, np.nan]), 0.3)
    assert np.all(np.abs(off) < 0.3) and off[3] == 0
    assert off.argmin() == 2 and off[0] > 0
    np.testing.assert_array_equal(bounded_tilt(np.full(3, 0.4), 1.0), 0)


def test_logit_adjusted_loss_adds_the_class_offset():
    """Check the loss is the cross-entropy of logits + tau log prior + offset."""
    loss = LogitAdjustedLoss([0.7, 0.2, 0.1], tau=1.0)
    loss.class_offset.copy_(torch.tensor([0.0, -0.4, 0.3]))
    logits, target = torch.tensor([[0.5, 0.1, -0.2]]), torch.tensor([1])
    shifted = logits + torch.log(torch.tensor([0.7, 0.2, 0.1])) + loss.class_offset
    expected = torch.nn.functional.cross_entropy(shifted, target)
    assert float(loss(logits, target)) == pytest.approx(float(expected), rel=1e-6)


def test_probe_per_class_overlap_on_a_network():
    """Check one reading per class from the last hidden layer."""
    rng = np.random.default_rng(0)
    net = relu_mlp(3, 8, 8, 2)
    X = np.r_[rng.normal(0, 1, (40, 3)), rng.normal(5, 1, (40, 3))]
    y = np.repeat(["a", "b"], 40)
    ov = VitalityProbe(net).per_class_overlap(X, y)
    assert ov.shape == (2,) and np.all((ov >= 0) & (ov <= 1))


@pytest.fixture(scope="module")
def three_blobs():
    rng = np.random.default_rng(1)
    X = np.r_[
        rng.normal(0, 1, (60, 4)),
        rng.normal(0.3, 1, (30, 4)),
        rng.normal(6, 1, (30, 4)),
    ]
    return X, np.repeat([0, 1, 2], [60, 30, 30])


def test_tilt_sets_offsets_during_training_and_clears_them(three_blobs):
    """Check that the tilt records bounded offsets every epoch, favours the
    mixed classes over the separated one, and leaves no offset after fit."""
    X, y = three_blobs
    clf = VitalRouteClassifier(
        tactics=("tilt",),
        loss="logit_adjusted",
        tactic__tilt__strength=0.4,
        hidden_units=(16,),
        max_epochs=4,
        random_state=0,
    ).fit(X, y)
    offsets = np.array(clf.history[:, "vitality_class_offset"])
    assert offsets.shape == (4, 3) and np.all(np.abs(offsets) < 0.4)
    assert offsets[-1, 2] > offsets[-1, :2].max()  # the separated class
    assert torch.count_nonzero(clf.criterion_.class_offset) == 0
    tilt = dict(clf.callbacks_)["vitality_tilt"]
    assert isinstance(tilt, ClassOverlapTilt) and tilt.strength == 0.4


def test_tilt_needs_the_logit_adjusted_loss(three_blobs):
    """Check a clear error, before any training step, without the LA loss."""
    X, y = three_blobs
    clf = VitalRouteClassifier(
        tactics=("tilt",), loss="cross_entropy", hidden_units=(4,), max_epochs=1
    )
    with pytest.raises(ValueError, match="loss='logit_adjusted'"):
        clf.fit(X, y)
