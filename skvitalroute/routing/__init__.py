"""Routing: profile the training labels, choose tactics and settings, explain.

- :func:`profile_task` reads the shape of the labels (:class:`TaskProfile`).
- :func:`default_route` is the default router, chosen by the calibration
  benchmark; :func:`route_plan` is the seed's rule table (router
  ``"vitalroute"``). Both return a :class:`RoutePlan`.
- :func:`get_router` resolves the classifier's ``router`` parameter.

See ``docs/router.md`` for the rules and the evidence behind them.
"""

from skvitalroute.routing._default import default_route
from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._profile import TaskProfile, profile_task
from skvitalroute.routing._routers import (
    ROUTERS,
    check_router_params,
    explicit_plan,
    get_router,
    router_parameters,
)
from skvitalroute.routing._seed import route_plan

__all__ = [
    "ROUTERS",
    "RoutePlan",
    "TaskProfile",
    "check_router_params",
    "default_route",
    "explicit_plan",
    "get_router",
    "profile_task",
    "route_plan",
    "router_parameters",
]
