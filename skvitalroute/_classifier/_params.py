"""Validation of :class:`~skvitalroute.VitalRouteClassifier`'s own arguments.

skorch replaces scikit-learn's ``_validate_params`` and ignores
``_parameter_constraints``, so the classifier checks its new arguments here,
at ``initialize``/``fit`` time (scikit-learn's convention: nothing is
validated in ``__init__`` or ``set_params``).
"""

import difflib
import inspect
import math
from numbers import Integral, Real

import numpy as np
import torch

from skvitalroute._utils._validation import (
    HIDDEN_UNITS,
    RANDOM_STATE,
    check_params,
    did_you_mean,
)
from skvitalroute.callbacks._registry import TACTICS, check_tactic_names
from skvitalroute.nn._losses import LOSSES
from skvitalroute.routing import ROUTERS, check_router_params, router_parameters

# Largest scale of the loss and the optimizer step. They multiply float32
# arithmetic: past it training overflows (Adam's step is lr / (1 - beta1**t),
# ``tau * log(prior)`` is added to the logits, the focal exponent scales its
# gradient) or rounds the network's outputs away, and then stops as
# "diverged" although the parameter, not the data, is at fault
# (docs/reliability.md, "Parameters").
_SCALE_MAX = 1e6
# Largest class weight: the loss sums weight * row loss in float32 (3.4e38).
_CLASS_WEIGHT_MAX = 1e30

# name -> (kind, low, high, low_closed, high_closed); None means unbounded
# (a real number must still be finite).
_NUMBERS = {
    "dropout": (Real, 0.0, 1.0, True, False),
    "focal_gamma": (Real, 0.0, _SCALE_MAX, True, True),
    "logit_adjust_tau": (Real, -_SCALE_MAX, _SCALE_MAX, True, True),
    "sampler_strength": (Real, 0.0, 1.0, True, True),
    "sampler_beta": (Real, 0.0, None, True, True),
    "sampler_refresh": (Integral, 1, None, True, True),
    "hard_strength": (Real, 0.0, 1.0, True, True),
    "hard_beta": (Real, 0.0, None, True, True),
    "hard_refresh": (Integral, 1, None, True, True),
    "lr_scale_alpha": (Real, 0.0, None, True, True),
    "reset_threshold": (Real, 0.0, 1.0, True, True),
    "tilt_strength": (Real, 0.0, 10.0, True, True),
    "tilt_refresh": (Integral, 1, None, True, True),
    "probe_size": (Integral, 1, None, True, True),
    "lr": (Real, 0.0, _SCALE_MAX, False, True),
}


def _check_option(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}."
            + did_you_mean(value, options)
        )


def _check_number(name, value, kind, low, high, low_closed, high_closed):
    if not isinstance(value, kind) or isinstance(value, bool):
        noun = "an int" if kind is Integral else "a real number"
        raise TypeError(f"{name} must be {noun}; got {value!r}.")
    too_low = low is not None and (value < low or (value == low and not low_closed))
    too_high = high is not None and (
        value > high or (value == high and not high_closed)
    )
    finite = isinstance(value, Integral) or math.isfinite(value)  # no NaN or inf
    if too_low or too_high or not finite:
        left = "(-inf" if low is None else ("[" if low_closed else "(") + f"{low}"
        right = "inf)" if high is None else f"{high}" + ("]" if high_closed else ")")
        raise ValueError(f"{name} must be in {left}, {right}; got {value!r}.")


def _check_tactics(tactics):
    known = list(TACTICS)
    if isinstance(tactics, str):
        if tactics not in ("auto", "none"):
            close = difflib.get_close_matches(tactics, ("auto", "none", *known), n=1)
            hint = ""
            if close:  # a single tactic is a one-element tuple
                wanted = (close[0],) if close[0] in TACTICS else close[0]
                hint = f" Did you mean {wanted!r}?"
            raise ValueError(
                "tactics must be 'auto', 'none' or a tuple of "
                f"{known}; got {tactics!r}." + hint
            )
        return
    if not isinstance(tactics, tuple | list):
        raise TypeError(
            f"tactics must be 'auto', 'none' or a tuple of {known}; got {tactics!r}."
        )
    check_tactic_names(tactics)


