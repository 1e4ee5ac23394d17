"""VitalRouteClassifier as a scikit-learn estimator: API, routing, baselines."""

import pickle
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import torch
from _shared import SEED_RULE_EXAMPLES, three_classes
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skvitalroute import VitalRouteClassifier
from skvitalroute.nn import MLPModule
from skvitalroute.nn._losses import FocalLoss, LogitAdjustedLoss

FAST = dict(hidden_units=(8,), max_epochs=2, batch_size=32, probe_size=64)


@pytest.fixture(scope="module")
def data():
    return three_classes(90, n_features=6, n_informative=4)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return VitalRouteClassifier(random_state=0, **FAST).fit(X, y)


def _blocks(n_per_class, n_features=4, seed=0):
    """Labelled blobs: one block of rows per entry of n_per_class."""
    rng = np.random.default_rng(seed)
    X = np.vstack(
        [rng.normal(c, 1.0, size=(n, n_features)) for c, n in enumerate(n_per_class)]
    )
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    return X, y


# -- the scikit-learn surface ---------------------------------------------------
def test_fitted_attributes(fitted, data):
    """Check that fit sets classes_, n_features_in_, profile_, route_, history."""
    X, y = data
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2])
    assert fitted.n_features_in_ == 6
    assert not hasattr(fitted, "feature_names_in_")
    assert fitted.profile_.n_samples == 90 and fitted.profile_.n_classes == 3
    assert fitted.route_.router == "default"
    assert fitted.route_.rebalances  # a short fixed budget: inverse frequency
    assert len(fitted.history) == FAST["max_epochs"]
    assert isinstance(fitted.module_, MLPModule)
    assert fitted.module_[0].in_features == 6 and fitted.module_[-1].out_features == 3


def test_predict_proba_log_proba_score(fitted, data):
    """Check that probabilities sum to one and predict/log/score agree."""
    X, y = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (90, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(fitted.predict(X), proba.argmax(axis=1))
    np.testing.assert_allclose(fitted.predict_log_proba(X), np.log(proba))
    assert fitted.score(X, y) == pytest.approx(np.mean(fitted.predict(X) == y))


def test_not_fitted_raises():
    """Check that predicting before fit raises NotFittedError."""
    with pytest.raises(NotFittedError):
        VitalRouteClassifier().predict(np.zeros((2, 3)))
    assert not hasattr(VitalRouteClassifier(), "classes_")


def test_clone(fitted):
    """Check that clone copies the parameters and none of the fitted state."""
    cloned = clone(fitted)
    assert cloned.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()
    assert cloned.hidden_units == FAST["hidden_units"]
    assert not cloned.initialized_
    for attr in ("module_", "classes_", "route_", "n_features_in_"):
        assert not hasattr(cloned, attr)
    assert not any(k.startswith("_") for k in fitted.get_params(deep=True))


def test_pickle_round_trip(fitted, data):
    """Check that an unpickled classifier predicts exactly the same."""
    X, _ = data
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored.route_ == fitted.route_


def test_random_state_reproducible_and_global_rng_untouched(data):
    """Check that random_state fixes the fit and torch's global RNG is not used."""
    X, y = data
    before = torch.get_rng_state()
    a = VitalRouteClassifier(random_state=3, dropout=0.2, **FAST).fit(X, y)
    b = VitalRouteClassifier(random_state=3, dropout=0.2, **FAST).fit(X, y)
    a.predict_proba(X)
    assert torch.equal(before, torch.get_rng_state())
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = VitalRouteClassifier(random_state=4, dropout=0.2, **FAST).fit(X, y)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))


