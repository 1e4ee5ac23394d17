"""The default router's rules (docs/router.md): the ones that must hold."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from skvitalroute import VitalRouteClassifier, default_route, profile_task
from skvitalroute.routing._default import SHORT_STEPS


def _labels(counts):
    return np.repeat(np.arange(len(counts)), counts)


@settings(max_examples=300, deadline=None)
@given(
    counts=st.lists(st.integers(1, 3000), min_size=1, max_size=12),
    epochs=st.one_of(st.none(), st.integers(1, 400)),
    batch_size=st.integers(1, 512),
    pool=st.booleans(),
)
def test_imbalance_is_never_ignored(counts, epochs, batch_size, pool):
    """Check, on arbitrary label shapes and budgets: labels of more than one
    class are always rebalanced (whatever the smallest class's size), by
    exactly one of the logit-adjusted loss and inverse-frequency weights;
    the routed budget reaches min_steps within its epoch bounds; no
    vitality tactic is routed; transfer only with a pool."""
    profile = profile_task(_labels(counts))
    plan = default_route(
        profile, parent_pool_available=pool, epochs=epochs, batch_size=batch_size
    )
    n, k = sum(counts), len(counts)
    per_epoch = math.ceil(n / batch_size)
    assert plan.rebalances == (k > 1)
    assert not ("loss" in plan.settings and "class_weight" in plan.settings)
    if epochs is None:
        run = plan.settings["max_epochs"]
        assert 30 <= run <= 500
        assert run * per_epoch >= 2000 or run in (30, 500)
        assert (run - 1) * per_epoch < 2000 or run == 30
    else:
        assert "max_epochs" not in plan.settings
        run = epochs
    short = epochs is not None and epochs * per_epoch < SHORT_STEPS
    tilted = default_route(profile, epochs=epochs, batch_size=batch_size, tilt=True)
    if k > 1:  # the tilt needs the logit-adjusted loss, short fit or not
        assert tilted.settings["loss"] == "logit_adjusted" and tilted.uses("tilt")
    if k > 1:
        key, value = (
            ("class_weight", "balanced") if short else ("loss", "logit_adjusted")
        )
        assert plan.settings[key] == value
    assert ("weight_decay" in plan.settings) == (epochs is None)
    assert plan.tactics == (("transfer",) if pool else ())
    assert f"route: {plan.label}" in plan.explain()


def test_weight_decay_fades_with_rows():
    """Check min(1, 3000 / n) * 1e-3 / lr: capped on small data, 0.1 at 30 000
    rows, scaled by the learning rate."""
    small = default_route(profile_task(_labels([100, 20])))
    assert small.settings["weight_decay"] == 1.0
    big = default_route(profile_task(_labels([27000, 3000])))
    assert big.settings["weight_decay"] == pytest.approx(0.1)
    fast = default_route(profile_task(_labels([27000, 3000])), lr=1e-2)
    assert fast.settings["weight_decay"] == pytest.approx(0.01)


def test_budget_counts_steps_of_the_batch_size():
    """Check the routed epochs: 2000 steps at 30..500 epochs."""
    plan = default_route(profile_task(_labels([640, 640])), batch_size=64)
    assert plan.settings["max_epochs"] == 100  # 20 steps an epoch
    tiny = default_route(profile_task(_labels([3, 3])))
    assert tiny.settings["max_epochs"] == 500
    large = default_route(profile_task(_labels([50000, 50000])))
    assert large.settings["max_epochs"] == 30


def test_the_default_gives_a_fold_and_the_refit_the_same_loss():
    """Check that by default (short_steps=0) a fixed short budget keeps the
    logit-adjusted loss, on a fold of the rows and on all of them: the plan
    does not flip on a few rows more or less (issue 23 item 4)."""
    assert SHORT_STEPS == 0
    counts = [150, 20]
    X = np.random.default_rng(0).normal(size=(sum(counts), 4)).astype(np.float32)
    y = _labels(counts)
    kw = dict(hidden_units=(8,), probe_size=64, batch_size=16, max_epochs=3)
    fold_rows = np.arange(len(y)) % 5 != 0  # a cross-validation fold's share
    fold = VitalRouteClassifier(**kw).fit(X[fold_rows], y[fold_rows])
    full = VitalRouteClassifier(**kw).fit(X, y)
    assert fold.route_.label == full.route_.label == "logit_adjusted"


def test_a_short_user_budget_gets_inverse_frequency_weights():
    """Check the classifier passes a fixed max_epochs to the router: with
    router__short_steps set, a fit of fewer than short_steps steps is
    weighted by inverse frequency, a longer one gets the logit-adjusted
    loss, neither gets a routed weight decay; the user's own rebalancing
    still wins."""
    counts = [150, 20]
    X = np.random.default_rng(0).normal(size=(sum(counts), 4)).astype(np.float32)
    y = _labels(counts)
    X[y == 1] += 1.0
    short_steps = 235
    kw = dict(
        hidden_units=(8,), probe_size=64, batch_size=16, router__short_steps=short_steps
    )
    per_epoch = math.ceil(sum(counts) / 16)
    few = max(1, (short_steps - 1) // per_epoch)
    enough = math.ceil(short_steps / per_epoch)
    short = VitalRouteClassifier(max_epochs=few, **kw).fit(X, y)
    assert short.route_.label == "inv_freq"
    expected = compute_class_weight("balanced", classes=np.arange(2), y=y)
    np.testing.assert_allclose(short.class_weight_, expected)
    assert type(short.optimizer_).__name__ == "Adam"
    assert "short_steps" in short.route_.reasons["class_weight"]
    long = VitalRouteClassifier(max_epochs=enough, **kw).fit(X, y)
    assert long.route_.label == "logit_adjusted" and long.class_weight_ is None
    assert type(long.optimizer_).__name__ == "Adam"
    focal = VitalRouteClassifier(max_epochs=few, loss="focal", **kw).fit(X, y)
    assert focal.class_weight_ is None
    assert "the user's loss='focal' wins" in focal.route_.reasons["class_weight"]
    plain = VitalRouteClassifier(max_epochs=few, tactics="none", **kw).fit(X, y)
    assert plain.class_weight_ is None and plain.route_.label == "monitor"


def test_explain_says_when_the_epoch_cap_binds():
    """Check the budget line gives the steps actually run when 500 epochs
    fall short of ``min_steps`` (few rows), and counts one step in the
    singular."""
    from skvitalroute import profile_task

    few = default_route(profile_task([0] * 30 + [1] * 10)).explain()
    assert "n=40, 1 step an epoch;" in few
    assert "at most 500 epochs: capped, 500 steps)" in few
    many = default_route(profile_task([0] * 900 + [1] * 100)).explain()
    assert "16 steps an epoch" in many and "capped" not in many


def test_explain_never_prints_an_empty_reason():
    """Check no line of any router's explanation ends in ``()``: the seed's
    table gives the tilt a reason, and a plan without reasons prints none."""
    from skvitalroute import profile_task, route_plan
    from skvitalroute.routing import RoutePlan

    for plan in (
        route_plan(profile_task([0] * 300 + [1] * 10)),
        default_route(profile_task([0] * 300 + [1] * 10)),
        RoutePlan(tactics=("class",)),
    ):
        assert "()" not in plan.explain()
    seed = route_plan(profile_task([0] * 300 + [1] * 10)).explain()
    assert "- tilt: off (not in the seed's table)" in seed
    assert "- class: on\n" in RoutePlan(tactics=("class",)).explain() + "\n"
