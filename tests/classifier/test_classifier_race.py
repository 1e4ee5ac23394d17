"""The race inside VitalRouteClassifier.fit (skvitalroute/_classifier/_race.py)."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification

from skvitalroute import VitalRouteClassifier

# a fast race: few steps, small batches; four candidates at three
# checkpoints scored by balanced accuracy (the default races two at the
# full budget by balanced log-loss: test_the_default_race below)
FAST = dict(
    router__race=True,
    router__race_candidates=("default", "h32", "do3", "wd10"),
    router__race_checkpoints=(0.25, 0.5, 1.0),
    router__race_scoring="balanced_accuracy",
    router__race_margin=0.0,
    random_state=0,
    probe_size=64,
    router__min_steps=40,
    router__min_epochs=4,
    router__max_epochs=12,
)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=160, n_features=6, weights=[0.8, 0.2], flip_y=0.05, random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def raced(data):
    return VitalRouteClassifier(**FAST).fit(*data)


def test_the_race_scores_every_candidate_and_refits_the_winner(raced):
    """Check that a routed fit of a small task races the default candidates
    at each checkpoint, records the table and the winner, and that the
    fitted network is the winner's (its shape, dropout and decay)."""
    race = raced.route_.race
    names = {row["candidate"] for row in race["table"]}
    assert names == {"default", "h32", "do3", "wd10"}
    assert len(race["table"]) == 4 * 3
    assert all(0.0 <= row["score"] <= 1.0 for row in race["table"])
    win = race["winner"]
    best = max(row["score"] for row in race["table"])
    assert win["score"] == pytest.approx(best)
    settings = raced.route_.settings
    linears = [m for m in raced.module_.modules() if hasattr(m, "out_features")]
    widths = tuple(m.out_features for m in linears[:-1])
    assert widths == tuple(settings.get("hidden_units", (128, 64)))
    text = raced.route_.explain()
    assert "race: on" in text and "<- winner" in text
    assert raced.max_epochs_ == settings["max_epochs"] == len(raced.history)


def test_the_default_race_scores_two_candidates_by_balanced_log_loss(data):
    """Check the default race: the default plan against 10x the decay at the
    full budget, scored by held-out balanced log-loss (explain() prints the
    loss itself, the race maximises minus it), the challenger winning only
    by more than the 0.01 margin."""
    as_it_comes = {
        k: v for k, v in FAST.items() if not k.startswith("router__race")
    }
    net = VitalRouteClassifier(**as_it_comes).fit(*data)
    race = net.route_.race
    assert race["scoring"] == "balanced_log_loss" and race["margin"] == 0.01
    assert [row["candidate"] for row in race["table"]] == ["default", "wd10"]
    assert all(row["score"] < 0 for row in race["table"])
    default, wd10 = (row["score"] for row in race["table"])
    expected = "wd10" if wd10 > default + 0.01 else "default"
    assert race["winner"]["candidate"] == expected
    text = net.route_.explain()
    assert "held-out bal. log-loss" in text
    assert f"{-wd10:.4f}" in text and "scored by balanced log loss" in text


def test_balanced_log_loss_weighs_every_class_the_same():
    """Check the race's log-loss against its definition: the mean over the
    classes of each class's mean -log p(true class)."""
    from skvitalroute._classifier._race import _balanced_log_loss

    y = np.array(["a", "a", "a", "b"])
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    by_class = [-np.log([0.9, 0.8, 0.6]).mean(), -np.log(0.7)]
    assert _balanced_log_loss(y, proba, np.array(["a", "b"])) == pytest.approx(
        np.mean(by_class)
    )


def test_the_race_is_reproducible(data, raced):
    """Check that the same random_state gives the same race and predictions."""
    again = clone(raced).fit(*data)
    assert again.route_.race == raced.route_.race
    np.testing.assert_array_equal(again.predict_proba(data[0]), raced.predict_proba(data[0]))


def test_a_margin_nobody_can_beat_is_the_default_plan(data):
    """Check that when the default plan wins, the refit is exactly the fit
    without a race (same route settings, same predictions)."""
    kept = VitalRouteClassifier(**{**FAST, "router__race_margin": 1.0}).fit(*data)
    plain = VitalRouteClassifier(**{**FAST, "router__race": False}).fit(*data)
    assert kept.route_.race["winner"]["candidate"] == "default"
    assert kept.route_.settings == plain.route_.settings
    assert plain.route_.race is None and plain.route_.reasons["race"].startswith("off")
    np.testing.assert_allclose(kept.predict_proba(data[0]), plain.predict_proba(data[0]))