def test_random_state_none_uses_numpy_global_rng(data):
    """Check that random_state=None draws a fresh seed from numpy's global RNG."""
    X, y = data
    np.random.seed(1)
    a = VitalRouteClassifier(**FAST).fit(X, y).predict_proba(X)
    np.random.seed(1)
    b = VitalRouteClassifier(**FAST).fit(X, y).predict_proba(X)
    c = VitalRouteClassifier(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    "labels", [np.array([3, 7]), np.array(["cat", "dog"]), np.array([False, True])]
)
def test_any_label_type(data, labels):
    """Check that string / non-contiguous labels are learnt and returned."""
    X, y = data
    y_any = labels[(y > 0).astype(int)]
    clf = VitalRouteClassifier(random_state=0, **FAST).fit(X, y_any)
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert set(clf.predict(X)) <= set(labels)
    assert clf.predict(X).dtype == y_any.dtype
    np.testing.assert_array_equal(clf.profile_.classes, np.sort(labels))


def test_list_and_float32_input(data):
    """Check that nested lists and float32 arrays are accepted."""
    X, y = data
    clf = VitalRouteClassifier(random_state=0, **FAST).fit(X.tolist(), list(y))
    p_list = clf.predict_proba(X.tolist())
    p_32 = clf.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(p_list, p_32, rtol=1e-5)


def test_pandas_input_sets_feature_names(data):
    """Check that a DataFrame sets feature_names_in_ and is checked at predict."""
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = VitalRouteClassifier(random_state=0, **FAST).fit(df, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[df.columns[::-1]])


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((4, 2), np.nan), "NaN"),
        (np.full((4, 2), np.inf), "infinity"),
        (np.zeros(4), "2D array"),
        (np.zeros((0, 2)), "0 sample"),
    ],
)
def test_bad_input_rejected(X, match):
    """Check that NaN/inf, 1-D and empty input raise sklearn's ValueErrors."""
    y = np.arange(len(X)) % 2
    with pytest.raises(ValueError, match=match):
        VitalRouteClassifier(**FAST).fit(X, y)


def test_sparse_input_rejected():
    """Check that sparse input raises sklearn's TypeError."""
    from scipy import sparse

    with pytest.raises(TypeError, match="[Ss]parse"):
        VitalRouteClassifier(**FAST).fit(sparse.csr_matrix(np.eye(4)), [0, 1, 0, 1])


def test_one_class_raises():
    """Check that a single-class y raises a ValueError naming the class."""
    with pytest.raises(ValueError, match="only one class"):
        VitalRouteClassifier(**FAST).fit(np.zeros((4, 2)), ["a"] * 4)


# -- pipelines and model selection ----------------------------------------------
def test_pipeline_with_scaler(data):
    """Check that the classifier works as the last step of a Pipeline."""
    X, y = data
    pipe = make_pipeline(StandardScaler(), VitalRouteClassifier(random_state=0, **FAST))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (90,)
    assert pipe[-1].n_features_in_ == 6


def test_grid_search_over_tactics_in_parallel(data):
    """Check that GridSearchCV(n_jobs=2) tunes tactics and a tactic strength."""
    X, y = data
    grid = GridSearchCV(
        VitalRouteClassifier(random_state=0, **FAST),
        [
            {"tactics": ["none", "auto"]},
            {"tactics": [("class",)], "tactic__class__strength": [0.5]},
        ],
        cv=2,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 3
    assert grid.best_estimator_.route_ is not None
    assert grid.best_params_["tactics"] in ("none", "auto", ("class",))


def test_cross_val_score_against_inv_freq(data):
    """Check that cross_val_score compares routing with inv_freq weighting."""
    X, y = data
    base = VitalRouteClassifier(random_state=0, **FAST)
    inv_freq = clone(base).set_params(tactics="none", class_weight="balanced")
    for est in (base, inv_freq):
        scores = cross_val_score(est, X, y, cv=3, scoring="balanced_accuracy")
        assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))


