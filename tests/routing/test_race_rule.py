"""The race's rule and candidates (skvitalroute/routing/_race.py) and when the
default router asks for a race (docs/router.md, "The race")."""

import numpy as np
import pytest

from skvitalroute import default_route, profile_task
from skvitalroute.routing._race import (
    CANDIDATES,
    candidate_settings,
    checkpoint_epochs,
    pick_winner,
    race_rows,
)


def _labels(counts):
    return np.repeat(np.arange(len(counts)), counts)


def test_the_default_keeps_the_title_unless_beaten_by_more_than_the_margin():
    """Check that the default plan's full budget wins ties and near-ties
    within the margin, and that a challenger beyond it wins, at its epoch."""
    scores = {"default": {10: 0.80, 20: 0.81}, "h32": {10: 0.815, 20: 0.79}}
    assert pick_winner(scores, margin=0.0) == ("h32", 10)
    assert pick_winner(scores, margin=0.01) == ("default", 20)
    tie = {"default": {20: 0.8}, "do3": {20: 0.8}}
    assert pick_winner(tie, margin=0.0) == ("default", 20)
    # the default's own shorter budget is a challenger too
    early = {"default": {10: 0.9, 20: 0.8}}
    assert pick_winner(early, margin=0.05) == ("default", 10)
    assert pick_winner(early, margin=0.2) == ("default", 20)


def test_candidates_change_only_their_settings():
    """Check that each candidate sets its own settings and scales the routed
    weight decay, leaving the other settings as routed."""
    base = {"max_epochs": 100, "loss": "logit_adjusted", "weight_decay": 0.5}
    assert candidate_settings(base, "default") == base
    assert candidate_settings(base, "h32") == {**base, "hidden_units": (32,)}
    assert candidate_settings(base, "do3") == {**base, "dropout": 0.3}
    assert candidate_settings(base, "wd10")["weight_decay"] == pytest.approx(5.0)
    assert base["weight_decay"] == 0.5  # not mutated
    assert CANDIDATES["wd10"].needs() == {"weight_decay"}
    assert CANDIDATES["h32do3"].needs() == {"hidden_units", "dropout"}


@pytest.mark.parametrize(
    "epochs, fractions, expected",
    [(100, (0.25, 0.5, 1.0), [25, 50, 100]), (3, (0.1, 1.0), [1, 3]), (1, (0.5,), [1])],
)
def test_checkpoints_end_at_the_budget(epochs, fractions, expected):
    """Check the checkpoint epochs: distinct, at least 1, the budget last."""
    assert checkpoint_epochs(epochs, fractions) == expected


def test_the_router_races_small_routed_tasks_only():
    """Check the default router's race spec: opted in, on for a small task
    with the routed budget; off (with the reason) by default, for a fixed
    budget, a parent pool, more rows than race_max_rows, one class, and a
    class too small to split."""
    small = profile_task(_labels([300, 40]))
    plan = default_route(small)  # on by default
    assert plan.race["candidates"] == ("default", "wd10")
    assert plan.race["scoring"] == "balanced_log_loss"
    assert plan.race["checkpoints"] == (1.0,)
    assert plan.reasons["race"].startswith("on:")
    off = {
        "fixed": default_route(small, epochs=20, race=True),
        "pool": default_route(small, parent_pool_available=True, race=True),
        "large": default_route(small, race_max_rows=339, race=True),
        "switched off": default_route(small, race=False),
        "one class": default_route(profile_task(_labels([50])), race=True),
        "tiny class": default_route(profile_task(_labels([50, 1])), race=True),
    }
    for case, p in off.items():
        assert p.race is None, case
        assert p.reasons["race"].startswith("off:"), case
    assert "max_epochs" in off["fixed"].reasons["race"]
    assert "race_max_rows=339" in off["large"].reasons["race"]
    assert "router__race=False" in off["switched off"].reasons["race"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"race_candidates": ("default", "wide")}, "race_candidates"),
        ({"race_checkpoints": (0.0, 1.0)}, "race_checkpoints"),
        ({"race_checkpoints": ()}, "race_checkpoints"),
        ({"race_holdout": 1.0}, "race_holdout"),
        ({"race_scoring": "accuracy"}, "race_scoring"),
    ],
)
def test_bad_race_settings_are_refused_by_name(kwargs, match):
    """Check that bad race settings raise a ValueError naming them."""
    with pytest.raises(ValueError, match=match):
        default_route(profile_task(_labels([30, 10])), race=True, **kwargs)


def test_race_rows_needs_every_class_on_both_sides():
    """Check the split feasibility rule."""
    assert race_rows(100, 0.25, [90, 10])
    assert not race_rows(100, 0.25, [99, 1])
    assert not race_rows(6, 0.25, [2, 2, 2])


def test_a_refit_keeps_the_winners_optimizer_steps():
    """Check the refit's epochs: the full budget for a winner read at its
    budget, else the same optimizer steps on all rows, within bounds."""
    from skvitalroute.routing._race import refit_epochs, steps_per_epoch

    assert steps_per_epoch(100, 64) == 2 and steps_per_epoch(100, -1) == 1
    assert steps_per_epoch(0, 64) == 1
    assert refit_epochs(40, 40, 30, 6, 8) == 30  # the winner's full budget
    assert refit_epochs(20, 40, 30, 6, 8) == 15  # 120 steps on 8 an epoch
    assert refit_epochs(1, 40, 30, 1, 8) == 1
    assert refit_epochs(39, 40, 30, 8, 6) == 30  # never above the budget
