"""How the classifier's parameters reach its vitality callbacks.

A tactic's own settings (:attr:`~skvitalroute.callbacks._registry.Tactic.settings`)
are skorch-style prefixed parameters, ``tactic__<tactic>__<argument>``
(``tactic__hard__beta=1.0``): shown by ``get_params``, kept by ``clone``
and pickling, tunable by ``GridSearchCV``. skorch's own spelling,
``callbacks__<callback name>__<argument>``, reaches the vitality callbacks
too, although ``fit`` builds them anew each time. Neither is ever dropped:
a setting is applied, refused by name, or warned about
(``docs/classifier.md``, "Tactic settings").

- :data:`RENAMED`: the constructor arguments these replace, still accepted
  with a ``FutureWarning`` for one release (scikit-learn's deprecation
  practice).
- :func:`check_setting_names` and :func:`check_tactic_params`: the names
  (at ``set_params`` and at ``fit``) and the values (at ``fit``, against
  the callback's own constraints, named by the parameter).
- :func:`set_live_params`: ``set_params`` on an initialised net also sets
  the installed callbacks, as skorch does with ``callbacks__*``, so a
  ``partial_fit`` that continues uses the new values.
- :func:`warn_unused_settings`: a setting of a tactic that ``tactics``
  does not run.
"""

import difflib
import warnings

from skvitalroute._utils._validation import check_params, did_you_mean
from skvitalroute.callbacks._registry import (
    MONITOR,
    SETTING_PREFIX,
    TACTICS,
    callback_builder,
    plan_builders,
    reserved_callback_names,
    setting_name,
)

#: Release that renamed the per-tactic constructor arguments, and the one
#: that removes the old names.
RENAMED_IN, REMOVED_IN = "0.2", "0.3"
#: Old constructor argument -> its ``tactic__<tactic>__<argument>`` spelling.
RENAMED = {
    "sampler_strength": setting_name("class", "strength"),
    "sampler_beta": setting_name("class", "beta"),
    "sampler_refresh": setting_name("class", "refresh_every"),
    "hard_strength": setting_name("hard", "strength"),
    "hard_beta": setting_name("hard", "beta"),
    "hard_refresh": setting_name("hard", "refresh_every"),
    "lr_scale_alpha": setting_name("lr_scale", "alpha"),
    "tilt_strength": setting_name("tilt", "strength"),
    "tilt_refresh": setting_name("tilt", "refresh_every"),
    "reset_threshold": setting_name("reset", "reset_threshold"),
    # the focal loss's setting goes to the built-in loss as skorch's
    # criterion__* arguments do
    "focal_gamma": "criterion__gamma",
}
_CALLBACKS = "callbacks__"
_SETTING = f"{SETTING_PREFIX}__"


def renamed_params(params, owner="VitalRouteClassifier"):
    """Give the old per-tactic arguments of ``params`` their new names.

    Parameters
    ----------
    params : dict
        Keyword arguments of ``__init__`` or ``set_params``.
    owner : str, default="VitalRouteClassifier"
        The class named in the messages.

    Returns
    -------
    params : dict
        A copy, with each name of :data:`RENAMED` replaced by its new one.

    Warns
    -----
    FutureWarning
        For each old name, giving the new spelling.

    Raises
    ------
    TypeError
        When an old name and its new one are both given.
    """
    if not params.keys() & RENAMED.keys():
        return params
    params = dict(params)
    for old, new in RENAMED.items():
        if old not in params:
            continue
        value = params.pop(old)
        if new in params:
            raise TypeError(
                f"{owner} got both {old} and {new}: {old} is the old name of "
                f"{new}; pass only {new}."
            )
        warnings.warn(
            f"{owner}: {old} was renamed {new} in skvitalroute {RENAMED_IN} and "
            f"will be removed in {REMOVED_IN}; pass {new}={value!r} instead.",
            FutureWarning,
            stacklevel=3,
        )
        params[new] = value
    return params


def _is_vitality_key(key, reserved):
    if not key.startswith(_CALLBACKS):
        return key.startswith(_SETTING)
    return key[len(_CALLBACKS) :].split("__", 1)[0] in reserved


def _setting_target(key, owner):
    """(builder, argument) of a ``tactic__<tactic>__<argument>`` key."""
    parts = key.split("__")
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"{owner} got {key!r}; a tactic setting is one parameter "
            f"tactic__<tactic>__<argument>, e.g. tactic__hard__beta."
        )
    _, name, arg = parts
    if name not in TACTICS:
        raise ValueError(
            f"{owner} got {key!r}, but {name!r} is not a tactic; choose from "
            f"{list(TACTICS)}." + did_you_mean(name, TACTICS)
        )
    tactic = TACTICS[name]
    if arg not in tactic.settings:
        shared = {a: p for p, a in tactic.params.items()}
        if arg in shared:
            raise ValueError(
                f"{owner} got {key!r}, but the {name!r} tactic's {arg} is set by "
                f"the estimator's {shared[arg]}, shared by every tactic that "
                f"reads it; set {shared[arg]} instead."
            )
        raise ValueError(
            f"{owner} got {key!r}, but {arg!r} is not a setting of the {name!r} "
            f"tactic; its settings are {list(tactic.settings)}."
            + did_you_mean(arg, tactic.settings)
        )
    return tactic, arg