def _check_router(est):
    router = est.router
    if not callable(router) and router not in ROUTERS:
        raise ValueError(
            f"router must be one of {list(ROUTERS)} or a callable returning a "
            f"RoutePlan; got {router!r}." + did_you_mean(router, ROUTERS)
        )
    check_router_params(router, est.get_params_for("router"))


def _check_class_weight(class_weight):
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        _check_option("class_weight", class_weight, ("balanced",))
        return
    for label, weight in class_weight.items():
        ok = isinstance(weight, Real) and not isinstance(weight, bool | np.bool_)
        if not ok or not 0 <= weight <= _CLASS_WEIGHT_MAX:  # also refuses NaN
            raise ValueError(
                "class_weight must map labels to finite weights in [0, "
                f"{_CLASS_WEIGHT_MAX:g}]; got {weight!r} for label {label!r}."
            )


def check_class_weight_vector(class_weight, weights, classes):
    """Refuse class weights that give every class a zero weight.

    The built-in losses divide by the sum of the rows' weights: with every
    weight zero it is 0 / 0 and the first batch's loss is NaN.

    Parameters
    ----------
    class_weight : None, "balanced" or dict
        The parameter, for the message.
    weights : ndarray of shape (n_classes,) or None
        The weight of each class, computed from ``class_weight``.
    classes : ndarray of shape (n_classes,)
        The classes, in the order of ``weights``.

    Raises
    ------
    ValueError
        When every class of the training labels weighs 0.
    """
    if weights is not None and not np.any(weights > 0):
        labels = np.asarray(classes).tolist()
        raise ValueError(
            f"class_weight gives every class of y ({labels}) a zero weight, so "
            f"the loss is 0 / 0; got {class_weight!r}. Give at least one class "
            "a positive weight."
        )


def _component_hint(name, value):
    """ " Did you mean torch.optim.Adam?" for optimizer="adam" and the like."""
    if not isinstance(value, str):
        return ""
    module = torch.optim if name == "optimizer" else torch.nn
    base = torch.optim.Optimizer if name == "optimizer" else torch.nn.Module
    names = {
        key.lower(): key
        for key, obj in vars(module).items()
        if isinstance(obj, type)
        and issubclass(obj, base)
        and (name != "criterion" or key.endswith("Loss"))
    }
    close = difflib.get_close_matches(value.lower(), list(names), n=1)
    return f" Did you mean {module.__name__}.{names[close[0]]}?" if close else ""


def _check_component(name, value):
    """``module``, ``criterion`` and ``optimizer`` are classes (or callables
    building one) as in skorch; a module or criterion may be an instance."""
    if callable(value) or (value is None and name != "optimizer"):
        return
    kind = {
        "module": "None, a torch.nn.Module class or instance",
        "criterion": "None, a loss class or instance",
        "optimizer": "a torch optimizer class",
    }[name]
    if isinstance(value, torch.optim.Optimizer):
        cls = type(value).__name__
        received = (
            f"an {cls} instance; pass the class (torch.optim.{cls}) and its "
            "arguments as optimizer__*"
        )
    else:
        received = repr(value)
    raise TypeError(
        f"{name} must be {kind} (or a callable building one), as in skorch; "
        f"got {received}." + _component_hint(name, value)
    )


def _check_callbacks(callbacks):
    """skorch's forms: None, "disable", or a list of callbacks (instances or
    classes) and (name, callback) pairs."""
    if callbacks is None or (isinstance(callbacks, str) and callbacks == "disable"):
        return
    expected = (
        "callbacks must be None, 'disable' or a list of skorch callbacks "
        "(instances or classes) or (name, callback) pairs"
    )
    if not isinstance(callbacks, list | tuple):
        raise TypeError(f"{expected}; got {callbacks!r}.")
    for item in callbacks:
        pair = isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
        callback = item[1] if pair else item
        if not hasattr(callback, "initialize"):  # what skorch calls first
            raise TypeError(f"{expected}; got the entry {item!r}.")


def _check_transfer(est):
    pool = est.parent_pool
    if pool is not None and (not isinstance(pool, list | tuple) or len(pool) == 0):
        raise ValueError(
            "parent_pool must be None or a non-empty list of (name, module) pairs "
            f"or fitted nets; got {pool!r}."
        )
    if isinstance(est.tactics, tuple | list) and "transfer" in est.tactics and not pool:
        raise ValueError(
            f"tactics={est.tactics!r} asks for transfer but parent_pool is empty; "
            "pass parent_pool=[(name, module), ...]."
        )