def test_column_transformer_with_pandas_frame():
    """Check a ColumnTransformer on a mixed pandas frame feeding the classifier."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 60),
            "income": rng.normal(3, 1, 60),
            "city": rng.choice(["paris", "lyon", "nice"], 60),
        }
    )
    y = np.where(df["age"] > 40, "old", "young")
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "income"]),
            ("cat", OneHotEncoder(), ["city"]),
        ]
    )
    clf = VitalRouteClassifier(random_state=0, **FAST)
    pipe = Pipeline([("pre", pre), ("clf", clf)])
    pipe.fit(df, y)
    assert set(pipe.predict(df)) <= {"old", "young"}
    assert pipe.named_steps["clf"].n_features_in_ == 5


# -- routing --------------------------------------------------------------------
def _pool(n_features, n_classes=2):
    torch.manual_seed(0)
    return [("p0", MLPModule(n_features, n_classes, (8,)))]


@pytest.mark.parametrize("counts, pool, label", SEED_RULE_EXAMPLES)
def test_seed_router_reproduces_spec_examples(counts, pool, label):
    """Check that router='vitalroute' routes the seed's examples to their
    labels and installs exactly the matching callbacks (the seed's monitor
    resets dead units)."""
    X, y = _blocks(counts)
    pool = _pool(4, len(counts)) if pool else None
    clf = VitalRouteClassifier(
        parent_pool=pool, router="vitalroute", **{**FAST, "max_epochs": 0}
    )
    clf.fit(X, y)
    assert clf.route_.label == label
    assert clf.route_.router == "vitalroute"
    names = [n for n, _ in clf.callbacks_]
    assert "vitality_reset" in names and "vitality_monitor" not in names
    assert ("vitality_class" in names) == (label == "imbalance")
    assert ("vitality_hard" in names) == ("hard" in label)
    assert ("vitality_lr_scale" in names) == ("lr_scale" in label)
    assert ("vitality_transfer" in names) == ("transfer" in label)


def test_router_thresholds_are_parameters():
    """Check that a router__ threshold changes the route, and that
    GridSearchCV-style set_params reaches it."""
    X, y = _blocks([60, 20])
    kw = dict(max_epochs=0, hidden_units=(8,), probe_size=64, router="vitalroute")
    assert VitalRouteClassifier(**kw).fit(X, y).route_.label == "hard+lr_scale"
    strict = VitalRouteClassifier(router__imbalance_threshold=0.5, **kw).fit(X, y)
    assert strict.route_.label == "imbalance"
    assert "0.333 < 0.5" in strict.route_.reasons["class"]
    clf = VitalRouteClassifier(**kw).set_params(router__imbalance_threshold=0.5)
    assert clf.get_params()["router__imbalance_threshold"] == 0.5
    assert clone(clf).fit(X, y).route_.label == "imbalance"


def test_default_router_budget_and_loss_yield_to_the_user():
    """Check that the default router sets the loss and the epochs only where
    the user left them to it, and says so in the plan."""
    X, y = _blocks([60, 20])
    # short_steps=0: the user's max_epochs=2 below does not make a short fit
    kw = dict(
        hidden_units=(8,), probe_size=64, router__max_epochs=3, router__short_steps=0
    )
    auto = VitalRouteClassifier(**kw).fit(X, y)
    assert auto.route_.settings["loss"] == "logit_adjusted"
    assert isinstance(auto.criterion_, LogitAdjustedLoss)
    assert auto.max_epochs_ == auto.route_.settings["max_epochs"] == 3
    assert len(auto.history) == 3
    user = VitalRouteClassifier(loss="focal", max_epochs=2, **kw).fit(X, y)
    assert isinstance(user.criterion_, FocalLoss)
    assert len(user.history) == user.max_epochs_ == 2
    assert "loss" not in user.route_.settings
    text = user.route_.explain()
    assert "loss: not routed: the user's loss='focal' wins" in text
    assert "max_epochs: not routed: the user's max_epochs=2 wins" in text
    weighted = VitalRouteClassifier(class_weight="balanced", **kw).fit(X, y)
    assert type(weighted.criterion_) is torch.nn.CrossEntropyLoss


def test_default_router_weight_decay_follows_rows_and_lr():
    """Check the routed decoupled weight decay: min(1, 3000 / n) at lr=1e-3,
    scaled by 1e-3 / lr, and not applied over the user's optimizer settings."""
    X, y = _blocks([60, 20])  # n = 80: the cap 1.0 applies
    kw = dict(hidden_units=(8,), probe_size=64, router__max_epochs=1)
    auto = VitalRouteClassifier(**kw).fit(X, y)
    assert isinstance(auto.optimizer_, torch.optim.AdamW)
    assert auto.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(1.0)
    fast = VitalRouteClassifier(lr=1e-2, **kw).fit(X, y)
    assert fast.optimizer_.param_groups[0]["weight_decay"] == pytest.approx(0.1)
    sgd = VitalRouteClassifier(optimizer=torch.optim.SGD, **kw).fit(X, y)
    assert sgd.optimizer_.param_groups[0]["weight_decay"] == 0
    assert "weight_decay: not routed: the user's optimizer=SGD" in sgd.route_.explain()
    own = VitalRouteClassifier(optimizer__weight_decay=0.0, **kw).fit(X, y)
    assert type(own.optimizer_) is torch.optim.Adam
    plain = VitalRouteClassifier(tactics="none", **kw).fit(X, y)
    assert type(plain.optimizer_) is torch.optim.Adam
    assert plain.optimizer_.param_groups[0]["weight_decay"] == 0


