"""sample_weight: the loss of each row, validation, Pipeline and metadata routing."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.dataset import Dataset
from torch.utils.data import Subset

from skvitalroute import VitalRouteClassifier
from skvitalroute._data._dataset import training_arrays
from skvitalroute.nn._losses import build_loss, per_row, weighted_mean

FAST = dict(hidden_units=(16,), max_epochs=15, lr=0.01, probe_size=64, random_state=0)
ABSENT = 2  # the class whose rows all weigh 0


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def zero_class_weight(data):
    _, y = data
    return np.where(y == ABSENT, 0.0, 1.0)


def _losses():
    prior = np.array([0.5, 0.3, 0.2])
    for name in ("cross_entropy", "focal", "logit_adjusted"):
        for weight in (None, np.array([0.5, 1.0, 2.0])):
            yield name, build_loss(name, weight=weight, prior=prior)


@pytest.mark.parametrize(("name", "criterion"), list(_losses()))
def test_integer_weights_give_the_loss_of_repeated_rows(name, criterion):
    """Check that weighting rows by k gives the loss of the batch with each row
    repeated k times, for every built-in loss with and without class weights."""
    torch.manual_seed(0)
    logits, target = torch.randn(6, 3), torch.tensor([0, 1, 2, 0, 1, 2])
    counts = torch.tensor([1, 0, 3, 2, 1, 1])
    with per_row(criterion) as reduction:
        rows = criterion(logits, target)
    weighted = weighted_mean(rows, target, counts.float(), criterion, reduction)
    repeated = criterion(
        logits.repeat_interleave(counts, 0), target.repeat_interleave(counts)
    )
    assert criterion.reduction == "mean"  # restored after the block
    torch.testing.assert_close(weighted, repeated)


def test_a_batch_of_zero_weights_has_loss_zero():
    """Check that a batch whose rows all weigh 0 gives loss 0, not NaN."""
    criterion = build_loss("cross_entropy")
    logits, target = torch.randn(3, 2, requires_grad=True), torch.tensor([0, 1, 0])
    with per_row(criterion) as reduction:
        rows = criterion(logits, target)
    loss = weighted_mean(rows, target, torch.zeros(3), criterion, reduction)
    loss.backward()
    assert loss.item() == 0.0
    assert torch.isfinite(logits.grad).all()


def test_fit_with_weights_equals_fit_on_repeated_rows():
    """Check that a full-batch fit with integer weights matches the fit on the
    rows repeated by their weights (dead-unit resets off: they read rows; the
    network alone: the forest blend's trees draw rows, not weights)."""
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    params = dict(
        FAST,
        max_epochs=10,
        batch_size=-1,
        tactic__reset__reset_threshold=1.0,
        router__forest_weight=0.0,
    )
    repeated = VitalRouteClassifier(**params).fit(X.repeat(sw, 0), y.repeat(sw))
    weighted = VitalRouteClassifier(**params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize(
    ("loss", "class_weight", "tactics"),
    [
        ("cross_entropy", None, "none"),
        ("cross_entropy", "balanced", ("class",)),
        ("focal", None, ("hard",)),
        ("logit_adjusted", "balanced", "none"),
    ],
)
def test_zero_weight_class_is_learned_as_absent(
    data, zero_class_weight, loss, class_weight, tactics
):
    """Check that a class whose rows all weigh 0 is never predicted, with each
    built-in loss, class_weight and the resampling tactics."""
    X, y = data
    clf = VitalRouteClassifier(
        loss=loss, class_weight=class_weight, tactics=tactics, **FAST
    )
    clf.fit(X, y, sample_weight=zero_class_weight)
    assert clf.classes_.tolist() == [0, 1, 2]  # still a class, as in scikit-learn
    assert ABSENT not in clf.predict(X)
    assert clf.predict_proba(X)[:, ABSENT].max() < 0.5
    unweighted = VitalRouteClassifier(
        loss=loss, class_weight=class_weight, tactics=tactics, **FAST
    ).fit(X, y)
    assert (unweighted.predict(X) == ABSENT).sum() > 20


def test_class_sampler_draws_rows_as_without_weights(data, zero_class_weight):
    """Check the documented composition: the class sampler's probabilities do
    not see the weights (a zero-weight class is still drawn), the loss does."""
    X, y = data
    clf = VitalRouteClassifier(tactics=("class",), **FAST)
    clf.fit(X, y, sample_weight=zero_class_weight)
    probs = np.asarray(clf.history[:, "vitality_class_probs"])
    assert (probs[:, ABSENT] > 0.1).all()
    assert clf.class_prior_[ABSENT] == 0.0  # the prior counts weight
    assert clf.class_weight_ is None


def test_balanced_class_weight_counts_classes_by_weight(data):
    """Check that class_weight='balanced' uses weighted class counts, as
    scikit-learn's compute_class_weight(sample_weight=...) does."""
    X, y = data
    w = np.where(y == 0, 3.0, 1.0)
    clf = VitalRouteClassifier(class_weight="balanced", **dict(FAST, max_epochs=1))
    clf.fit(X, y, sample_weight=w)
    counts = np.bincount(y, weights=w)
    np.testing.assert_allclose(clf.class_weight_, counts.sum() / (3 * counts))
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), clf.class_weight_)


