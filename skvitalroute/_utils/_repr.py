"""scikit-learn's text and HTML reprs for a skorch net: show what the user set.

scikit-learn marks a parameter as set by the user when it differs from its
default in the ``__init__`` signature, or when the signature does not name
it. skorch's own parameters (``criterion``, ``iterator_train``, ...) reach
:class:`~skvitalroute.VitalRouteClassifier` through ``**kwargs`` and its
callbacks' parameters through ``get_params(deep=True)``, so on a default
estimator scikit-learn marked all of them as set. Here the signature names
skorch's parameters with the defaults a default estimator holds, and the
nested callback parameters are compared with a default estimator's.
"""

import inspect

from sklearn.base import BaseEstimator

_NAMED_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def with_inherited_signature(cls):
    """Give ``cls.__init__`` a signature naming its parents' parameters too.

    Parameters passed on through ``**kwargs`` to the parents' ``__init__``
    are added as keyword-only parameters whose defaults are the values a
    default ``cls()`` holds; ``**kwargs`` stays for prefixed parameters
    (``module__*``, ``optimizer__*``, ...).

    Parameters
    ----------
    cls : type
        A class whose ``__init__`` forwards ``**kwargs`` to its parents.

    Returns
    -------
    cls : type
        The same class.

    Examples
    --------
    >>> import inspect
    >>> from skvitalroute import VitalRouteClassifier
    >>> params = inspect.signature(VitalRouteClassifier).parameters
    >>> params["iterator_train"].default.__name__, params["criterion"].default
    ('DataLoader', None)
    """
    own = inspect.signature(cls.__init__)
    kept = [p for p in own.parameters.values() if p.kind != p.VAR_KEYWORD]
    var_keyword = [p for p in own.parameters.values() if p.kind == p.VAR_KEYWORD]
    names = {p.name for p in kept}
    default = cls()
    inherited = []
    for base in cls.__mro__[1:]:
        init = vars(base).get("__init__")
        if init is None or init is object.__init__:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.name in names or param.kind not in _NAMED_KINDS:
                continue
            names.add(param.name)
            value = getattr(default, param.name, param.default)
            inherited.append(param.replace(kind=param.KEYWORD_ONLY, default=value))
    cls.__init__.__signature__ = own.replace(parameters=kept + inherited + var_keyword)
    return cls


def params_html(estimator, params, skip=()):
    """Unmark the nested parameters that a default estimator also has.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator shown.
    params : sklearn.utils._repr_html.params.ParamsDict
        What ``BaseEstimator._get_params_html`` returned for it.
    skip : tuple of str, default=()
        Callback names whose parameters mirror the estimator's own (the
        tactic callbacks that ``fit`` builds): never marked.

    Returns
    -------
    params : ParamsDict
        The same table; ``non_default`` keeps the top-level verdicts and
        the nested parameters that differ from a default estimator's.
    """
    try:
        defaults = type(estimator)().get_params(deep=True)
    except TypeError:  # a subclass that needs arguments: keep scikit-learn's marks
        return params
    prefixes = tuple(f"callbacks__{name}" for name in skip)

    def user_set(name):
        if "__" not in name:
            return True  # scikit-learn compared it with the signature's default
        if name.startswith(prefixes):
            return False
        return name not in defaults or _differs(params[name], defaults[name])

    params.non_default = tuple(n for n in params.non_default if user_set(n))
    return params


def text_repr(estimator, n_char_max=700):
    """scikit-learn's estimator repr (changed parameters only, by default).

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator.
    n_char_max : int, default=700
        Approximate maximum number of non-blank characters.

    Returns
    -------
    repr : str
    """
    return BaseEstimator.__repr__(estimator, N_CHAR_MAX=n_char_max)


def _differs(value, default):
    """Whether a nested value differs from the default estimator's value.

    Objects with parameters (callbacks, estimators) are compared by class
    and parameters, not identity: a default estimator builds new ones.
    """
    if hasattr(value, "get_params") and not isinstance(value, type):
        if type(value) is not type(default):
            return True
        mine, theirs = value.get_params(), default.get_params()
        return mine.keys() != theirs.keys() or any(
            _differs(mine[k], theirs[k]) for k in mine
        )
    try:
        return bool(value != default)
    except (TypeError, ValueError):  # arrays and the like
        return repr(value) != repr(default)
