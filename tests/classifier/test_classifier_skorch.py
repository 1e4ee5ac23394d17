"""VitalRouteClassifier as a skorch net: callbacks, sampler wiring, params, I/O."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback, EpochScoring, PrintLog
from skorch.dataset import ValidSplit

from skvitalroute import VitalRouteClassifier
from skvitalroute.nn import MLPModule

FAST = dict(hidden_units=(8, 6), max_epochs=2, batch_size=16, probe_size=64)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, n_classes=2, random_state=1
    )
    return X, y


class RecordBatches(Callback):
    """Collect the training batches' rows and the validation split's rows."""

    def on_train_begin(self, net, **kwargs):
        self.train_rows_, self.valid_rows_ = [], []

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        if dataset_valid is not None:
            self.valid_rows_ = [dataset_valid[i][0] for i in range(len(dataset_valid))]

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.train_rows_.extend(np.asarray(batch[0]))


class FixedSampler(Callback):
    """Install a sampler that always yields the given row indices."""

    def __init__(self, indices=(0,)):
        self.indices = indices

    def on_train_begin(self, net, **kwargs):
        net._set_train_sampler(list(self.indices))


def test_user_callbacks_run_before_tactics_and_are_not_mutated(data):
    """Check that user callbacks run, come before the tactics, PrintLog last."""
    X, y = data
    recorder = RecordBatches()
    user = [("recorder", recorder)]
    clf = VitalRouteClassifier(callbacks=user, tactics=("hard",), **FAST)
    clf.fit(X, y)
    names = [n for n, _ in clf.callbacks_]
    assert names.index("recorder") < names.index("vitality_hard")
    assert names.index("vitality_hard") < names.index("vitality_monitor")
    assert isinstance(clf.callbacks_[-1][1], PrintLog)
    assert clf.callbacks == user and len(user) == 1  # the parameter is untouched
    assert len(recorder.train_rows_) == FAST["max_epochs"] * len(X)


def test_reserved_callback_name_raises(data):
    """Check that a user callback may not take a tactic callback's name."""
    X, y = data
    clf = VitalRouteClassifier(callbacks=[("vitality_monitor", Callback())], **FAST)
    with pytest.raises(ValueError, match="reserved"):
        clf.fit(X, y)


def test_set_train_sampler_drives_the_iterator_and_resets_each_fit(data):
    """Check that a sampler set for a fit draws the training rows, then is dropped."""
    X, y = data
    recorder = RecordBatches()
    clf = VitalRouteClassifier(
        callbacks=[recorder, FixedSampler(indices=[3, 3, 5])], tactics="none", **FAST
    )
    clf.fit(X, y)
    rows = np.array(recorder.train_rows_)
    assert len(rows) == 3 * FAST["max_epochs"]
    np.testing.assert_allclose(rows[:3], X[[3, 3, 5]].astype(np.float32))
    clf.set_params(callbacks=[recorder]).fit(X, y)
    assert clf.train_sampler_ is None
    assert len(recorder.train_rows_) == len(X) * FAST["max_epochs"]


def test_validation_split_happens_before_resampling():
    """Check that no row of the validation fold reaches a training batch."""
    X, y = make_classification(
        n_samples=150, n_features=5, weights=[0.85], flip_y=0, random_state=0
    )
    recorder = RecordBatches()
    clf = VitalRouteClassifier(
        train_split=0.25,
        callbacks=[recorder],
        random_state=0,
        tactics=("class",),
        **FAST,
    )
    clf.fit(X, y)
    assert clf.route_.use_class_sampler
    assert clf.train_sampler_ is not None
    train = {r.tobytes() for r in recorder.train_rows_}
    valid = {np.asarray(r).tobytes() for r in recorder.valid_rows_}
    assert len(valid) > 0 and not train & valid
    assert "valid_loss" in clf.history[-1] and "valid_acc" in clf.history[-1]


