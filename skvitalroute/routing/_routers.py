"""Router lookup: the ``router`` parameter, explicit tactics, router__* names."""

import inspect

from sklearn.utils._param_validation import validate_parameter_constraints

from skvitalroute._utils._validation import did_you_mean
from skvitalroute.callbacks._registry import TACTICS, check_tactic_names
from skvitalroute.routing._default import default_route
from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._seed import route_plan

#: The routers known by name.
ROUTERS = {"default": default_route, "vitalroute": route_plan}


def get_router(router):
    """Return the routing function named (or given) by ``router``.

    Parameters
    ----------
    router : {"default", "vitalroute"} or callable
        A name from :data:`ROUTERS`, or a function
        ``router(profile, parent_pool_available=False, **params) -> RoutePlan``.

    Returns
    -------
    router : callable
    """
    if callable(router):
        return router
    if isinstance(router, str) and router in ROUTERS:
        return ROUTERS[router]
    raise ValueError(
        f"router must be one of {list(ROUTERS)} or a callable returning a "
        f"RoutePlan; got {router!r}." + did_you_mean(router, ROUTERS)
    )


def router_parameters(router):
    """The keyword parameters (thresholds) of a router and their defaults.

    Parameters
    ----------
    router : str or callable
        As for :func:`get_router`.

    Returns
    -------
    params : dict of str to object
        Every keyword-only parameter of the routing function with its
        default: what ``router__<name>`` may set.
    """
    signature = inspect.signature(get_router(router))
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }


def check_router_params(router, params):
    """Check the ``router__<name>`` parameters before any training.

    Unknown names raise a ValueError with the closest known one; values
    are checked against the router's scikit-learn parameter constraints
    (``_skl_parameter_constraints``, set by ``validate_params``) when it
    declares them.

    Parameters
    ----------
    router : str or callable
        The router.
    params : dict
        ``{name: value}`` given as ``router__<name>``.
    """
    known = router_parameters(router)
    accepts_any = any(
        p.kind is p.VAR_KEYWORD
        for p in inspect.signature(get_router(router)).parameters.values()
    )
    for name in params:
        if name not in known and not accepts_any:
            raise ValueError(
                f"router__{name} is not a parameter of router {router!r}; it takes "
                f"{sorted(known)}." + did_you_mean(name, known)
            )
    constraints = getattr(get_router(router), "_skl_parameter_constraints", {})
    shown = router if isinstance(router, str) else getattr(router, "__name__", router)
    validate_parameter_constraints(
        {k: v for k, v in constraints.items() if k in params},
        params,
        caller_name=f"router {shown!r} (given as router__<name>)",
    )


def explicit_plan(tactics):
    """The plan of ``tactics="none"`` or an explicit tuple of tactics.

    Parameters
    ----------
    tactics : "none" or sequence of str
        ``"none"`` switches every tactic off (a plain network; the monitor
        still records); a sequence switches exactly those on.

    Returns
    -------
    plan : RoutePlan
        No routed settings: the estimator's own parameters apply.
    """
    chosen = () if tactics == "none" else tuple(tactics)
    check_tactic_names(chosen)
    why = f"set by tactics={tactics!r}"
    reasons = dict.fromkeys(TACTICS, why)
    reasons["monitor"] = "always on (records only)"
    return RoutePlan(tactics=chosen, reasons=reasons, router="explicit")