@pytest.mark.parametrize(
    "tactics, names",
    [
        ("none", ["vitality_monitor"]),
        (("class", "lr_scale"), ["vitality_class", "vitality_lr_scale"]),
        (["hard"], ["vitality_hard"]),
        (("reset",), ["vitality_reset"]),
    ],
)
def test_explicit_tactics_override_router(data, tactics, names):
    """Check that explicit tactics are used as given, with readable reasons,
    and that only the reset tactic replaces the record-only monitor."""
    X, y = data
    clf = VitalRouteClassifier(tactics=tactics, max_epochs=0, hidden_units=(8,))
    clf.fit(X, y)
    ours = [n for n, _ in clf.callbacks_ if n.startswith("vitality_")]
    if not {"vitality_reset", "vitality_monitor"} & set(names):
        names = [*names, "vitality_monitor"]
    assert ours == names
    assert "set by tactics" in clf.route_.reasons["class"]
    assert clf.route_.explain().startswith("route: ")
    monitor = dict(clf.callbacks_).get("vitality_monitor")
    assert monitor is None or monitor.reset is False


def test_history_records_vitality_every_epoch(fitted):
    """Check that every epoch of history holds the monitor's readings."""
    for epoch in fitted.history:
        assert 0.0 <= epoch["vitality_mean_stasis"] <= 1.0


# -- baselines ------------------------------------------------------------------
def test_class_weight_balanced_reaches_loss(data):
    """Check that class_weight='balanced' weighs the loss by n / (k * count_c)."""
    X, y = data
    y_imb = np.where(np.arange(90) < 70, 0, y % 2 + 1)
    clf = VitalRouteClassifier(
        class_weight="balanced", tactics="none", max_epochs=0, hidden_units=(8,)
    ).fit(X, y_imb)
    counts = np.bincount(y_imb)
    np.testing.assert_allclose(clf.class_weight_, 90 / (3 * counts))
    logits = torch.tensor([[1.0, 0.0, -1.0], [0.0, 2.0, 0.5]])
    target = torch.tensor([0, 2])
    w = clf.class_weight_[[0, 2]]
    log_p = torch.log_softmax(logits, 1)[[0, 1], target].numpy()
    expected = -(w * log_p).sum() / w.sum()
    assert clf.get_loss(logits, target).item() == pytest.approx(expected, rel=1e-5)


def test_class_weight_dict_uses_original_labels(data):
    """Check that a class_weight dict is keyed by the original labels."""
    X, y = data
    labels = np.array(["a", "b", "c"])[y]
    clf = VitalRouteClassifier(
        class_weight={"c": 5.0}, max_epochs=0, hidden_units=(8,)
    ).fit(X, labels)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), [1.0, 1.0, 5.0])