def test_the_users_settings_drop_the_candidates_that_change_them(data):
    """Check that an explicit network shape or weight decay is never raced:
    the candidates that would change it are left out, and a race with
    fewer than two candidates left does not run."""
    shaped = VitalRouteClassifier(hidden_units=(16,), **FAST).fit(*data)
    names = {row["candidate"] for row in shaped.route_.race["table"]}
    assert names == {"default", "do3", "wd10"}
    assert shaped.route_.settings.get("hidden_units", (16,)) == (16,)
    fixed = VitalRouteClassifier(
        hidden_units=(16,), dropout=0.1, optimizer__weight_decay=0.0, **FAST
    ).fit(*data)
    assert fixed.route_.race is None
    assert "fewer than two candidates" in fixed.route_.reasons["race"]


def test_race_by_default_not_on_a_fixed_budget_or_a_warm_start(data):
    """Check that VitalRouteClassifier() races (on by default) unless
    switched off, and that a user's max_epochs or a warm-start refit runs
    no race."""
    X, y = data
    as_it_comes = {k: v for k, v in FAST.items() if k != "router__race"}
    default = VitalRouteClassifier(**as_it_comes).fit(X, y)
    assert default.route_.race is not None
    assert default.route_.reasons["race"].startswith("on:")
    off = VitalRouteClassifier(**{**FAST, "router__race": False}).fit(X, y)
    assert off.route_.race is None
    assert "router__race=False" in off.route_.reasons["race"]
    fixed = VitalRouteClassifier(
        max_epochs=3, router__race=True, random_state=0, probe_size=64
    )
    assert fixed.fit(X, y).route_.race is None
    warm = VitalRouteClassifier(warm_start=True, **FAST).fit(X, y)
    assert warm.route_.race is not None
    warm.fit(X, y)
    assert warm.route_.race is None
    assert "warm start" in warm.route_.reasons["race"]


def test_the_race_passes_sample_weights_to_its_candidates(data):
    """Check that zero weights on the minority change the race (the
    candidates train on the weighted rows) and the fit still succeeds."""
    X, y = data
    w = np.where(y == 1, 0.01, 1.0)
    weighted = VitalRouteClassifier(**FAST).fit(X, y, sample_weight=w)
    plain = VitalRouteClassifier(**FAST).fit(X, y)
    scores = [r["score"] for r in weighted.route_.race["table"]]
    assert scores != [r["score"] for r in plain.route_.race["table"]]


def test_router_settings_can_be_set_on_a_fitted_net(data):
    """Check that set_params(router__race=True, ...) on a fitted net is
    stored and used by the next fit (skorch alone raises "Something went
    wrong" for an unknown prefix on an initialised net)."""
    X, y = data
    clf = VitalRouteClassifier(**{**FAST, "router__race": False}).fit(X, y)
    assert clf.route_.race is None
    clf.set_params(router__race=True, router__race_candidates=("default", "h32"))
    assert clf.get_params()["router__race"] is True
    clf.fit(X, y)
    assert {r["candidate"] for r in clf.route_.race["table"]} == {"default", "h32"}


def test_a_ctrl_c_during_a_candidate_stops_the_fit(data, monkeypatch):
    """Check that a real SIGINT while a race candidate trains stops ``fit``
    with KeyboardInterrupt (skorch alone would end the candidate quietly
    and the race would go on), and that the SIGINT handler is restored."""
    import os
    import signal

    from skvitalroute._classifier import _race

    original = _race._HeldOutScores.on_epoch_end

    def interrupt(self, net, **kwargs):
        if len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return original(self, net, **kwargs)

    monkeypatch.setattr(_race._HeldOutScores, "on_epoch_end", interrupt)
    handler = signal.getsignal(signal.SIGINT)
    clf = VitalRouteClassifier(**FAST)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(*data)
    assert signal.getsignal(signal.SIGINT) is handler
    assert "winner" not in clf.route_.race  # the race stopped: no winner, no refit
