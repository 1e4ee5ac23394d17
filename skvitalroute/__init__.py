"""Vitality-routed neural training for imbalanced, scarce or hard data."""

from skvitalroute._classifier._estimator import VitalRouteClassifier
from skvitalroute._display import VitalityDisplay
from skvitalroute._sampler._estimator import VitalitySampler
from skvitalroute.probe._probe import VitalityProbe
from skvitalroute.routing import (
    RoutePlan,
    TaskProfile,
    default_route,
    profile_task,
    route_plan,
)

__version__ = "0.1.0"

__all__ = [
    "VitalRouteClassifier",
    "VitalitySampler",
    "VitalityProbe",
    "VitalityDisplay",
    "profile_task",
    "default_route",
    "route_plan",
    "TaskProfile",
    "RoutePlan",
    "__version__",
]