def _check_criterion_args(est):
    if est.criterion is None:
        return
    if est.loss not in ("auto", "cross_entropy") or est.class_weight is not None:
        raise ValueError(
            "loss and class_weight configure the built-in criterion; they cannot "
            f"be combined with criterion={est.criterion!r}. Leave criterion=None "
            "or keep loss='auto' and class_weight=None."
        )


def _check_train_split(split):
    if split is None or callable(split):
        return
    if isinstance(split, bool) or not isinstance(split, Real):
        raise TypeError(
            "train_split must be None, a callable, a float in (0, 1) or an int "
            f">= 2; got {split!r}."
        )
    if isinstance(split, Integral):
        _check_number("train_split", split, Integral, 2, None, True, True)
    else:
        _check_number("train_split", split, Real, 0.0, 1.0, False, False)


def _check_monitor_refresh(value):
    if isinstance(value, str):
        _check_option("monitor_refresh", value, ("auto",))
        return
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise TypeError(
            f"monitor_refresh must be 'auto' or an int >= 1; got {value!r}."
        )
    _check_number("monitor_refresh", value, Integral, 1, None, True, True)


def _check_n_jobs(n_jobs):
    if n_jobs is None:
        return
    if not isinstance(n_jobs, Integral) or isinstance(n_jobs, bool):
        raise TypeError(f"n_jobs must be None or a non-zero int; got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError(
            "n_jobs must be None, a positive int (threads) or a negative int "
            "(-1: every core); got 0."
        )


def check_vitality_params(est):
    """Validate the classifier's own constructor arguments.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator whose parameters are checked.

    Raises
    ------
    ValueError or TypeError
        Naming the parameter, what is allowed and what was received.
    """
    _check_tactics(est.tactics)
    _check_router(est)
    _check_option("loss", est.loss, ("auto", *LOSSES))
    _check_class_weight(est.class_weight)
    shared = {"hidden_units": [HIDDEN_UNITS], "random_state": RANDOM_STATE}
    check_params(shared, est.get_params(deep=False), type(est).__name__)
    for name, spec in _NUMBERS.items():
        _check_number(name, getattr(est, name), *spec)
    for name in ("module", "criterion", "optimizer"):
        _check_component(name, getattr(est, name))
    _check_callbacks(est.callbacks)
    if est.max_epochs is not None:
        _check_number("max_epochs", est.max_epochs, Integral, 0, None, True, True)
    batch = est.batch_size
    if batch != -1:
        _check_number("batch_size", batch, Integral, 1, None, True, True)
    if not isinstance(est.freeze_transfer, bool):
        raise TypeError(f"freeze_transfer must be a bool; got {est.freeze_transfer!r}.")
    _check_transfer(est)
    _check_criterion_args(est)
    _check_train_split(est.train_split)
    _check_monitor_refresh(est.monitor_refresh)
    _check_n_jobs(est.n_jobs)


def check_unknown_kwargs(est):
    """Suggest the right name for a misspelled constructor argument.

    skorch collects unknown keyword arguments and rejects them at
    ``initialize``; this check runs first and adds a "did you mean"
    suggestion among the estimator's parameters. Prefixed names
    (``module__...``, ``iterator_train...``) are left to skorch.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator.

    Raises
    ------
    ValueError
        For an argument that is neither a parameter nor a skorch prefix.
    """
    known = {
        name
        for cls in type(est).__mro__
        if "__init__" in vars(cls)
        for name, p in inspect.signature(vars(cls)["__init__"]).parameters.items()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name != "self"
    }
    prefixes = tuple(est.prefixes_) + ("module", "criterion", "optimizer")
    for key in sorted(getattr(est, "_params_to_validate", ())):
        if key in known or "__" in key or key.endswith("_") or key.startswith(prefixes):
            continue
        takers = [r for r in ROUTERS if key in router_parameters(r)]
        if takers:
            hint = (
                f" Router thresholds are set as router__{key} (a parameter of "
                f"router={takers[0]!r})."
            )
        else:
            hint = did_you_mean(key, sorted(known))
        raise ValueError(
            f"{type(est).__name__} got an unexpected argument {key!r}." + hint
        )
