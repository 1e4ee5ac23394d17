"""What a route means for one estimator: its parameters in, its plan out.

The classifier asks its router for a plan (:func:`estimator_route`), drops
the routed settings its user set explicitly, and resolves each parameter
left to the router (:func:`resolved`) or to the route's weight decay
(:func:`routed_optimizer`). The rules are those of ``docs/classifier.md``
("What ``fit`` does" and "The router"): every setting the user passes wins
over the plan's.
"""

from dataclasses import replace

import torch

from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._routers import explicit_plan, get_router, router_parameters

# Epochs of a fit whose max_epochs is None and whose route sets no budget.
DEFAULT_EPOCHS = 30
_FALLBACKS = {"loss": "cross_entropy", "max_epochs": DEFAULT_EPOCHS}


def estimator_route(est, profile):
    """The plan of ``est`` on ``profile``, with the user's settings winning.

    Under ``tactics="auto"`` the router's plan; its budget counts steps of
    the estimator's batches, its decay follows ``lr``, and a fixed
    ``max_epochs`` is passed as the router's ``epochs``. Otherwise the
    explicit plan of ``tactics``.

    Parameters
    ----------
    est : VitalRouteClassifier
        Holds ``tactics``, ``router``, ``router__*``, ``batch_size``,
        ``lr``, ``max_epochs``, ``parent_pool`` and the rebalancing and
        optimizer settings.
    profile : TaskProfile
        The training labels' profile.

    Returns
    -------
    plan : RoutePlan
        Without the settings the user fixed; their reasons say so.

    Raises
    ------
    TypeError
        When a callable ``router`` returns something else than a
        ``RoutePlan``.
    """
    if est.tactics != "auto":
        return explicit_plan(est.tactics)
    params = est.get_params_for("router")
    takes = router_parameters(est.router)
    if "batch_size" in takes and "batch_size" not in params:
        size = est.batch_size
        params["batch_size"] = profile.n_samples if size == -1 else size
    if "lr" in takes and "lr" not in params:
        params["lr"] = est.lr
    # a fixed budget is the user's: the router fits its choices to it
    if "epochs" in takes and "epochs" not in params and est.max_epochs:
        params["epochs"] = est.max_epochs
    plan = get_router(est.router)(
        profile, parent_pool_available=bool(est.parent_pool), **params
    )
    if not isinstance(plan, RoutePlan):
        name = getattr(est.router, "__qualname__", repr(est.router))
        raise TypeError(
            f"router={name} must return a RoutePlan (see "
            f"skvitalroute.RoutePlan); it returned {type(plan).__name__} "
            f"({plan!r:.60})."
        )
    return _user_wins(est, plan)


def _user_optimizer(est):
    """What of the user's optimizer settings rules out a routed decay."""
    if est.optimizer is not torch.optim.Adam:
        return f"optimizer={getattr(est.optimizer, '__name__', est.optimizer)}"
    if "optimizer__weight_decay" in est.__dict__:
        return "optimizer__weight_decay"
    return False


def _user_wins(est, plan):
    """Drop the routed settings the user set explicitly, saying so."""
    rebalancing = (
        (est.loss != "auto" and f"loss={est.loss!r}")
        or (est.criterion is not None and "criterion")
        or (est.class_weight is not None and "class_weight")
    )
    given = {
        "loss": rebalancing,
        "class_weight": rebalancing,
        "max_epochs": est.max_epochs is not None and f"max_epochs={est.max_epochs!r}",
        "weight_decay": _user_optimizer(est),
    }
    dropped = {k: v for k, v in given.items() if v and k in plan.settings}
    if not dropped:
        return plan
    settings = {k: v for k, v in plan.settings.items() if k not in dropped}
    reasons = dict(plan.reasons)
    for key, by in dropped.items():
        reasons[key] = f"not routed: the user's {by} wins"
    return replace(plan, settings=settings, reasons=reasons)


def resolved(est, name):
    """The value of parameter ``name`` (``"loss"`` or ``"max_epochs"``) a fit uses.

    A parameter left to the router (``loss="auto"``, ``max_epochs=None``)
    takes the route's setting, else its fallback (cross-entropy,
    :data:`DEFAULT_EPOCHS` epochs); an explicit value always wins.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator, with its ``route_`` once it has one.
    name : {"loss", "max_epochs"}
        The parameter.

    Returns
    -------
    value : str or int
    """
    value = getattr(est, name)
    if value not in (None, "auto"):
        return value
    plan = getattr(est, "route_", None)
    settings = {} if plan is None else plan.settings
    return settings.get(name, _FALLBACKS[name])


def routed_optimizer(est, kwargs):
    """The optimizer class and arguments, with the route's weight decay.

    A routed ``weight_decay`` is decoupled (AdamW) and applies only to the
    default optimizer (Adam) when the user set no
    ``optimizer__weight_decay``: the user's optimizer settings win.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator, with its ``optimizer`` and ``route_``.
    kwargs : dict
        The optimizer's keyword arguments from skorch.

    Returns
    -------
    optimizer : type
        ``est.optimizer``, or ``torch.optim.AdamW`` for a routed decay.
    kwargs : dict
        ``kwargs``, with the routed ``weight_decay`` if one applies.
    """
    plan = getattr(est, "route_", None)
    decay = None if plan is None else plan.settings.get("weight_decay")
    if decay is None or est.optimizer is not torch.optim.Adam:
        return est.optimizer, kwargs
    if "weight_decay" in kwargs:
        return est.optimizer, kwargs
    return torch.optim.AdamW, {**kwargs, "weight_decay": decay}
