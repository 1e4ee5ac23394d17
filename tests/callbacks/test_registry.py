"""The tactic registry: one name per tactic, adding one is one entry."""

import numpy as np
import pytest
from skorch.callbacks import Callback

from skvitalroute import VitalRouteClassifier
from skvitalroute.callbacks._registry import (
    TACTICS,
    Tactic,
    register_tactic,
    reserved_callback_names,
    tactic_callbacks,
)


class Counter(Callback):
    """A made-up tactic: counts epochs, with one argument."""

    def __init__(self, step=1):
        self.step = step

    def on_epoch_end(self, net, **kwargs):
        net.history.record("counted", self.step)


@pytest.fixture
def counter_tactic():
    tactic = register_tactic(Tactic("count", Counter, {}))
    yield tactic
    TACTICS.pop("count")


def test_a_new_tactic_is_one_registry_entry(counter_tactic):
    """Check that a registered tactic is accepted, installed under its one
    name, explained and reserved, with no change to the classifier."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), np.repeat([0, 1], 20)
    clf = VitalRouteClassifier(tactics=("count",), hidden_units=(4,), max_epochs=2)
    clf.fit(X, y)
    assert isinstance(dict(clf.callbacks_)["vitality_count"], Counter)
    assert clf.history[:, "counted"] == [1, 1]  # the callback's own default
    assert "- count: on (set by tactics=('count',))" in clf.route_.explain()
    assert "vitality_count" in reserved_callback_names()
    # its callback's arguments are its settings, tactic__count__<argument>
    assert counter_tactic.settings == {"step": 1}
    assert clf.get_params()["tactic__count__step"] == 1
    clf.set_params(tactic__count__step=3).fit(X, y)
    assert clf.history[:, "counted"] == [3, 3]


def test_names_order_and_exclusions():
    """Check the registry's names, that plans follow registry order, and that
    the two samplers refuse to run together."""
    assert list(TACTICS)[:4] == ["transfer", "class", "hard", "lr_scale"]
    with pytest.raises(ValueError, match="both 'class' and 'hard'"):
        VitalRouteClassifier(tactics=("class", "hard")).fit(
            np.zeros((8, 2)), [0, 1] * 4
        )
    with pytest.raises(ValueError, match="Unknown tactic 'hrad'.*Did you mean 'hard'"):
        VitalRouteClassifier(tactics=("hrad",)).fit(np.zeros((8, 2)), [0, 1] * 4)


def test_seeds_do_not_depend_on_the_other_tactics():
    """Check that a seeded tactic gets the same seed whatever else is on."""
    est = VitalRouteClassifier()
    alone = dict(tactic_callbacks(est, ("class",), seed=10))
    mixed = dict(tactic_callbacks(est, ("class", "lr_scale", "reset"), seed=10))
    assert alone["vitality_class"].random_state == mixed["vitality_class"].random_state
    hard = dict(tactic_callbacks(est, ("hard",), seed=10))["vitality_hard"]
    assert hard.random_state != alone["vitality_class"].random_state
    names = [n for n, _ in tactic_callbacks(est, ("reset", "class"), seed=10)]
    assert names == ["divergence_guard", "vitality_class", "vitality_reset"]