def test_equal_weights_fit_exactly_as_no_weights(data):
    """Check that equal weights give exactly the unweighted fit."""
    X, y = data
    params = dict(FAST, max_epochs=3)
    plain = VitalRouteClassifier(**params).fit(X, y)
    weighted = VitalRouteClassifier(**params).fit(X, y, sample_weight=np.full(150, 3))
    np.testing.assert_array_equal(plain.predict_proba(X), weighted.predict_proba(X))


def test_module_forward_never_receives_sample_weight(data, zero_class_weight):
    """Check that a module whose forward takes only X trains with weights, with
    a validation split (weighted valid loss) and the vitality readings."""
    X, y = data
    module = torch.nn.Sequential(
        torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    )
    clf = VitalRouteClassifier(module, train_split=0.2, **dict(FAST, max_epochs=2))
    clf.fit(X, y, sample_weight=zero_class_weight)
    assert np.isfinite(clf.history[:, "valid_loss"]).all()
    assert len(clf.history[:, "vitality_layer_stasis"]) == 2


def test_partial_fit_takes_sample_weight(data, zero_class_weight):
    """Check that partial_fit weighs rows like fit."""
    X, y = data
    clf = VitalRouteClassifier(**FAST)
    clf.partial_fit(X, y, sample_weight=zero_class_weight)
    clf.partial_fit(X, y, sample_weight=zero_class_weight)
    assert ABSENT not in clf.predict(X)


@pytest.mark.parametrize(
    ("sample_weight", "match"),
    [
        (np.ones(3), "sample_weight.shape"),
        (-np.ones(150), "Negative values.*sample_weight"),
        (np.full(150, np.nan), "NaN"),
        (np.zeros(150), "at least one non-zero"),
    ],
)
def test_bad_sample_weight_is_rejected_before_training(data, sample_weight, match):
    """Check that sample_weight is validated (length, finite, non-negative, not
    all zero) with scikit-learn's messages, before any training."""
    X, y = data
    clf = VitalRouteClassifier(**FAST)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, sample_weight=sample_weight)
    assert not clf.initialized_


def test_pipeline_routes_sample_weight(data, zero_class_weight):
    """Check that Pipeline fit params reach the classifier's sample_weight."""
    X, y = data
    pipe = make_pipeline(StandardScaler(), VitalRouteClassifier(**FAST))
    pipe.fit(X, y, vitalrouteclassifier__sample_weight=zero_class_weight)
    assert ABSENT not in pipe.predict(X)


def test_metadata_routing_cross_validate(data, zero_class_weight):
    """Check that set_fit_request(sample_weight=True) routes weights in
    cross_validate with metadata routing enabled."""
    X, y = data
    with sklearn.config_context(enable_metadata_routing=True):
        clf = VitalRouteClassifier(**FAST).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=True)
        result = cross_validate(
            clf,
            X,
            y,
            cv=2,
            params={"sample_weight": zero_class_weight},
            return_estimator=True,
        )
    for est in result["estimator"]:
        assert ABSENT not in est.predict(X)


def test_training_arrays_reads_the_input_of_a_weighted_dict():
    """Check that the callbacks read the input array out of a weighted X dict,
    also through a validation Subset."""
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 0, 1])
    data = Dataset({"X": X, "sample_weight": np.ones(6, np.float32)}, y)
    X_read, y_read = training_arrays(Subset(data, [4, 1]))
    np.testing.assert_array_equal(X_read, X[[4, 1]])
    np.testing.assert_array_equal(y_read, y[[4, 1]])
