"""Tests of profile_task and route_plan (docs/router.md, "The seed's rule table")."""

import numpy as np
import pytest
from _shared import SEED_RULE_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from skvitalroute import RoutePlan, TaskProfile, profile_task, route_plan


def _labels(counts):
    return np.repeat(np.arange(len(counts)), counts)


@pytest.mark.parametrize("counts, pool, label", SEED_RULE_EXAMPLES)
def test_spec_examples(counts, pool, label):
    """Check that every example of docs/router.md, "The seed's rule table",
    gets its documented label."""
    plan = route_plan(profile_task(_labels(counts)), parent_pool_available=pool)
    assert isinstance(plan, RoutePlan)
    assert plan.label == label
    assert plan.use_monitor


def test_profile_any_label_type():
    """Check that string labels are profiled with sorted classes and counts."""
    profile = profile_task(["cat", "dog", "dog", "ant", "dog"])
    assert isinstance(profile, TaskProfile)
    assert list(profile.classes) == ["ant", "cat", "dog"]
    assert list(profile.class_counts) == [1, 1, 3]
    assert (profile.n_samples, profile.n_classes) == (5, 3)
    assert (profile.min_count, profile.max_count) == (1, 3)
    assert profile.ratio == pytest.approx(1 / 3)


def test_profile_rejects_empty_and_2d():
    """Check that empty or 2-D label arrays raise a ValueError."""
    with pytest.raises(ValueError, match="empty"):
        profile_task([])
    with pytest.raises(ValueError):
        profile_task(np.zeros((4, 2)))


def test_thresholds_are_parameters():
    """Check that each threshold changes the decision it names."""
    profile = profile_task(_labels([100, 30]))  # ratio 0.3
    assert not route_plan(profile).use_class_sampler
    assert route_plan(profile, imbalance_threshold=0.35).use_class_sampler
    assert not route_plan(
        profile, imbalance_threshold=0.35, min_class_for_sampler=31
    ).use_class_sampler
    assert not route_plan(profile, min_samples_for_lr_scale=131).use_lr_scale
    assert not route_plan(profile, min_samples_for_hard_sampler=131).use_hard_sampler
    assert route_plan(profile, True, max_samples_for_transfer=130).use_transfer
    assert not route_plan(
        profile, True, max_samples_for_transfer=129, max_min_class_for_transfer=29
    ).use_transfer


def test_transfer_switches_off_class_sampler_on_mild_imbalance():
    """Check that transfer on a small task with ratio >= 0.5 turns the class
    sampler off (reachable with a raised imbalance threshold)."""
    profile = profile_task(_labels([40, 24]))  # ratio 0.6, n = 64
    assert route_plan(profile, imbalance_threshold=0.7).use_class_sampler
    plan = route_plan(profile, True, imbalance_threshold=0.7)
    assert plan.use_transfer and not plan.use_class_sampler
    assert "transfer" in plan.reasons["class"]


def test_explain_names_every_tactic():
    """Check that the readable explanation states each tactic and its reason."""
    text = route_plan(profile_task(_labels([3000, 400]))).explain()
    assert text.splitlines()[0] == "route: imbalance"
    assert "- class: on (ratio 0.133 < 0.25" in text
    assert "- hard: off" in text
    assert "- monitor: on (always on)" in text


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(1, 400), min_size=1, max_size=12),
    pool=st.booleans(),
)
def test_router_invariants(counts, pool):
    """Check the router's invariants on arbitrary label shapes."""
    profile = profile_task(_labels(counts))
    plan = route_plan(profile, parent_pool_available=pool)
    n, k = sum(counts), len(counts)
    # the seed's monitor always resets dead units
    assert plan.use_reset and plan.tactics[-1] == "reset"
    # the class sampler excludes the hard sampler and lr scaling
    assert not (plan.use_class_sampler and (plan.use_hard_sampler or plan.use_lr_scale))
    # a single class never gets a label-driven tactic
    if k == 1:
        assert plan.tactics in (("reset",), ("transfer", "reset"))
    if not pool:
        assert not plan.use_transfer
    if plan.use_class_sampler:
        assert min(counts) / max(counts) < 0.25 and min(counts) >= 15
    if plan.use_hard_sampler:
        assert n >= 40
    if plan.use_lr_scale:
        assert n >= 80 and plan.use_hard_sampler
    # the label lists exactly the active tactics, in the documented order
    expected = [t for t in ("transfer",) if plan.use_transfer]
    expected += ["imbalance"] if plan.use_class_sampler else []
    expected += ["hard"] if plan.use_hard_sampler else []
    expected += ["lr_scale"] if plan.use_lr_scale else []
    assert plan.label == ("+".join(expected) or "monitor")