def _callback_target(key, owner):
    """(builder, argument) of a ``callbacks__<vitality callback>__<arg>`` key."""
    name, _, arg = key[len(_CALLBACKS) :].partition("__")
    builder = callback_builder(name)
    if not arg:
        raise ValueError(
            f"{owner} got {key}, but the vitality callbacks "
            f"{list(reserved_callback_names())} are built by fit from tactics "
            "and the estimator's parameters: they cannot be replaced or "
            "removed. Choose the tactics with tactics=..., set their arguments "
            f"as tactic__<tactic>__<argument> or {_CALLBACKS}{name}__<argument>."
        )
    known = [*builder.settings, *builder.params.values(), *builder.extra]
    if builder.seeded:
        known.append("random_state")
    if arg not in known:
        raise ValueError(
            f"{owner} got {key}, but {builder.callback.__name__} (the callback "
            f"{name!r}) has no argument {arg!r}; it takes {sorted(known)}."
            + did_you_mean(arg, known)
        )
    return builder, arg


def check_setting_names(est, keys):
    """Refuse a tactic setting or vitality-callback argument that names nothing.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator.
    keys : iterable of str
        Parameter names; those that are not ``tactic__*`` or
        ``callbacks__<vitality callback>*`` pass.

    Raises
    ------
    ValueError
        For an unknown tactic, setting or argument (with a "did you mean"),
        a setting that an estimator-wide parameter sets, or a key replacing
        a vitality callback.
    """
    owner = type(est).__name__
    reserved = reserved_callback_names()
    for key in sorted(keys):
        if not _is_vitality_key(key, reserved):
            continue
        if key.startswith(_SETTING):
            _setting_target(key, owner)
        else:
            _callback_target(key, owner)


def _differs(a, b):
    try:
        return bool(a is not b and a != b)
    except (TypeError, ValueError):  # arrays and the like
        return True


def check_tactic_params(est):
    """Check the tactic settings and vitality-callback arguments ``est`` holds.

    The names (:func:`check_setting_names`), then each value against the
    callback's ``_parameter_constraints``, in scikit-learn's wording but
    naming the estimator's parameter ("The 'tactic__hard__beta' parameter
    of VitalRouteClassifier must be ..."), then that the two spellings of
    one setting (``tactic__class__beta`` and
    ``callbacks__vitality_class__beta``) do not disagree.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator.

    Raises
    ------
    ValueError or TypeError
        Naming the parameter, what is allowed and what was received.
    """
    owner = type(est).__name__
    reserved = reserved_callback_names()
    given = {k: v for k, v in vars(est).items() if _is_vitality_key(k, reserved)}
    # (builder, argument) of each key; refuses the names that reach nothing
    targets = {
        key: (_setting_target if key.startswith(_SETTING) else _callback_target)(
            key, owner
        )
        for key in sorted(given)
    }
    constraints = {
        key: builder.callback._parameter_constraints[arg]
        for key, (builder, arg) in targets.items()
        if arg in getattr(builder.callback, "_parameter_constraints", {})
    }
    check_params(constraints, given, owner)
    for key, (builder, arg) in targets.items():
        twin = setting_name(builder.name, arg)
        if key.startswith(_CALLBACKS) and twin in given:
            if _differs(given[key], given[twin]):
                raise ValueError(
                    f"{owner} got {key}={given[key]!r} and {twin}="
                    f"{given[twin]!r}: both set the {arg} of the {builder.name!r} "
                    f"tactic. Keep one ({twin} is the estimator's spelling)."
                )