def test_validation_accuracy_with_string_labels(data):
    """Check that skorch's valid_acc scores encoded labels correctly."""
    X, y = data
    labels = np.array(["neg", "pos"])[y]
    clf = VitalRouteClassifier(
        train_split=ValidSplit(4, stratified=True),
        random_state=0,
        lr=0.05,
        **{**FAST, "max_epochs": 8},
    )
    clf.fit(X, labels)
    assert clf.history[-1, "valid_acc"] > 0.6


def test_lr_means_base_rate_across_layer_groups(data):
    """Check one optimizer group per hidden layer under lr_scale, and that lr
    sets them all."""
    X, y = data
    clf = VitalRouteClassifier(tactics=("lr_scale",), random_state=0, **FAST)
    clf.fit(X, y)
    groups = clf.optimizer_.param_groups
    assert len(groups) == 3  # two hidden layers + the rest (output layer)
    n_params = sum(p.numel() for g in groups for p in g["params"])
    assert n_params == sum(p.numel() for p in clf.module_.parameters())
    assert all(g["lr"] == pytest.approx(1e-3) for g in groups)
    clf.set_params(lr=0.5)
    assert all(g["lr"] == 0.5 for g in clf.optimizer_.param_groups)


def test_single_optimizer_group_without_lr_scale(data):
    """Check that a route without lr_scale keeps skorch's single group."""
    X, y = data
    for tactics in ("none", ("class",), ("hard",)):
        clf = VitalRouteClassifier(tactics=tactics, random_state=0, **FAST).fit(X, y)
        assert len(clf.optimizer_.param_groups) == 1


def test_warm_start_regroups_optimizer_and_keeps_its_state(data):
    """Check that a warm-start fit turning lr_scale on gets one group per
    hidden layer and carries Adam's per-parameter state over."""
    X, y = data
    clf = VitalRouteClassifier(tactics="none", random_state=0, **FAST).fit(X, y)
    before = {id(p): st["step"].item() for p, st in clf.optimizer_.state.items()}
    steps = next(iter(before.values()))
    clf.set_params(tactics=("lr_scale",), warm_start=True, max_epochs=1)
    clf.fit(X, y)
    groups = clf.optimizer_.param_groups
    assert len(groups) == 3
    assert "vitality_lr_scales" in clf.history[-1]
    state = clf.optimizer_.state
    assert {id(p) for p in state} == set(before)
    per_epoch = steps / FAST["max_epochs"]
    assert all(st["step"].item() == steps + per_epoch for st in state.values())


def test_optimizer_param_groups_override_layer_groups(data):
    """Check that skorch's optimizer__param_groups still works."""
    X, y = data
    clf = VitalRouteClassifier(
        tactics="none", optimizer__param_groups=[("2.*", {"lr": 0.1})], **FAST
    ).fit(X, y)
    assert [g["lr"] for g in clf.optimizer_.param_groups] == [0.1, 1e-3]


def test_module_params_and_custom_module(data):
    """Check module__ parameters for the default and for a user module."""
    X, y = data
    clf = VitalRouteClassifier(module__hidden_units=(3,), tactics="none", **FAST)
    assert clf.fit(X, y).module_[0].out_features == 3

    class Tiny(torch.nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(5, width), torch.nn.ReLU(), torch.nn.Linear(width, 2)
            )

        def forward(self, X):
            return self.body(X)

    net = VitalRouteClassifier(Tiny, module__width=7, random_state=0, **FAST).fit(X, y)
    assert net.module_.body[0].out_features == 7
    assert net.predict_proba(X).shape == (80, 2)
    net.set_params(module__width=9)
    assert net.module_.body[0].out_features == 9


def test_custom_criterion_is_used(data):
    """Check that a skorch criterion replaces the built-in loss."""
    X, y = data
    clf = VitalRouteClassifier(
        criterion=torch.nn.CrossEntropyLoss, criterion__label_smoothing=0.1, **FAST
    ).fit(X, y)
    assert clf.criterion_.label_smoothing == 0.1