def test_focal_and_logit_adjusted_loss_by_hand(data):
    """Check the focal and logit-adjusted losses on a tiny batch against formulas."""
    X, y = data
    y_imb = np.where(np.arange(90) < 60, 0, 1)
    logits = torch.tensor([[0.5, -0.5], [0.2, 1.0], [-1.0, 0.3]])
    target = torch.tensor([0, 1, 1])
    kw = dict(max_epochs=0, hidden_units=(8,))
    focal = VitalRouteClassifier(loss="focal", **kw).fit(X, y_imb)
    assert isinstance(focal.criterion_, FocalLoss) and focal.criterion_.gamma == 2.0
    p = torch.softmax(logits, 1)[[0, 1, 2], target]
    expected = (-((1 - p) ** 2) * torch.log(p)).mean().item()
    assert focal.get_loss(logits, target).item() == pytest.approx(expected, rel=1e-5)

    la = VitalRouteClassifier(loss="logit_adjusted", **kw).fit(X, y_imb)
    assert isinstance(la.criterion_, LogitAdjustedLoss)
    np.testing.assert_allclose(la.class_prior_, [60 / 90, 30 / 90])
    shifted = logits + torch.log(torch.tensor([60 / 90, 30 / 90]))
    expected = torch.nn.functional.cross_entropy(shifted, target).item()
    assert la.get_loss(logits, target).item() == pytest.approx(expected, rel=1e-5)


# -- parameter validation -------------------------------------------------------
@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"tactics": "atuo"}, ValueError, "Did you mean 'auto'"),
        ({"tactics": ("class", "lrscale")}, ValueError, "Did you mean 'lr_scale'"),
        ({"tactics": ("class", "hard")}, ValueError, "both 'class' and 'hard'"),
        ({"tactics": ("transfer",)}, ValueError, "parent_pool"),
        ({"loss": "focall"}, ValueError, "Did you mean 'focal'"),
        ({"class_weight": "balance"}, ValueError, "Did you mean 'balanced'"),
        ({"hidden_units": (0,)}, ValueError, "hidden_units"),
        (
            {"tactic__class__strength": 2.0},
            ValueError,
            r"'tactic__class__strength' parameter of VitalRouteClassifier must be a "
            r"float in the range \[0.0, 1.0\]",
        ),
        (
            {"tactic__class__refresh_every": 1.5},
            TypeError,
            r"'tactic__class__refresh_every' parameter of VitalRouteClassifier must "
            r"be an int in the range \[1, inf\)",
        ),
        ({"dropout": 1.0}, ValueError, "dropout"),
        ({"train_split": 1.5}, ValueError, "train_split"),
        ({"criterion": torch.nn.NLLLoss, "loss": "focal"}, ValueError, "criterion"),
    ],
)
def test_invalid_parameters_raise_at_fit(data, params, error, match):
    """Check that bad arguments are reported at fit with helpful messages."""
    X, y = data
    clf = VitalRouteClassifier(**params)  # nothing is validated in __init__
    with pytest.raises(error, match=match):
        clf.fit(X, y)


def test_parameters_are_checked_once_per_fit(data):
    """Check that each fit, partial_fit and initialize checks the parameters once."""
    X, y = data
    real = VitalRouteClassifier._check_params
    with mock.patch.object(
        VitalRouteClassifier, "_check_params", autospec=True, side_effect=real
    ) as check:
        clf = VitalRouteClassifier(random_state=0, **FAST)
        calls = [
            lambda: clf.fit(X, y),
            lambda: clf.set_params(warm_start=True).fit(X, y),
            lambda: VitalRouteClassifier(random_state=0, **FAST).partial_fit(X, y),
            lambda: VitalRouteClassifier(
                module__n_features=X.shape[1], module__n_classes=3, **FAST
            ).initialize(),
        ]
        for call in calls:
            check.reset_mock()
            call()
            assert check.call_count == 1
        check.reset_mock()
        clf.partial_fit(X, y)  # continues the fitted route: nothing to check
        assert check.call_count == 0


def test_misspelled_argument_gets_a_suggestion(data):
    """Check that a misspelled constructor argument suggests the right name."""
    X, y = data
    with pytest.raises(
        ValueError,
        match="Did you mean 'tactic__class__strength' .formerly 'sampler_strength'.",
    ):
        VitalRouteClassifier(sampler_strenght=0.3, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="iterator_train__shuffle"):
        VitalRouteClassifier(iterator_train_shuffle=False, **FAST).fit(X, y)
