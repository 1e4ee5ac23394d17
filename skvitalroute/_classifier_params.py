"""Validation of :class:`~skvitalroute.VitalRouteClassifier`'s own arguments.

skorch replaces scikit-learn's ``_validate_params`` and ignores
``_parameter_constraints``, so the classifier checks its new arguments here,
at ``initialize``/``fit`` time (scikit-learn's convention: nothing is
validated in ``__init__`` or ``set_params``).
"""

import difflib
import inspect
from numbers import Integral, Real

from skvitalroute._losses import LOSSES

TACTICS = ("class", "hard", "lr_scale", "transfer", "monitor")

# name -> (kind, low, high, low_closed, high_closed); None means unbounded.
_NUMBERS = {
    "dropout": (Real, 0.0, 1.0, True, False),
    "focal_gamma": (Real, 0.0, None, True, True),
    "logit_adjust_tau": (Real, None, None, True, True),
    "imbalance_threshold": (Real, 0.0, 1.0, True, True),
    "min_class_for_sampler": (Integral, 0, None, True, True),
    "max_samples_for_transfer": (Integral, 0, None, True, True),
    "max_min_class_for_transfer": (Integral, 0, None, True, True),
    "min_samples_for_lr_scale": (Integral, 0, None, True, True),
    "min_samples_for_hard_sampler": (Integral, 0, None, True, True),
    "sampler_strength": (Real, 0.0, 1.0, True, True),
    "sampler_beta": (Real, 0.0, None, True, True),
    "sampler_refresh": (Integral, 1, None, True, True),
    "hard_strength": (Real, 0.0, 1.0, True, True),
    "hard_beta": (Real, 0.0, None, True, True),
    "hard_refresh": (Integral, 1, None, True, True),
    "lr_scale_alpha": (Real, 0.0, None, True, True),
    "reset_threshold": (Real, 0.0, 1.0, True, True),
    "probe_size": (Integral, 1, None, True, True),
    "max_epochs": (Integral, 0, None, True, True),
    "lr": (Real, 0.0, None, False, True),
}


def _did_you_mean(value, options):
    close = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_option(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ValueError(
            f"{name} must be one of {list(options)}; got {value!r}."
            + _did_you_mean(value, options)
        )


def _check_number(name, value, kind, low, high, low_closed, high_closed):
    if not isinstance(value, kind) or isinstance(value, bool):
        noun = "an int" if kind is Integral else "a real number"
        raise TypeError(f"{name} must be {noun}; got {value!r}.")
    too_low = low is not None and (value < low or (value == low and not low_closed))
    too_high = high is not None and (
        value > high or (value == high and not high_closed)
    )
    if too_low or too_high or value != value:  # value != value: NaN
        left = "[" if low_closed else "("
        right = "]" if high_closed else ")"
        bounds = f"{left}{'-inf' if low is None else low}, "
        bounds += f"{'inf' if high is None else high}{right}"
        raise ValueError(f"{name} must be in {bounds}; got {value!r}.")


def _check_tactics(tactics):
    if isinstance(tactics, str):
        if tactics not in ("auto", "none"):
            raise ValueError(
                "tactics must be 'auto', 'none' or a tuple of "
                f"{list(TACTICS)}; got {tactics!r}."
                + _did_you_mean(tactics, ("auto", "none", *TACTICS))
            )
        return
    if not isinstance(tactics, tuple | list):
        raise TypeError(
            f"tactics must be 'auto', 'none' or a tuple of {list(TACTICS)}; "
            f"got {tactics!r}."
        )
    for tactic in tactics:
        if tactic not in TACTICS:
            raise ValueError(
                f"Unknown tactic {tactic!r} in tactics={tactics!r}; choose from "
                f"{list(TACTICS)}." + _did_you_mean(tactic, TACTICS)
            )
    if "class" in tactics and "hard" in tactics:
        raise ValueError(
            f"tactics={tactics!r} contains both 'class' and 'hard'; each "
            "replaces the training sampler, so use one of them."
        )


def _check_hidden_units(hidden_units):
    ok = isinstance(hidden_units, tuple | list) and all(
        isinstance(u, Integral) and not isinstance(u, bool) and u >= 1
        for u in hidden_units
    )
    if not ok:
        raise ValueError(
            f"hidden_units must be a tuple of positive ints; got {hidden_units!r}."
        )


def _check_class_weight(class_weight):
    if class_weight is None or isinstance(class_weight, dict):
        return
    _check_option("class_weight", class_weight, ("balanced",))


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
    if est.loss != "cross_entropy" or est.class_weight is not None:
        raise ValueError(
            "loss and class_weight configure the built-in criterion; they cannot "
            f"be combined with criterion={est.criterion!r}. Leave criterion=None "
            "or keep loss='cross_entropy' and class_weight=None."
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
    _check_option("loss", est.loss, LOSSES)
    _check_class_weight(est.class_weight)
    _check_hidden_units(est.hidden_units)
    for name, spec in _NUMBERS.items():
        _check_number(name, getattr(est, name), *spec)
    batch = est.batch_size
    if batch != -1:
        _check_number("batch_size", batch, Integral, 1, None, True, True)
    if not isinstance(est.freeze_transfer, bool):
        raise TypeError(f"freeze_transfer must be a bool; got {est.freeze_transfer!r}.")
    _check_transfer(est)
    _check_criterion_args(est)
    _check_train_split(est.train_split)


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
        raise ValueError(
            f"{type(est).__name__} got an unexpected argument {key!r}."
            + _did_you_mean(key, sorted(known))
        )