def set_live_params(net, params):
    """Set ``params`` on the vitality callbacks ``net`` has installed.

    skorch sets ``callbacks__<name>__<argument>`` on the installed
    callbacks at once; fit builds the vitality callbacks anew from the
    estimator's parameters, which ``set_params`` has stored. Setting the
    installed ones too makes a ``partial_fit`` that continues (no new
    callbacks) use the new values, and ``get_params`` show them.

    Parameters
    ----------
    net : VitalRouteClassifier
        The estimator; nothing happens before it is initialised.
    params : dict
        What ``set_params`` received (already stored on ``net``).
    """
    if not net.initialized_:
        return
    for name, callback in getattr(net, "callbacks_", ()):
        builder = callback_builder(name)
        if builder is None:
            continue
        new = {arg: params[p] for p, arg in builder.params.items() if p in params}
        for arg in builder.settings:
            if builder.name in TACTICS and setting_name(builder.name, arg) in params:
                new[arg] = params[setting_name(builder.name, arg)]
        prefix = f"{_CALLBACKS}{name}__"
        new.update(
            {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        )
        if new:
            callback.set_params(**new)


def _is_live_value(installed, key, value):
    """Whether ``callbacks__<name>[__<argument>]=value`` is what is installed."""
    if not key.startswith(_CALLBACKS):
        return False
    name, _, arg = key[len(_CALLBACKS) :].partition("__")
    if name not in installed:
        return False
    if not arg:
        return installed[name] is value
    live = installed[name].get_params()
    return arg in live and not _differs(live[arg], value)


def split_vitality_params(net, params):
    """Check and store the vitality keys of ``set_params``'s arguments.

    Names are checked at once, as skorch and scikit-learn check
    ``set_params``'s names (values are checked at fit). The keys are
    stored here as parameters (fit reads them) and left out of what skorch
    receives: skorch applies ``callbacks__<name>__<argument>`` to the
    installed callbacks only and refuses one whose callback is not
    installed (a tactic this route does not run), and on an initialised
    net it stops at a prefixed parameter of no module, criterion or
    optimizer ("Something went wrong"). A ``callbacks__<name>[__<argument>]``
    holding what is installed (as ``get_params(deep=True)`` returns it)
    changes nothing and is dropped.

    Parameters
    ----------
    net : VitalRouteClassifier
        The estimator.
    params : dict
        ``set_params``'s arguments.

    Returns
    -------
    rest : dict
        The arguments for skorch's ``set_params``.

    Raises
    ------
    ValueError
        For a name :func:`check_setting_names` refuses, or a key replacing
        a vitality callback.
    """
    reserved = reserved_callback_names()
    installed = dict(getattr(net, "callbacks_", ())) if net.initialized_ else {}
    ours = {k: v for k, v in params.items() if _is_vitality_key(k, reserved)}
    unchanged = {k for k, v in ours.items() if _is_live_value(installed, k, v)}
    check_setting_names(net, [k for k in params if k not in unchanged])
    for key in ours.keys() - unchanged:
        setattr(net, key, ours[key])
        net._params_to_validate.add(key)
    return {k: v for k, v in params.items() if k not in ours}


def setting_hint(key):
    """A hint for an unknown argument that names a tactic setting, or "".

    Parameters
    ----------
    key : str
        The argument, e.g. ``"sampler_strenght"`` or ``"beta"``.

    Returns
    -------
    hint : str
        " Did you mean 'tactic__class__strength' (formerly
        'sampler_strength')?", or where the bare setting name is set.
    """
    takers = [t.name for t in TACTICS.values() if key in t.settings]
    if takers:
        return (
            f" Tactic settings are set as tactic__<tactic>__{key} (a setting of "
            f"the tactics {takers})."
        )
    close = difflib.get_close_matches(key, list(RENAMED), n=1)
    if not close:
        return ""
    return f" Did you mean {RENAMED[close[0]]!r} (formerly {close[0]!r})?"


def setting_defaults():
    """Every tactic setting with its default, as ``get_params(deep=True)`` lists them.

    Returns
    -------
    params : dict
        ``tactic__<tactic>__<argument>`` -> the callback's default.
    """
    return {
        setting_name(t.name, arg): default
        for t in TACTICS.values()
        for arg, default in t.settings.items()
    }


def _unused(est, running):
    """The settings of ``est`` that the callbacks of ``running`` do not read."""
    installed = {b.callback_name for b in plan_builders(running)}
    unused = []
    for key, value in sorted(vars(est).items()):
        if key.startswith(_SETTING):
            name, arg = key.split("__")[1:]
            if name not in running and _differs(value, TACTICS[name].settings[arg]):
                unused.append(f"{key}={value!r}")
        elif key.startswith(_CALLBACKS):
            name = key[len(_CALLBACKS) :].split("__", 1)[0]
            if name in reserved_callback_names() and name not in installed:
                unused.append(f"{key}={value!r}")
    if "transfer" not in running:
        if est.parent_pool is not None:
            unused.append("parent_pool")
        if est.freeze_transfer:
            unused.append("freeze_transfer=True")
    return unused


def warn_unused_settings(est):
    """Warn about settings of tactics that an explicit ``tactics`` leaves out.

    With ``tactics="none"`` or a tuple, the user's own parameters say which
    tactics run, so a setting of another tactic (``tactic__*``,
    ``callbacks__vitality_*``, ``parent_pool``, ``freeze_transfer=True``)
    would reach nothing. Under ``tactics="auto"`` a tactic's settings
    apply when the route runs it, and ``route_.explain()`` says why a
    tactic is off.

    Parameters
    ----------
    est : VitalRouteClassifier
        An estimator with its ``route_`` for this fit.

    Warns
    -----
    UserWarning
        Naming the settings ignored in this fit.
    """
    if est.tactics == "auto":
        return
    running = set(est.route_.tactics)
    unused = _unused(est, running)
    if unused:
        runs = ", ".join(est.route_.tactics) or f"only the {MONITOR.name}"
        warnings.warn(
            f"{type(est).__name__} ignores {', '.join(unused)} in this fit: "
            f"tactics={est.tactics!r} does not run the tactic they set (this fit "
            f"runs {runs}). Add the tactic to tactics, or leave them out.",
            UserWarning,
            stacklevel=4,
        )
