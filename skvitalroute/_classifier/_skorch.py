"""skorch's parameters with scikit-learn's manners, for the classifier.

scikit-learn requires ``__init__`` to set nothing but parameters, a
``get_params`` of parameters only, its own reprs, and validation in ``fit``;
skorch's ``NeuralNet`` sets run state in ``__init__``, lists private
bookkeeping in ``get_params`` and checks ``callbacks`` in ``set_params``.
:class:`_SklearnParams` reconciles them for
:class:`~skvitalroute.VitalRouteClassifier`.
"""

from skorch import NeuralNetClassifier

from skvitalroute._classifier._tactic_params import (
    renamed_params,
    set_live_params,
    setting_defaults,
    split_vitality_params,
)
from skvitalroute._utils._repr import params_html, text_repr
from skvitalroute.callbacks._registry import SETTING_PREFIX, reserved_callback_names


def _check_param_names(est, params):
    """scikit-learn's refusal of a name that is no parameter (skorch takes a
    name with ``__`` for a prefixed one and then fails on a trailing ``_``)."""
    for key in params:
        if key.endswith("_"):
            valid = sorted(est.get_params(deep=False))
            raise ValueError(
                f"Invalid parameter {key!r} for estimator {type(est).__name__}: "
                "names ending with '_' are fitted attributes or Python's, not "
                f"parameters. Valid parameters are: {valid!r}."
            )


class _PrivateState:
    """Store one of skorch's run-state attributes under a private name.

    skorch's ``__init__`` sets ``history_``, ``initialized_`` and
    ``virtual_params_``; scikit-learn requires ``__init__`` to set nothing
    but parameters (private names excepted). The value lives in
    ``__dict__["_<name>"]``; reading it before it was ever set raises
    ``AttributeError``, exactly as a missing attribute would, which skorch
    relies on while its ``__init__`` runs.
    """

    def __set_name__(self, owner, name):
        self.name, self.private = name, "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        try:
            return obj.__dict__[self.private]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj, value):
        obj.__dict__[self.private] = value

    def __delete__(self, obj):
        obj.__dict__.pop(self.private, None)


class _SklearnParams:
    """Parameter handling of a skorch net that scikit-learn accepts.

    A mixin placed before :class:`skorch.NeuralNetClassifier`.
    """

    history_ = _PrivateState()
    initialized_ = _PrivateState()
    virtual_params_ = _PrivateState()
    # router__<name> parameters reach the router, tactic__<tactic>__<argument>
    # the tactic callbacks (skorch-style prefixes)
    prefixes_ = [*NeuralNetClassifier.prefixes_, "router", SETTING_PREFIX]

    def get_params(self, deep=True, **kwargs):
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of callbacks and sub-objects.
        **kwargs : dict
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values; skorch's private
            bookkeeping (names starting with ``_``) is left out. With
            ``deep=True`` every tactic setting ``tactic__<tactic>__<argument>``
            is listed, at its default when not set.
        """
        params = super().get_params(deep=deep, **kwargs)
        params = {k: v for k, v in params.items() if not k.startswith("_")}
        return {**setting_defaults(), **params} if deep else params

    def __repr__(self, N_CHAR_MAX=700):
        # scikit-learn's repr (the parameters the user changed), not skorch's
        return text_repr(self, N_CHAR_MAX)

    def _get_params_html(self, deep=True, doc_link=""):
        params = super()._get_params_html(deep=deep, doc_link=doc_link)
        return params_html(self, params, skip=reserved_callback_names())

    def set_params(self, **params):
        """Set the parameters of this estimator, as skorch does.

        Before the net is initialised, a new ``callbacks`` list is only
        stored; it is checked when ``fit`` initialises the callbacks
        (scikit-learn's convention of validating in ``fit``). On an
        initialised net a new ``optimizer`` re-initialises the optimizer,
        as a new ``criterion`` re-initialises the criterion in skorch
        (skorch 1.4 itself stops with "Something went wrong" there).

        ``router__<name>`` parameters are stored (the router reads them at
        the next ``fit``). The tactic settings (``tactic__<tactic>__<argument>``) and the
        vitality callbacks' arguments (``callbacks__vitality_<tactic>__*``,
        ``callbacks__divergence_guard__*``, ...) are checked by name and
        stored: ``fit`` builds the vitality callbacks from them. On an
        initialised net they, and the shared ``probe_size``,
        ``monitor_refresh``, ``parent_pool`` and ``freeze_transfer``, also
        reach the installed callbacks, so a continuing ``partial_fit`` uses
        them. An old per-tactic name (``sampler_beta``, ...) is renamed with
        a ``FutureWarning``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, including skorch's prefixed ones.

        Returns
        -------
        self : VitalRouteClassifier

        Raises
        ------
        ValueError
            For a name ending with ``_`` (a fitted attribute or a dunder
            such as ``__class__``), in scikit-learn's words; skorch would
            ask to open an issue.
        """
        _check_param_names(self, params)
        params = renamed_params(params, type(self).__name__)
        rest = split_vitality_params(self, params)
        if "tactics" in rest:  # not a tactic__ setting, although skorch
            self.tactics = rest.pop("tactics")  # would take it for one
        for key in [k for k in rest if k.startswith("router__")]:
            # the router is read at each fit; skorch would try to
            # re-initialise a "router" component on a fitted net
            setattr(self, key, rest.pop(key))
        self._set_skorch_params(rest)
        set_live_params(self, params)
        return self

    def _set_skorch_params(self, params):
        if "callbacks" in params and not self.initialized_:
            self.callbacks = params.pop("callbacks")
        if "optimizer" not in params or not self.initialized_:
            return super().set_params(**params)
        # Store the new class with its optimizer__* arguments, then rebuild;
        # the other parameters follow as skorch sets them.
        new = {k: params.pop(k) for k in list(params) if k.startswith("optimizer__")}
        new["optimizer"] = params.pop("optimizer")
        for key, value in new.items():
            setattr(self, key, value)
        self._params_to_validate.update(k for k in new if k != "optimizer")
        self._initialize_optimizer(
            reason=self._format_reinit_msg("optimizer", new, triggered_directly=True)
        )
        return super().set_params(**params) if params else self