def test_save_and_load_params(data, tmp_path):
    """Check that save_params/load_params restore identical predictions."""
    X, y = data
    # skorch's files hold the network (the forest: f_forest, test_classifier_io.py)
    clf = VitalRouteClassifier(random_state=0, router__forest_weight=0.0, **FAST).fit(
        X, y
    )
    clf.save_params(f_params=tmp_path / "p.pt", f_history=tmp_path / "h.json")
    other = VitalRouteClassifier(
        random_state=1, router__forest_weight=0.0, **{**FAST, "max_epochs": 0}
    ).fit(X, y)
    other.load_params(f_params=tmp_path / "p.pt", f_history=tmp_path / "h.json")
    np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    assert len(other.history) == FAST["max_epochs"]


def test_initialize_without_data(data):
    """Check initialize() before fit: helpful error, or sized by module__ params."""
    X, y = data
    with pytest.raises(ValueError, match="module__n_features"):
        VitalRouteClassifier().initialize()
    net = VitalRouteClassifier(module__n_features=5, module__n_classes=2, **FAST)
    net.initialize()
    assert net.module_[0].in_features == 5
    # skorch's workflow: initialise, load trained parameters, predict; without
    # labels predict refuses to pass column indices off as labels
    trained = VitalRouteClassifier(
        random_state=0, router__forest_weight=0.0, **FAST
    ).fit(X, y)
    net.module_.load_state_dict(trained.module_.state_dict())
    np.testing.assert_array_equal(net.predict_proba(X), trained.predict_proba(X))
    with pytest.raises(ValueError, match="initialised without training labels"):
        net.predict(X)
    # skorch's classes= names the columns
    named = VitalRouteClassifier(
        module__n_features=5, module__n_classes=2, classes=["no", "yes"], **FAST
    ).initialize()
    named.module_.load_state_dict(trained.module_.state_dict())
    np.testing.assert_array_equal(
        named.predict(X), np.array(["no", "yes"])[trained.predict(X)]
    )


def test_warm_start_and_partial_fit_continue_training(data):
    """Check that warm_start and partial_fit extend the history."""
    X, y = data
    clf = VitalRouteClassifier(warm_start=True, random_state=0, **FAST)
    clf.fit(X, y).fit(X, y)
    assert len(clf.history) == 2 * FAST["max_epochs"]
    inc = VitalRouteClassifier(random_state=0, **FAST)
    inc.partial_fit(X[:40], y[:40], classes=[0, 1]).partial_fit(X[40:], y[40:])
    assert len(inc.history) == 2 * FAST["max_epochs"]
    assert inc.profile_.n_samples == 40  # routed once, on the first call
    with pytest.raises(ValueError, match="features"):
        inc.partial_fit(X[:, :3], y)


def test_verbose_prints_only_when_asked(data, capsys):
    """Check that the epoch log is printed with verbose=1 and not by default."""
    X, y = data
    VitalRouteClassifier(**FAST).fit(X, y)
    assert capsys.readouterr().out == ""
    VitalRouteClassifier(verbose=1, **FAST).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "epoch" in out


def test_epoch_scoring_callback_on_training_data(data):
    """Check that a skorch EpochScoring on the train split is recorded."""
    X, y = data
    score = EpochScoring(
        "accuracy", on_train=True, name="train_acc", lower_is_better=False
    )
    clf = VitalRouteClassifier(callbacks=[score], random_state=0, **FAST).fit(X, y)
    assert 0.0 <= clf.history[-1, "train_acc"] <= 1.0


def test_module_instance_is_accepted(data):
    """Check that an initialised module instance can be passed, as in skorch."""
    X, y = data
    module = MLPModule(5, 2, (4,))
    clf = VitalRouteClassifier(module, tactics="none", **FAST).fit(X, y)
    assert clf.module_ is module


def test_trim_for_prediction_keeps_probabilities(data):
    """Check that a trimmed net predicts the same probabilities and labels."""
    X, y = data
    clf = VitalRouteClassifier(random_state=0, **FAST).fit(X, np.array(["a", "b"])[y])
    proba, labels = clf.predict_proba(X), clf.predict(X)
    clf.trim_for_prediction()
    assert clf.optimizer_ is None and clf.criterion_ is None
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    np.testing.assert_array_equal(clf.predict(X), labels)
