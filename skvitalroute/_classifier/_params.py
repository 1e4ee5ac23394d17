"""Validation of :class:`~skvitalroute.VitalRouteClassifier`'s own arguments.

skorch replaces scikit-learn's ``_validate_params`` and ignores
``_parameter_constraints``, so the classifier checks its constraints
(:data:`PARAMETER_CONSTRAINTS`, its ``_parameter_constraints``) with
:func:`~skvitalroute._utils._validation.check_params` once per
``fit``/``partial_fit``/``initialize`` (scikit-learn's convention: nothing
is validated in ``__init__`` or ``set_params``), then the rules that join
two parameters or look inside one.
"""

import difflib
import inspect
from numbers import Integral, Real

import numpy as np
import torch
from joblib import cpu_count
from sklearn.utils._param_validation import RealNotInt

from skvitalroute._classifier._tactic_params import check_tactic_params, setting_hint
from skvitalroute._utils._validation import (
    HIDDEN_UNITS,
    POSITIVE_INT,
    RANDOM_STATE,
    Choices,
    Rule,
    StrictInterval,
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
# (docs/reliability.md, "Constructor arguments").
_SCALE_MAX = 1e6
# Largest class weight: the loss sums weight * row loss in float32 (3.4e38).
_CLASS_WEIGHT_MAX = 1e30


def _weight(value):
    ok = isinstance(value, Real) and not isinstance(value, bool | np.bool_)
    return ok and 0 <= value <= _CLASS_WEIGHT_MAX  # also refuses NaN


def _is_callback_list(callbacks):
    """skorch's list form: callbacks (instances or classes) and (name,
    callback) pairs; each has the ``initialize`` skorch calls first."""
    if not isinstance(callbacks, list | tuple):
        return False
    for item in callbacks:
        pair = isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
        if not hasattr(item[1] if pair else item, "initialize"):
            return False
    return True


def _real(low, high, closed="both"):
    return [StrictInterval(Real, low, high, closed=closed)]


#: The classifier's ``_parameter_constraints``: its own parameters and the
#: skorch ones it checks, in the order they are checked.
PARAMETER_CONSTRAINTS = {
    "tactics": [
        Choices(["auto", "none"]),
        Rule(
            lambda v: isinstance(v, tuple | list),
            f"a tuple of tactics among {{{', '.join(map(repr, TACTICS))}}}",
        ),
    ],
    "router": [
        Choices(ROUTERS),
        Rule(callable, "a callable returning a RoutePlan"),
    ],
    "loss": [Choices(["auto", *LOSSES])],
    "class_weight": [
        None,
        Choices(["balanced"]),
        Rule(
            lambda v: isinstance(v, dict) and all(map(_weight, v.values())),
            f"a dict mapping labels to weights in [0, {_CLASS_WEIGHT_MAX:g}]",
        ),
    ],
    "hidden_units": [HIDDEN_UNITS],
    "dropout": _real(0, 1, "left"),
    "logit_adjust_tau": _real(-_SCALE_MAX, _SCALE_MAX),
    "probe_size": [POSITIVE_INT],
    "lr": _real(0, _SCALE_MAX, "right"),
    "random_state": RANDOM_STATE,
    "module": [
        None,
        Rule(
            callable, "a torch.nn.Module class or instance (or a callable building one)"
        ),
    ],
    "criterion": [
        None,
        Rule(callable, "a loss class or instance (or a callable building one)"),
    ],
    "optimizer": [
        Rule(callable, "a torch optimizer class (or a callable building one)")
    ],
    "callbacks": [
        None,
        Choices(["disable"]),
        Rule(
            _is_callback_list,
            "a list of skorch callbacks (instances or classes) or (name, "
            "callback) pairs",
        ),
    ],
    "max_epochs": [None, StrictInterval(Integral, 0, None, closed="left")],
    "batch_size": [
        Rule(lambda v: isinstance(v, Integral) and v == -1, "-1 (every row)"),
        POSITIVE_INT,
    ],
    "freeze_transfer": [bool],
    "parent_pool": [
        None,
        Rule(
            lambda v: isinstance(v, list | tuple) and len(v) > 0,
            "a non-empty list of (name, module) pairs or fitted nets",
        ),
    ],
    "train_split": [
        None,
        callable,
        StrictInterval(RealNotInt, 0, 1, closed="neither"),
        StrictInterval(Integral, 2, None, closed="left"),
    ],
    "monitor_refresh": [Choices(["auto"]), POSITIVE_INT],
    "proba_prior": [Choices(["auto", "balanced", "train"])],
    "predict_nonlinearity": [
        Choices(["auto"]),
        Rule(callable, "a callable returning probabilities"),
    ],
    "n_jobs": [
        None,
        StrictInterval(Integral, None, -1, closed="right"),
        POSITIVE_INT,
    ],
}


def _tactics_hint(value):
    """ " Did you mean ('class',)?" for tactics="class": one tactic is a tuple."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, ("auto", "none", *TACTICS), n=1)
    if not close:
        return ""
    wanted = (close[0],) if close[0] in TACTICS else close[0]
    return f" Did you mean {wanted!r}?"


def _check_weight_product(weights, sample_weight, y_enc):
    """Each bound holds alone; the loss multiplies the two weights of a row."""
    if weights is None or sample_weight is None or y_enc is None:
        return
    largest = float(np.max(weights[y_enc] * sample_weight))
    if largest > _CLASS_WEIGHT_MAX:
        raise ValueError(
            f"class_weight x sample_weight reaches {largest:.3g} for some row; the "
            f"loss multiplies them in float32, so their product must stay at "
            f"most {_CLASS_WEIGHT_MAX:g}. Scale one of them down."
        )


def check_class_weight_vector(
    class_weight, weights, classes, sample_weight=None, y_enc=None
):
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
    sample_weight : ndarray of shape (n_samples,), default=None
        The row weights: a row's class weight times its weight must stay
        within float32's sums.
    y_enc : ndarray of shape (n_samples,), default=None
        The rows' encoded labels, to pair each row with its class weight.

    Raises
    ------
    ValueError
        When every class of the training labels weighs 0, or a row's class
        weight times its sample weight exceeds 1e30.
    """
    _check_weight_product(weights, sample_weight, y_enc)
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


def _optimizer_hint(value):
    if isinstance(value, torch.optim.Optimizer):
        cls = type(value).__name__
        return (
            f" Pass the class (torch.optim.{cls}) and its arguments as "
            "optimizer__*, as in skorch."
        )
    return _component_hint("optimizer", value)


_HINTS = {
    "tactics": _tactics_hint,
    "module": lambda value: _component_hint("module", value),
    "criterion": lambda value: _component_hint("criterion", value),
    "optimizer": _optimizer_hint,
    "predict_nonlinearity": lambda value: (
        " None returns the network's logits, not probabilities; leave 'auto' "
        "(the softmax) and call net.forward(X) for the logits."
        if value is None
        else ""
    ),
}


def _check_transfer(est):
    if isinstance(est.tactics, tuple | list) and "transfer" in est.tactics:
        if not est.parent_pool:
            raise ValueError(
                f"tactics={est.tactics!r} asks for transfer but parent_pool is "
                "empty; pass parent_pool=[(name, module), ...]."
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


def check_n_jobs(est):
    """Refuse more torch threads than the machine runs.

    torch starts every thread it is asked for (``n_jobs=10**6`` ends the
    process) and threads beyond the CPUs only wait for each other.

    Parameters
    ----------
    est : VitalRouteClassifier
        Holds ``n_jobs``.

    Raises
    ------
    ValueError
        When ``n_jobs`` exceeds ``joblib.cpu_count()``.
    """
    n_jobs, cpus = est.n_jobs, cpu_count()
    if n_jobs is not None and n_jobs > cpus:
        raise ValueError(
            f"n_jobs={n_jobs} asks for more torch threads than this machine "
            f"runs ({cpus} CPUs, joblib.cpu_count()). Use n_jobs=-1 for every "
            "CPU, a count up to it, or None for the library's choice."
        )


def check_vitality_params(est):
    """Validate the classifier's own constructor arguments.

    First each parameter against ``est._parameter_constraints``
    (:data:`PARAMETER_CONSTRAINTS`, scikit-learn's constraint objects and
    messages), then the rules a constraint cannot say: the tactic names
    and the pairs that exclude each other, the ``router__<name>``
    parameters, the ``tactic__<tactic>__<argument>`` settings and
    ``callbacks__<vitality callback>__*`` arguments
    (:func:`~skvitalroute._classifier._tactic_params.check_tactic_params`),
    ``tactics`` asking for transfer without ``parent_pool``, a given
    ``criterion`` with ``loss`` or ``class_weight``, and ``n_jobs`` above
    the machine's CPU count.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator whose parameters are checked.

    Raises
    ------
    ValueError or TypeError
        Naming the parameter, what is allowed and what was received.
    """
    constraints = est._parameter_constraints
    params = {name: getattr(est, name) for name in constraints}
    check_params(constraints, params, type(est).__name__, hints=_HINTS)
    if isinstance(est.tactics, tuple | list):
        check_tactic_names(est.tactics)
    check_router_params(est.router, est.get_params_for("router"))
    gamma = est.get_params_for("criterion").get("gamma")
    if gamma is not None and est.criterion is None:  # the focal loss's
        check_params(
            {"criterion__gamma": _real(0, _SCALE_MAX)},
            {"criterion__gamma": gamma},
            type(est).__name__,
        )
    check_tactic_params(est)
    _check_transfer(est)
    _check_criterion_args(est)
    check_n_jobs(est)


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
            hint = setting_hint(key) or did_you_mean(key, sorted(known))
        raise ValueError(
            f"{type(est).__name__} got an unexpected argument {key!r}." + hint
        )
